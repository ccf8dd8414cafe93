"""Sales per room (plugins.sales): orders, units and GMV per currency net of refunds, live and after a restart;
refunded orders are not thanked (triage)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from hub.events import Order, User
from hub.testing import STARTER_CATALOG, feed, running_hub, wait_for
from plugins.sales.ledger import SalesLedger
from plugins.triage.engine import RoomEngine

ROOM = "main"


def config(tmp_path: Path) -> dict[str, Any]:
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
            "web": {"enabled": True, "port": 0},
            "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER_CATALOG)}},
            "rooms": {ROOM: {"locale": "zh-CN"}, "other": {"locale": "zh-CN"}}}


def order(n: int, sku: str, qty: int, amount: str | None, *, status: str = "placed", currency: str = "CNY",
          platform: str = "douyin", shop: str = "", room: str = ROOM) -> Order:
    return Order(platform=platform, room=room, user=User(f"v{n}", f"buyer{n}"), message_id=f"{shop}o{n}-{status}",
                 order_id=f"o{n}", sku=sku, qty=qty, amount=None if amount is None else Decimal(amount),
                 currency=currency, status=status, shop=shop)


async def sales(hub: Any, room: str = ROOM) -> dict[str, Any]:
    url = f"http://127.0.0.1:{hub.web.port}/api/v1/rooms/{room}/sales"
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


def orders_now() -> list[Order]:
    """Made when the test runs (an event's received time is when it was made: "the last minute" counts it)."""
    return [order(1, "TEA-001", 2, "336.00"), order(2, "MUG-002", 1, "89.00"),
            order(3, "TEA-001", 1, "20.00", currency="USD", platform="shop", shop="shop"),
            order(4, "SCARF-003", 1, None),  # a platform that gives no amount
            order(2, "MUG-002", 1, "89.00", status="refunded"),
            order(9, "TEA-001", 5, "840.00", room="other")]


async def test_the_room_s_gmv_is_per_currency_net_of_refunds_and_survives_a_restart(tmp_path: Path) -> None:
    async with running_hub(config=config(tmp_path)) as hub:
        events = orders_now()
        await feed(hub, *events, events[0])  # the first one delivered twice: counted once
        ledger = await wait_for(lambda: hub.rooms[ROOM].slots.get(SalesLedger))
        await wait_for(lambda: ledger.lines == 5, timeout=10)
        live = await sales(hub)
        assert live["gmv"] == {"CNY": "336.00", "USD": "20.00"}  # 336 + 89 - 89 refunded
        assert live["refunds"] == {"CNY": "89.00"} and live["refunded_orders"] == 1
        assert (live["orders"], live["units"], live["unpriced_lines"]) == (4, 4, 1)
        assert live["last_minute_units"] == 5  # the refund is not a sale
        assert live["products"][0] == {"sku": "TEA-001", "units": 3, "gmv": {"CNY": "336.00", "USD": "20.00"}}
        assert live["recent"][0]["status"] == "refunded" and live["recent"][0]["buyer"] == "buyer2"
        assert (await sales(hub, "other"))["gmv"] == {"CNY": "840.00"}
    async with running_hub(config=config(tmp_path)) as hub:  # read back from the database
        again = await sales(hub)
        for key in ("gmv", "refunds", "orders", "units", "unpriced_lines", "products"):
            assert again[key] == live[key], key


async def test_an_unknown_room_is_404(tmp_path: Path) -> None:
    async with running_hub(config=config(tmp_path)) as hub:
        url = f"http://127.0.0.1:{hub.web.port}/api/v1/rooms/nope/sales"
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            assert resp.status == 404 and "nope" in (await resp.json())["error"]


async def test_a_refunded_order_is_not_thanked(tmp_path: Path) -> None:
    async with running_hub(config=config(tmp_path)) as hub:
        refund = order(7, "TEA-001", 1, "168.00", status="refunded")
        placed = order(8, "TEA-001", 1, "168.00")
        await feed(hub, refund, placed)
        engine = await wait_for(lambda: hub.rooms[ROOM].slots.get(RoomEngine))
        await wait_for(lambda: refund.id in engine.log.decisions, timeout=10)
        decision = engine.log.decisions[refund.id]
        assert (decision.outcome, decision.reason) == ("ignored", "refunded")
        assert engine.log.decisions.get(placed.id) is None  # the placed order waits in the thank-you batch
