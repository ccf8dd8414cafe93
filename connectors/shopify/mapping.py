"""Shopify JSON → the hub's product dicts and shop changes (pure functions).

Two shapes carry a product: the Admin GraphQL node (the sync, ids as ``gid://shopify/Product/123``) and the
REST-shaped webhook body (numeric ids, snake_case). Both map to the same product dict, by these rules
(docs/shops/shopify.md):

* the product's SKU is its ``handle`` (Shopify products have none of their own), else ``shopify-<id>``; a
  variant without a SKU gets ``<handle>-<variant id>``;
* Shopify's ``price`` is what the buyer pays and ``compareAtPrice`` the "was" price: the hub's ``price`` is the
  compare-at price when it is higher, and ``promo_price`` then Shopify's price;
* a variant's stock is ``inventoryQuantity`` (all locations), its ``stock_id`` the inventory item's number;
* the link number is the ``livehub.link`` metafield; the version is ``updatedAt``; only ``ACTIVE`` products
  are in the catalog.

Anything without the shape Shopify gives raises ``ValueError``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.catalog import plain_text
from hub.shop_changes import OrderLine, ShopOrder

__all__ = ["gid_number", "graphql_product", "bulk_products", "rest_product", "order_change", "refund_change",
           "parse_time", "is_active"]


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def gid_number(value: Any) -> str:
    """``gid://shopify/Product/123`` or ``123`` → ``"123"``."""
    text = _str(value).strip()
    number = text.rsplit("/", 1)[-1]
    if not number.isdigit():
        raise ValueError(f"not a Shopify id: {text[:60]!r}")
    return number


def parse_time(value: Any) -> float:
    """An ISO 8601 time with its zone ("2025-04-22T14:30:00-05:00", "…Z") in epoch seconds."""
    if not isinstance(value, str):
        raise ValueError("updated_at: missing")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a time: {value[:40]!r}") from None
    if when.tzinfo is None:
        raise ValueError(f"a time without its zone: {value[:40]!r}")
    return when.timestamp()


def is_active(status: Any) -> bool:
    return _str(status).upper() == "ACTIVE"


def _prices(price: Any, compare_at: Any) -> tuple[str, str | None]:
    paid, was = _str(price).strip(), _str(compare_at).strip()
    try:
        if paid and was and Decimal(was) > Decimal(paid):
            return was, paid
    except InvalidOperation:
        pass  # the hub's validation names the bad figure
    return paid, None


def _link(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(_str(value).strip())
    except ValueError:
        raise ValueError(f"metafield livehub.link: not a whole number: {_str(value)[:20]!r}") from None


def _stock(value: Any) -> int:
    if value is None:
        return 0
    try:
        return max(0, int(value))
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"inventory quantity: not a whole number: {_str(value)[:20]!r}") from None


def _product(pid: str, handle: str, title: Any, description: str, link: Any, updated: Any,
             variants: list[dict[str, Any]], images: list[str]) -> dict[str, Any]:
    sku = handle or f"shopify-{pid}"
    for variant in variants:
        variant["sku"] = variant["sku"] or f"{sku}-{variant['id']}"
    if not variants:
        raise ValueError("a product without variants")
    return {"id": pid, "sku": sku, "name": _str(title).strip(), "link": _link(link), "description": description,
            "image": images[0] if images else None, "images": images, "variants": variants,
            "updated_at": parse_time(updated)}


def graphql_product(node: Any) -> dict[str, Any]:
    """A ``Product`` node of the paged query (variants and images as connections)."""
    node = _obj(node, "product")
    variants = [_graphql_variant(_obj(e, "variant edge").get("node")) for e in
                _items(_obj(node.get("variants") or {}, "variants").get("edges"))]
    images = [_str(_obj(_obj(e, "image edge").get("node"), "image").get("url")) for e in
              _items(_obj(node.get("images") or {}, "images").get("edges"))]
    return _product(gid_number(node.get("id")), _str(node.get("handle")).strip(), node.get("title"),
                    plain_text(_str(node.get("description"))), (node.get("metafield") or {}).get("value")
                    if isinstance(node.get("metafield"), dict) else None, node.get("updatedAt"), variants,
                    [i for i in images if i])


def _graphql_variant(node: Any) -> dict[str, Any]:
    node = _obj(node, "variant")
    price, promo = _prices(node.get("price"), node.get("compareAtPrice"))
    item = node.get("inventoryItem") if isinstance(node.get("inventoryItem"), dict) else {}
    return {"id": gid_number(node.get("id")), "sku": _str(node.get("sku")).strip(),
            "title": _str(node.get("title")).strip(), "price": price, "promo_price": promo,
            "stock": _stock(node.get("inventoryQuantity")),
            "stock_id": gid_number(item["id"]) if item.get("id") else ""}


