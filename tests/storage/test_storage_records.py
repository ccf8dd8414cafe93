"""Catalog prices, the audit log and sessions behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import sqlalchemy as sa

from hub.storage import Storage
from hub.storage.tables import products, shops


async def _add_shop(store: Storage, shop: str = "s1") -> None:
    now = time.time()
    async with store.session() as session:
        await session.execute(shops.insert().values(id=shop, name="店", created_ts=now, updated_ts=now))


PRICES = [Decimal("0.10"), Decimal("0.20"), Decimal("19.99"), Decimal("1234567890.07"), Decimal("99.90")]


async def test_decimal_prices_round_trip_exactly(storage: Storage) -> None:
    await _add_shop(storage)
    async with storage.session() as session:
        await session.execute(products.insert(), [
            {"shop": "s1", "sku": f"sku{i}", "name": f"商品{i}", "price": price,
             "promo_price": price - Decimal("0.01"), "stock": i, "data": {"tags": ["新"]},
             "updated_ts": time.time()}
            for i, price in enumerate(PRICES)])
    async with storage.session() as session:
        rows = (await session.execute(sa.select(products).order_by(products.c.id))).all()
        total = (await session.execute(sa.select(sa.func.sum(products.c.price)))).scalar_one()
    assert [r.price for r in rows] == PRICES
    assert all(isinstance(r.price, Decimal) for r in rows)
    assert [r.promo_price for r in rows] == [p - Decimal("0.01") for p in PRICES]
    assert rows[0].price + rows[1].price == Decimal("0.30")  # 0.1 + 0.2 != 0.3 in floats
    assert Decimal(str(total)).quantize(Decimal("0.01")) == sum(PRICES)
    assert rows[2].data == {"tags": ["新"]}


async def test_a_product_needs_its_shop(storage: Storage) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        async with storage.session() as session:
            await session.execute(products.insert().values(shop="nope", sku="x", name="x",
                                                            price=Decimal("1"), updated_ts=0.0))


async def test_sku_is_unique_within_a_shop(storage: Storage) -> None:
    await _add_shop(storage)
    row = {"shop": "s1", "sku": "x", "name": "x", "price": Decimal("1.00"), "updated_ts": 0.0}
    async with storage.session() as session:
        await session.execute(products.insert().values(**row))
    with pytest.raises(sa.exc.IntegrityError):
        async with storage.session() as session:
            await session.execute(products.insert().values(**row))


async def test_a_failing_session_block_is_rolled_back(storage: Storage) -> None:
    with pytest.raises(RuntimeError):
        async with storage.session() as session:
            await session.execute(shops.insert().values(id="gone", name="x", created_ts=0.0, updated_ts=0.0))
            raise RuntimeError("boom")
    async with storage.session() as session:
        assert (await session.execute(sa.select(sa.func.count()).select_from(shops))).scalar_one() == 0


async def test_audit_log_is_written_and_read_newest_first(storage: Storage) -> None:
    before = time.time()
    await storage.audit("operator", "takeover", "room:r1", {"reason": "manual", "n": 2})
    await storage.audit("api", "schedule.add")
    entries = await storage.recent_audit()
    assert [(e["actor"], e["action"], e["target"], e["detail"]) for e in entries] == [
        ("api", "schedule.add", "", None),
        ("operator", "takeover", "room:r1", {"reason": "manual", "n": 2}),
    ]
    assert all(before <= e["ts"] <= time.time() for e in entries)
    assert entries[0]["id"] > entries[1]["id"]
    assert len(await storage.recent_audit(limit=1)) == 1
