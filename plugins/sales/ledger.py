"""A room's sales, live: orders, units and GMV per currency net of refunds, per product, per minute.

Every :class:`hub.events.Order` of the room (a platform's or a shop's) is one order *line*. A line counts
once per ``(source, order id, sku, status)`` — a redelivered event, or the same order read back from the
database at start, is not counted twice. ``placed`` and ``paid`` lines add (the publisher sends whichever the
hub heard of first, once); ``refunded`` lines subtract their units and amount. A line without an amount (some
platforms report only the SKU and quantity) counts in orders and units, and in ``unpriced_lines``, never in
GMV: the console shows a figure the hub cannot stand behind as missing, not as a guess.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from decimal import Decimal
from typing import Any

from hub.events import Order

__all__ = ["SalesLedger"]

RECENT_KEPT = 50
MINUTES_KEPT = 60
SEEN_KEPT = 100_000
WINDOW_KEPT_S = 600.0


class SalesLedger:
    """One room's sales since the hub started (and what it read back from the database then)."""

    def __init__(self, room: str, default_currency: str = "") -> None:
        self.room = room
        self.default_currency = default_currency
        self.orders: set[str] = set()
        self.refunded_orders: set[str] = set()
        self.units = 0
        self.lines = 0
        self.unpriced_lines = 0
        self.gmv: dict[str, Decimal] = {}
        self.refunds: dict[str, Decimal] = {}
        self.products: dict[str, dict[str, Any]] = {}
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT_KEPT)
        self.minutes: OrderedDict[int, int] = OrderedDict()  # minute (epoch // 60) → units sold in it
        self._seen: OrderedDict[tuple[str, str, str, str], None] = OrderedDict()
        self._latest: deque[tuple[float, int]] = deque()  # (when, units) of the last minutes' lines

    def add(self, order: Order) -> bool:
        """Count one order line; False when it was counted before."""
        source = order.shop or order.platform
        key = (source, order.order_id, order.sku, order.status)
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > SEEN_KEPT:
            self._seen.popitem(last=False)
        refund = order.status == "refunded"
        sign = -1 if refund else 1
        order_key = f"{source}:{order.order_id}"
        (self.refunded_orders if refund else self.orders).add(order_key)
        qty = max(0, int(order.qty))
        self.units += sign * qty
        self.lines += 1
        currency = order.currency or self.default_currency
        product = self.products.setdefault(order.sku, {"units": 0, "gmv": {}})
        product["units"] += sign * qty
        if order.amount is None:
            self.unpriced_lines += 1
        else:
            amount = Decimal(order.amount)
            self.gmv[currency] = self.gmv.get(currency, Decimal(0)) + sign * amount
            product["gmv"][currency] = product["gmv"].get(currency, Decimal(0)) + sign * amount
            if refund:
                self.refunds[currency] = self.refunds.get(currency, Decimal(0)) + amount
        when = order.received_ts or order.platform_ts or time.time()
        if not refund:
            minute = int(when // 60)
            self.minutes[minute] = self.minutes.get(minute, 0) + qty
            while len(self.minutes) > MINUTES_KEPT:
                self.minutes.popitem(last=False)
            self._latest.append((when, qty))
            while self._latest and self._latest[0][0] < when - WINDOW_KEPT_S:
                self._latest.popleft()
        self.recent.appendleft({
            "at": when, "order_id": order.order_id, "status": order.status, "sku": order.sku, "qty": qty,
            "amount": None if order.amount is None else str(order.amount), "currency": currency,
            "source": source, "buyer": order.user.name if order.user is not None else ""})
        return True

    def units_since(self, since: float) -> int:
        """Units sold (not refunded lines) at or after ``since`` (within the last ten minutes)."""
        return sum(qty for when, qty in self._latest if when >= since)

    def snapshot(self, now: float | None = None) -> dict[str, Any]:
        """What ``GET /api/v1/rooms/<room>/sales`` answers."""
        now = time.time() if now is None else now
        this_minute = int(now // 60)
        per_minute = [{"minute": (m * 60), "units": self.minutes.get(m, 0)}
                      for m in range(this_minute - MINUTES_KEPT + 1, this_minute + 1)]
        return {
            "room": self.room,
            "orders": len(self.orders),
            "refunded_orders": len(self.refunded_orders),
            "units": self.units,
            "lines": self.lines,
            "unpriced_lines": self.unpriced_lines,
            "gmv": {c: str(v) for c, v in sorted(self.gmv.items())},
            "refunds": {c: str(v) for c, v in sorted(self.refunds.items())},
            "last_minute_units": self.units_since(now - 60),
            "products": [{"sku": sku, "units": p["units"], "gmv": {c: str(v) for c, v in sorted(p["gmv"].items())}}
                         for sku, p in sorted(self.products.items(), key=lambda kv: -kv[1]["units"])],
            "per_minute": per_minute,
            "recent": list(self.recent),
        }
