"""Orders drive the show: "N sold in the last minute", said once per burst, refunds not counted."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

from hub.events import Order, User
from hub.testing import feed, wait_for
from plugins.show_runner.rundown import parse_rundown
from plugins.show_runner.service import show_service

from .conftest import FastClock, show_hub

ROOM = "main"


def order(n: int, sku: str, qty: int = 1, status: str = "placed") -> Order:
    return Order(platform="douyin", room=ROOM, user=User(f"v{n}", f"买家{n}"), message_id=f"o{n}-{status}",
                 order_id=f"o{n}", sku=sku, qty=qty, amount=Decimal("10.00") * qty, currency="CNY", status=status)


def moments(live: Any) -> list[Any]:
    return [ln for ln in live.bridge.history if ln.kind == "sales_moment"]


async def test_a_burst_of_orders_is_announced_once_and_refunds_do_not_count(tmp_path: Path) -> None:
    show = parse_rundown({"name": "sales", "room": ROOM, "round_gap_s": 30, "idle_fill_s": 600,
                          "sales_moment_units": 5, "sales_moment_window_s": 60, "sales_moment_gap_s": 600,
                          "segments": [{"sku": "TEA-001", "minutes": 10, "lines": ["好茶。"]}]})
    async with show_hub(tmp_path) as hub:
        live = await show_service(hub).start_show(ROOM, show, clock=FastClock(2.0))
        await wait_for(lambda: any(ln.kind == "pitch" for ln in live.bridge.history), timeout=30)
        await feed(hub, order(1, "TEA-001", 2), order(2, "MUG-002"), order(3, "TEA-001"),
                   order(4, "TEA-001", 3, status="refunded"))
        await wait_for(lambda: live.bridge.sold_since(0.0)[0] == 4, timeout=10)
        await asyncio.sleep(0.5)
        assert not moments(live)  # 4 units sold; the refund is not a sale
        await feed(hub, order(5, "TEA-001", 2))
        line = await wait_for(lambda: next(iter(moments(live)), None), timeout=30)
        assert "卖出了6件" in line.text and "1号链接" in line.text and line.sku == "TEA-001"
        await feed(hub, *(order(n, "MUG-002") for n in range(6, 12)))
        await asyncio.sleep(1.0)
        assert len(moments(live)) == 1 and live.run.moments == 1  # at most one per sales_moment_gap_s
        await show_service(hub).stop_show(ROOM)
