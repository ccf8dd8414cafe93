"""The sales service: one :class:`~plugins.sales.ledger.SalesLedger` per room, fed by the bus, restored
from the database at start, and served at ``GET /api/v1/rooms/<room>/sales``."""

from __future__ import annotations

import logging
import time
from typing import Any

from aiohttp import web

from hub.events import EventFormatError, Order, from_dict
from hub.web import HUB_KEY, json_error, json_response
from plugins.sales.ledger import SalesLedger

log = logging.getLogger("livehub.sales")

RESTORE_S = 24 * 3600.0
"""Orders of the last day are read back from the database when the hub starts."""
RESTORE_LIMIT = 20_000


class SalesService:
    """Owns the bus subscription; the ledgers live on the rooms (``room.slots[SalesLedger]``)."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub
        self._subscription: Any = None

    async def start(self) -> None:
        self.hub.slots.set(SalesService, self)
        await self._restore()
        self._subscription = self.hub.bus.subscribe("sales", self.handle, types=("order",), maxsize=50_000)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self.hub.bus.unsubscribe(self._subscription, timeout=2.0)
            self._subscription = None

    def ledger(self, room: str) -> SalesLedger | None:
        target = self.hub.rooms.get(room)
        if target is None:
            return None
        return target.slots.setdefault(SalesLedger, lambda: SalesLedger(room, self._currency(room)))

    def _currency(self, room: str) -> str:
        try:
            catalog = self.hub.catalog(room)
        except Exception:  # noqa: BLE001 - no shop for the room: orders say their own currency
            return ""
        return catalog.shop.currency if catalog is not None and catalog.shop is not None else ""

    def handle(self, event: Any) -> None:
        if not isinstance(event, Order) or not event.room:
            return
        ledger = self.ledger(event.room)
        if ledger is not None:
            ledger.add(event)

    async def _restore(self) -> None:
        storage = getattr(self.hub, "storage", None)
        if storage is None:
            return
        since = time.time() - RESTORE_S
        for room in list(self.hub.rooms):
            rows = await storage.recent_events(limit=RESTORE_LIMIT, type="order", room=room.name)
            ledger = self.ledger(room.name)
            for row in reversed(rows):  # oldest first
                try:
                    event = from_dict(row)
                except EventFormatError as exc:
                    log.warning("sales: a stored order of room %s is unreadable: %s", room.name, exc)
                    continue
                if isinstance(event, Order) and event.received_ts >= since and ledger is not None:
                    ledger.add(event)


async def get_sales(request: web.Request) -> web.StreamResponse:
    """``GET /api/v1/rooms/{room}/sales``: the room's orders, units and GMV (see :class:`SalesLedger`)."""
    hub = request.app[HUB_KEY]
    service = hub.slots.get(SalesService)
    if service is None:
        return json_error(503, "the sales service is not running")
    ledger = service.ledger(request.match_info["room"])
    if ledger is None:
        return json_error(404, f"no room {request.match_info['room']!r}")
    return json_response(ledger.snapshot())
