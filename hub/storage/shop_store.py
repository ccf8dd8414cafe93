"""A shop's last good catalog in the hub's database (tables ``shops`` and ``products``).

A shop connector writes its catalog after each full sync (replacing what was stored) and the products a
webhook batch changed; at start it reads it back, so a hub restarted while its shop is down still answers
from the last good catalog. Each product's full record (variants, pictures, link number) is in ``data``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hub.catalog import Product, Shop
from hub.shop_state import Entry, ProductIndex
from hub.storage.tables import products, shops

if TYPE_CHECKING:
    from hub.storage.store import Storage

__all__ = ["save_catalog", "load_catalog", "save_products", "remove_products", "load_products"]


async def _shop_row(conn: Any, shop: str, info: dict[str, Any]) -> None:
    now = time.time()
    values = {"name": str(info.get("name") or shop), "currency": str(info.get("currency") or "CNY")[:3],
              "data": info, "updated_ts": now}
    updated = await conn.execute(shops.update().where(shops.c.id == shop).values(**values))
    if not updated.rowcount:
        await conn.execute(shops.insert().values(id=shop, created_ts=now, **values))


def _rows(shop: str, items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    now = time.time()
    rows = []
    for item in items:
        product = item["product"]
        promo = product.get("promo_price")
        rows.append({"shop": shop, "sku": product["sku"], "name": product["name"],
                     "price": Decimal(str(product["price"])), "promo_price": None if promo is None else Decimal(promo),
                     "stock": product.get("stock"), "active": True, "data": item, "updated_ts": now})
    return rows


async def save_products(storage: Storage, shop: str, info: dict[str, Any], items: list[dict[str, Any]], *,
                        replace: bool) -> None:
    """Store ``items`` of ``shop`` (``{"product": <JSON-ready product>, "version": <float>}``); ``replace``:
    they are the whole catalog."""
    async with storage.engine.begin() as conn:
        await _shop_row(conn, shop, info)
        if replace:
            await conn.execute(products.delete().where(products.c.shop == shop))
        else:
            skus = [item["product"]["sku"] for item in items]
            for start in range(0, len(skus), 500):
                await conn.execute(products.delete().where(products.c.shop == shop,
                                                           products.c.sku.in_(skus[start:start + 500])))
        rows = _rows(shop, items)
        for start in range(0, len(rows), 1000):
            await conn.execute(products.insert(), rows[start:start + 1000])


async def remove_products(storage: Storage, shop: str, skus: list[str]) -> None:
    async with storage.engine.begin() as conn:
        for start in range(0, len(skus), 500):
            await conn.execute(products.delete().where(products.c.shop == shop,
                                                       products.c.sku.in_(skus[start:start + 500])))


async def load_products(storage: Storage, shop: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The stored shop info (None if never stored) and its products' records."""
    async with storage.engine.connect() as conn:
        info = (await conn.execute(sa.select(shops.c.data).where(shops.c.id == shop))).scalar_one_or_none()
        rows = await conn.execute(sa.select(products.c.data).where(products.c.shop == shop)
                                  .order_by(products.c.id))
        return info, [row[0] for row in rows if row[0]]


async def save_catalog(storage: Storage, shop: str, info: Shop, index: ProductIndex, changed: set[str] | None,
                       removed_skus: list[str]) -> None:
    """Store ``index``'s products (``changed`` None: all of them, replacing what was stored) and forget the
    products of ``removed_skus``."""
    entries = index.entries
    pids = list(entries) if changed is None else [pid for pid in changed if pid in entries]
    items = [{"product": entries[pid].product.model_dump(mode="json"), "version": entries[pid].version}
             for pid in pids]
    await save_products(storage, shop, info.model_dump(mode="json"), items, replace=changed is None)
    if removed_skus:
        await remove_products(storage, shop, removed_skus)


async def load_catalog(storage: Storage, shop: str) -> tuple[Shop, ProductIndex] | None:
    """The stored catalog of ``shop`` (None if there is none)."""
    info, items = await load_products(storage, shop)
    if info is None or not items:
        return None
    index = ProductIndex()
    for item in items:
        index.put(Entry(Product.model_validate(item["product"]), float(item.get("version") or 0.0)))
    return Shop.model_validate(info), index
