"""What a shop connector tells the rooms that sell from it: catalog changes and orders, as hub events.

:class:`ChangePublisher` is owned by a :class:`hub.shop.CatalogConnector`. For each product whose price,
stock, name or presence changed it publishes a :class:`hub.events.CatalogChange` to every room of the shop
(``change`` says what happened: ``added``, ``updated``, ``removed``, ``sold_out``, ``restocked``); for each
shop order it publishes :class:`hub.events.Order` events, one per line, once per order (a "paid" after a
"placed" adds nothing; a refund is its own ``status = "refunded"``). It also keeps the metrics: webhook
outcomes (``livehub_shop_webhooks_total``) and the time from a webhook's arrival to the new catalog
(``livehub_shop_webhook_to_fact_seconds``, also in :attr:`ChangePublisher.latencies` for benchmarks).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from typing import TYPE_CHECKING, Any

from hub.events import HUB_PLATFORM, CatalogChange, Order, User

if TYPE_CHECKING:
    from hub.catalog import Product
    from hub.shop import CatalogConnector, ShopOrder

log = logging.getLogger("livehub.shop")


class ChangePublisher:
    """Publishes one shop connector's catalog changes and orders to the rooms that sell from it."""

    def __init__(self, connector: CatalogConnector) -> None:
        self.connector = connector
        self.latencies: deque[float] = deque(maxlen=10_000)  # seconds, webhook arrival → new catalog
        self._orders: OrderedDict[tuple[str, str], None] = OrderedDict()

    # -- metrics -------------------------------------------------------------------------------

    def _metric(self, kind: str, name: str, doc: str, labels: list[str]) -> Any:
        metric = getattr(self.connector.hub, "metric", None)
        if metric is None:
            return None
        import prometheus_client

        return metric(getattr(prometheus_client, kind), name, doc, labels)

    def count(self, outcome: str) -> None:
        """Count a webhook delivery's outcome (accepted, duplicate, refused)."""
        counter = self._metric("Counter", "livehub_shop_webhooks", "Shop webhook deliveries by outcome",
                               ["connector", "outcome"])
        if counter is not None:
            counter.labels(self.connector.name, outcome).inc()

    # -- rooms ---------------------------------------------------------------------------------

    def rooms(self) -> list[str]:
        """The rooms that sell from this shop."""
        shop_rooms = getattr(self.connector.hub, "shop_rooms", None)
        return shop_rooms(self.connector.name) if shop_rooms is not None else []

    # -- catalog changes -----------------------------------------------------------------------

    def changes(self, pairs: dict[str, tuple[Product | None, Product | None]], *,
                latency_from: float | None = None) -> None:
        """Publish what changed between each product's ``(before, after)`` (None: absent)."""
        if latency_from is not None:
            seconds = time.monotonic() - latency_from
            self.latencies.append(seconds)
            histogram = self._metric("Histogram", "livehub_shop_webhook_to_fact_seconds",
                                     "Seconds from a shop webhook's arrival to the catalog that holds it",
                                     ["connector"])
            if histogram is not None:
                histogram.labels(self.connector.name).observe(seconds)
        rooms = self.rooms()
        if not rooms:
            return
        for before, after in pairs.values():
            fields = _change(before, after)
            if fields is None:
                continue
            for room in rooms:
                self.connector.hub.publish_nowait(CatalogChange(platform=HUB_PLATFORM, room=room,
                                                                shop=self.connector.name, **fields))

    # -- orders --------------------------------------------------------------------------------

    def order(self, order: ShopOrder) -> None:
        """Publish a shop order's lines as :class:`Order` events (once per order, and once per refund)."""
        key = (order.order_id, "refunded" if order.status == "refunded" else "placed")
        if key in self._orders:
            return
        self._orders[key] = None
        if len(self._orders) > 100_000:
            self._orders.popitem(last=False)
        room = self._order_room(order.room)
        platform, user_id = self.connector.name, f"{self.connector.name}:{order.buyer_id or order.order_id}"
        if order.viewer and ":" in order.viewer:
            platform, user_id = order.viewer.split(":", 1)
        user = User(id=user_id, name=order.buyer_name)
        status = "refunded" if order.status == "refunded" else order.status
        for n, line in enumerate(order.lines):
            self.connector.hub.publish_nowait(Order(
                platform=platform, room=room, user=user, message_id=f"{self.connector.name}:{order.order_id}:"
                f"{status}:{n}", platform_ts=order.at or None, order_id=order.order_id, sku=line.sku,
                qty=line.qty, amount=line.amount, currency=order.currency, status=status,
                shop=self.connector.name, email=order.email))

    def _order_room(self, named: str | None) -> str:
        """The room an order belongs to: the one it names, else the shop's room on air, else its first."""
        rooms = self.rooms()
        if named and named in rooms:
            return named
        hub_rooms = getattr(self.connector.hub, "rooms", {})
        on_air = [r for r in rooms if r in hub_rooms and hub_rooms[r].state == "on_air"]
        return (on_air or rooms or [""])[0]


def _change(before: Product | None, after: Product | None) -> dict[str, Any] | None:
    """The fields of a :class:`CatalogChange` from ``before`` to ``after``, or None if nothing a viewer
    sees changed."""
    if before is None and after is None:
        return None
    product = after or before
    assert product is not None
    fields: dict[str, Any] = {"sku": product.sku, "link": product.link, "name": product.name,
                              "price": str(product.current_price), "stock": product.stock}
    if before is None:
        return {**fields, "change": "added"}
    if after is None:
        return {**fields, "change": "removed", "price_before": str(before.current_price),
                "stock_before": before.stock}
    if (before.current_price, before.price, before.stock, before.name) == (
            after.current_price, after.price, after.stock, after.name):
        return None
    change = "updated"
    if before.stock > 0 and after.stock == 0:
        change = "sold_out"
    elif before.stock == 0 and after.stock > 0:
        change = "restocked"
    return {**fields, "change": change, "price_before": str(before.current_price), "stock_before": before.stock}
