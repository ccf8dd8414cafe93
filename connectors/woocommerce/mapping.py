"""WooCommerce JSON → the hub's product dicts and shop changes (pure functions).

Rules (docs/shops/woocommerce.md):

* only ``publish`` products are in the catalog (``draft``, ``pending``, ``private``, ``trash`` → removed);
* the product's SKU is its own, else ``woo-<id>``; a simple product is its own single variant, a variable
  product's variations are its variants (a variation without a SKU: ``<product sku>-<variation id>``);
* ``price`` is the regular price, ``promo_price`` the sale price when there is one below it;
* stock is ``stock_quantity`` when the shop counts it (``manage_stock``; a variation with
  ``manage_stock: "parent"`` has the parent's), 0 when ``stock_status`` is ``outofstock``, else the
  connector's ``unmanaged_stock`` setting;
* the link number is the ``livehub_link`` meta field; times are ``date_modified_gmt`` (UTC).

Anything that does not have the shape WooCommerce gives raises ``ValueError`` (the base counts and drops it).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.catalog import plain_text
from hub.shop_changes import OrderLine, ShopOrder

__all__ = ["product_dict", "order_change", "modified_at", "meta", "ORDER_STATUS", "is_ping"]

ORDER_STATUS = {"pending": "placed", "on-hold": "placed", "processing": "paid", "completed": "paid",
                "refunded": "refunded"}
"""WooCommerce order status → the hub's (others, e.g. cancelled or failed, are not orders to count)."""

_PING = re.compile(rb"^webhook_id=\d{1,20}$")


def is_ping(body: bytes) -> bool:
    """The form post WooCommerce sends once when a webhook is created (unsigned)."""
    return bool(_PING.match(body.strip()))


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def _items(value: Any) -> list[Any]:
    """A JSON list field (anything else: none)."""
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def modified_at(item: dict[str, Any]) -> float:
    """``date_modified_gmt`` ("2017-03-23T20:01:14", UTC without a zone) in epoch seconds."""
    raw = item.get("date_modified_gmt") or item.get("date_created_gmt")
    if not isinstance(raw, str):
        raise ValueError("date_modified_gmt: missing")
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"date_modified_gmt: not a date: {raw[:40]!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def meta(item: dict[str, Any], key: str) -> Any:
    """The value of meta field ``key`` (``meta_data: [{"key", "value"}]``), or None."""
    for entry in _items(item.get("meta_data")):
        if isinstance(entry, dict) and entry.get("key") == key:
            return entry.get("value")
    return None


def _link(item: dict[str, Any]) -> int | None:
    value = meta(item, "livehub_link")
    if value in (None, ""):
        return None
    try:
        link = int(str(value).strip())
    except ValueError:
        raise ValueError(f"meta livehub_link: not a whole number: {str(value)[:20]!r}") from None
    return link


def _stock(item: dict[str, Any], parent: dict[str, Any] | None, unmanaged: int) -> int:
    manage = item.get("manage_stock")
    if manage == "parent" and parent is not None:
        return _stock(parent, None, unmanaged)
    if item.get("stock_status") == "outofstock":
        return 0
    if manage is True:
        quantity = item.get("stock_quantity")
        if quantity is None:
            return 0
        try:
            return max(0, int(quantity))
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"stock_quantity: not a whole number: {str(quantity)[:20]!r}") from None
    return unmanaged


def _prices(item: dict[str, Any]) -> tuple[str, str | None]:
    regular = _str(item.get("regular_price")).strip()
    sale = _str(item.get("sale_price")).strip()
    if not regular:
        regular = _str(item.get("price")).strip()  # missing stays missing: the hub reports it
    if sale and regular:
        try:
            if Decimal(sale) >= Decimal(regular):
                sale = ""
        except InvalidOperation:
            pass  # the hub's validation names the bad figure
    return regular, sale or None


def _variant(item: dict[str, Any], sku: str, parent: dict[str, Any] | None, unmanaged: int) -> dict[str, Any]:
    price, promo = _prices(item)
    title = " / ".join(_str(a["option"]) for a in _items(item.get("attributes"))
                       if isinstance(a, dict) and a.get("option") is not None)
    return {"id": _str(item.get("id")), "sku": sku, "title": title, "price": price, "promo_price": promo,
            "stock": _stock(item, parent, unmanaged), "stock_id": _str(item.get("id"))}


def product_dict(product: Any, variations: list[Any] | None = None, *, unmanaged_stock: int = 0) -> dict[str, Any]:
    """A published product (and its variations) as the hub's product dict."""
    product = _obj(product, "product")
    pid = product.get("id")
    if not isinstance(pid, int) or isinstance(pid, bool):
        raise ValueError("id: missing or not a number")
    sku = _str(product.get("sku")).strip() or f"woo-{pid}"
    at = modified_at(product)
    if product.get("type") == "variable":
        variants = []
        for raw in _items(variations):
            raw = _obj(raw, "variation")
            if raw.get("status", "publish") != "publish":
                continue
            vsku = _str(raw.get("sku")).strip()
            variants.append(_variant(raw, vsku if vsku and vsku != sku else f"{sku}-{raw.get('id')}", product,
                                     unmanaged_stock))
            if raw.get("date_modified_gmt"):
                at = max(at, modified_at(raw))
        if not variants:
            raise ValueError("a variable product without published variations")
    else:
        variants = [_variant(product, sku, None, unmanaged_stock)]
    images = [_str(i.get("src")) for i in _items(product.get("images")) if isinstance(i, dict) and i.get("src")]
    attributes = {_str(a.get("name")): ", ".join(_str(o) for o in _items(a.get("options")))
                  for a in _items(product.get("attributes")) if isinstance(a, dict) and a.get("name")}
    return {"id": str(pid), "sku": sku, "name": _str(product.get("name")).strip(), "link": _link(product),
            "description": plain_text(_str(product.get("short_description")) or _str(product.get("description"))),
            "image": images[0] if images else None, "images": images, "attributes": attributes,
            "variants": variants, "updated_at": at}


def order_change(order: Any, at: float) -> ShopOrder | None:
    """An order webhook body as a shop order (None for a status that is no sale: cancelled, failed...)."""
    order = _obj(order, "order")
    status = ORDER_STATUS.get(_str(order.get("status")))
    if status is None:
        return None
    if order.get("id") is None:
        raise ValueError("order id: missing")
    lines = []
    for raw in _items(order.get("line_items")):
        raw = _obj(raw, "line_items[]")
        sku = _str(raw.get("sku")).strip() or f"woo-{raw.get('variation_id') or raw.get('product_id')}"
        try:
            qty, amount = int(raw.get("quantity", 0)), Decimal(_str(raw.get("total") or "0"))
        except (TypeError, ValueError, OverflowError, InvalidOperation):
            raise ValueError("line_items[]: quantity or total is not a number") from None
        lines.append(OrderLine(sku=sku, qty=qty, amount=amount))
    billing = order.get("billing") if isinstance(order.get("billing"), dict) else {}
    currency = _str(order.get("currency")).upper()
    return ShopOrder(order_id=_str(order.get("id")), status=status, lines=lines, currency=currency, at=at,
                     buyer_name=_str(billing.get("first_name")).strip(), buyer_id=_str(order.get("customer_id")),
                     email=_str(billing.get("email")), viewer=_opt(meta(order, "livehub_viewer")),
                     room=_opt(meta(order, "livehub_room")))


def _opt(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