def bulk_products(lines: list[Any]) -> list[dict[str, Any] | tuple[str, str]]:
    """A bulk operation's JSONL lines → product dicts (a product that does not map: ``(id, reason)``)."""
    products: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    for line in lines:
        if not isinstance(line, dict):
            continue
        parent = line.get("__parentId")
        if parent is None:
            products[_str(line.get("id"))] = {**line, "variants": {"edges": []}, "images": {"edges": []}}
            order.append(_str(line.get("id")))
        elif parent in products:
            kind = "variants" if "/ProductVariant/" in _str(line.get("id")) or "sku" in line else "images"
            products[parent][kind]["edges"].append({"node": line})
    result: list[dict[str, Any] | tuple[str, str]] = []
    for gid in order:
        try:
            result.append(graphql_product(products[gid]))
        except ValueError as exc:
            result.append((gid.rsplit("/", 1)[-1], str(exc)))
    return result


def rest_product(body: Any) -> dict[str, Any] | None:
    """A ``products/create|update`` body as a product dict; None when it lacks what the hub needs (a variant's
    stock or inventory item): the connector then reads the product over GraphQL."""
    body = _obj(body, "product")
    variants = []
    for raw in _items(body.get("variants")):
        raw = _obj(raw, "variant")
        if "inventory_quantity" not in raw or "inventory_item_id" not in raw:
            return None
        price, promo = _prices(raw.get("price"), raw.get("compare_at_price"))
        variants.append({"id": gid_number(raw.get("id")), "sku": _str(raw.get("sku")).strip(),
                         "title": _str(raw.get("title")).strip(), "price": price, "promo_price": promo,
                         "stock": _stock(raw.get("inventory_quantity")),
                         "stock_id": gid_number(raw["inventory_item_id"]) if raw.get("inventory_item_id") else ""})
    link = next((m.get("value") for m in _items(body.get("metafields")) if isinstance(m, dict)
                 and m.get("namespace") == "livehub" and m.get("key") == "link"), None)
    images = [_str(i.get("src")) for i in _items(body.get("images")) if isinstance(i, dict) and i.get("src")]
    return _product(gid_number(body.get("id")), _str(body.get("handle")).strip(), body.get("title"),
                    plain_text(_str(body.get("body_html"))), link, body.get("updated_at"), variants, images)


def _note(order: dict[str, Any], name: str) -> str | None:
    for attribute in _items(order.get("note_attributes")):
        if isinstance(attribute, dict) and attribute.get("name") == name and attribute.get("value"):
            return _str(attribute["value"])
    return None


def _line(raw: Any, qty_key: str = "quantity") -> OrderLine:
    raw = _obj(raw, "line item")
    try:
        qty = int(raw.get(qty_key, 0))
        amount = Decimal(_str(raw.get("price") or "0")) * qty
    except (TypeError, ValueError, OverflowError, InvalidOperation):
        raise ValueError("line item: quantity or price is not a number") from None
    if not amount.is_finite() or qty < 0:
        raise ValueError("line item: quantity or price out of range")
    sku = _str(raw.get("sku")).strip() or f"shopify-{raw.get('variant_id') or raw.get('product_id')}"
    return OrderLine(sku=sku, qty=qty, amount=amount)


def order_change(body: Any, status: str, at: float) -> ShopOrder:
    """An ``orders/create`` (``placed``) or ``orders/paid`` (``paid``) body as a shop order."""
    body = _obj(body, "order")
    if body.get("id") is None:
        raise ValueError("order id: missing")
    customer = body.get("customer") if isinstance(body.get("customer"), dict) else {}
    return ShopOrder(order_id=_str(body["id"]), status=status, lines=[_line(r) for r in _items(body.get("line_items"))],
                     currency=_str(body.get("currency")).upper(), at=at,
                     buyer_name=_str(customer.get("first_name")).strip(), buyer_id=_str(customer.get("id") or ""),
                     email=_str(body.get("email")), viewer=_note(body, "livehub_viewer"),
                     room=_note(body, "livehub_room"))


def refund_change(body: Any, currency: str, at: float) -> ShopOrder:
    """A ``refunds/create`` body: the refunded lines of its order."""
    body = _obj(body, "refund")
    if body.get("order_id") is None:
        raise ValueError("refund order_id: missing")
    lines = []
    for raw in _items(body.get("refund_line_items")):
        raw = _obj(raw, "refund line")
        item = _obj(raw.get("line_item") or {}, "refund line item")
        line = _line({**item, "quantity": raw.get("quantity", 0)})
        subtotal = raw.get("subtotal")
        if subtotal is not None:
            try:
                line.amount = Decimal(_str(subtotal))
            except InvalidOperation:
                raise ValueError("refund line subtotal: not a number") from None
            if not line.amount.is_finite():
                raise ValueError("refund line subtotal: not a number")
        lines.append(line)
    return ShopOrder(order_id=_str(body["order_id"]), status="refunded", lines=lines, currency=currency, at=at)
