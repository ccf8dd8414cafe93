"""What a shop connector's webhooks become (the contract's data types, re-exported by :mod:`hub.shop`).

A subclass's :meth:`hub.shop.CatalogConnector.verify_webhook` returns a :class:`WebhookDelivery` (or raises
:class:`WebhookRefused`); its :meth:`~hub.shop.CatalogConnector.webhook_changes` maps a delivery to
:data:`Change` values. Each carries ``at``, when the shop says it happened, which orders out-of-order
deliveries (:mod:`hub.shop_state`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["WebhookRefused", "WebhookDelivery", "ProductUpsert", "ProductRemoval", "StockLevel", "OrderLine",
           "ShopOrder", "Change", "ProductProblem"]


class WebhookRefused(Exception):
    """A webhook delivery whose signature is missing or wrong: answered 401, its body never parsed."""


@dataclass(slots=True)
class WebhookDelivery:
    """A verified webhook delivery, queued: ``id`` de-duplicates redeliveries, ``at`` is when the shop
    says it happened (epoch seconds)."""

    id: str
    topic: str
    at: float
    body: bytes
    received: float = field(default_factory=time.monotonic)


@dataclass(slots=True)
class ProductUpsert:
    """A product created or updated (a product dict as :meth:`CatalogConnector.fetch_products` yields)."""

    product: dict[str, Any]
    at: float


@dataclass(slots=True)
class ProductRemoval:
    """A product deleted, unpublished or archived."""

    product_id: str
    at: float


@dataclass(slots=True)
class StockLevel:
    """A variant's stock (the variant whose ``stock_id`` this is) is now ``stock``."""

    stock_id: str
    stock: int
    at: float


@dataclass(slots=True)
class OrderLine:
    sku: str
    qty: int
    amount: Decimal  # the line's total, in the order's currency


@dataclass(slots=True)
class ShopOrder:
    """An order placed, paid or refunded in the shop. ``viewer`` (``"<platform>:<user id>"``) and ``room``
    link it to a live viewer and room when the shop carries them (order attributes)."""

    order_id: str
    status: str  # "placed" | "paid" | "refunded"
    lines: list[OrderLine]
    currency: str
    at: float
    buyer_name: str = ""
    buyer_id: str = ""
    email: str = ""
    viewer: str | None = None
    room: str | None = None


Change = ProductUpsert | ProductRemoval | StockLevel | ShopOrder


@dataclass(slots=True, frozen=True)
class ProductProblem:
    """A product the shop sent that the hub skipped, and why."""

    product_id: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"product {self.product_id}, {self.field}: {self.reason}"


