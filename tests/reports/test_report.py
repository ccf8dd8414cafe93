"""The post-show report: a broadcast with viewers, questions (some spam), orders and a rewritten line is
reported when its show ends (HTML with charts and JSON, written to the reports folder), by `livehub report`, by
the API, and from the console's Reports card, where the page opens offline (headless Chromium: no request
leaves the page)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.events import Order, RoomStats, StreamState, User
from hub.testing import comment, feed, running_hub, wait_for
from plugins.reports.service import ReportService
from plugins.show_runner.broadcasts import record_end, record_start
from tests.cli.conftest import cli  # noqa: F401 - the fixture
from tests.crm.test_customers import config, settled
from tests.environment import CHROMIUM, CHROMIUM_FLAGS, need_chromium

ROOM = "test-room"


async def play_show(hub: Any) -> int:
    """A short broadcast: three viewers' questions and a spam line, stats, two orders, one rewritten line."""
    await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
    broadcast = await record_start(hub, ROOM, "Spring tea", ends_ts=None, actor="test")
    await feed(hub, RoomStats(platform="douyin", room=ROOM, viewers=120, message_id="s1"),
               comment("how much is link 1?", user="ann", platform="douyin", message_id="q1"),
               comment("how do I buy link 1?", user="bob", platform="douyin", message_id="q2"),
               comment("is link 2 in stock?", user="cy", platform="douyin", message_id="q3"),
               comment("cheap followers at www.spam-shop.com", user="spam", platform="douyin", message_id="x1"),
               RoomStats(platform="douyin", room=ROOM, viewers=180, message_id="s2"))
    await feed(hub, Order(platform="douyin", room=ROOM, user=User("bob", "Bob"), message_id="o1", order_id="1",
                          sku="TEA-001", qty=2, amount=Decimal("336.00"), currency="CNY"),
               Order(platform="douyin", room=ROOM, user=User("dan", "Dan"), message_id="o2", order_id="2",
                     sku="CUP-002", qty=1, amount=Decimal("59.00"), currency="CNY"))
    await hub.storage.audit(actor="guardrails", action="output_rewritten", target=ROOM,
                            detail={"reasons": ["banned term '最低价' (claims) rewritten"]})
    await settled(hub)
    await wait_for(lambda: hub.slots.get(ReportService).recorder.written + len(
        hub.slots.get(ReportService).recorder._rows) >= 4, timeout=10)
    await record_end(hub, broadcast, "finished")
    await feed(hub, StreamState(platform="livehub", room=ROOM, output="show", state="ended"))
    return int(broadcast)


def check_figures(report: dict[str, Any]) -> None:
    assert report["broadcast"]["title"] == "Spring tea" and report["peak_viewers"] == 180
    assert report["comments"] == 4
    assert report["questions"]["total"] == 3
    assert report["questions"]["by_intent"] == {"price": 1, "purchase": 1, "stock": 1}
    assert report["questions"]["by_product"] == {"TEA-001": 2, "CUP-002": 1}
    assert report["dropped"] == {"spam:link": 1}
    assert report["orders"]["count"] == 2 and report["orders"]["gmv"] == {"CNY": "395.00"}
    assert report["orders"]["by_product"]["TEA-001"]["units"] == 2
    assert report["conversion"] == {"askers": 3, "askers_who_bought": 1, "rate": 0.333}
    assert report["review"]["rewritten_lines"] == 1


async def test_a_show_s_report_is_written_when_it_ends_and_served(tmp_path: Path, db_url: str) -> None:
    settings = config(tmp_path, db_url)
    settings["plugins"]["reports"] = {"folder": str(tmp_path / "reports")}
    async with running_hub(config=settings) as hub:
        broadcast = await play_show(hub)
        page = tmp_path / "reports" / f"broadcast-{broadcast}.html"
        await wait_for(page.exists, timeout=10)
        check_figures(json.loads(page.with_suffix(".json").read_text()))
        text = page.read_text()
        assert text.count("<svg") >= 4 and "<script src" not in text and "cdn" not in text.lower()
        assert "Spring tea" in text and "spam:link" in text
        base = f"http://127.0.0.1:{hub.web.port}/api/v1/reports"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}?room={ROOM}") as resp:
                assert [b["id"] for b in (await resp.json())["broadcasts"]] == [broadcast]
            async with http.get(f"{base}/{broadcast}") as resp:
                check_figures(await resp.json())
            async with http.get(f"{base}/999") as resp:
                assert resp.status == 404


async def test_livehub_report_writes_the_page_and_the_json(tmp_path: Path, cli) -> None:  # noqa: F811
    db = tmp_path / "hub.db"
    async with running_hub(config=config(tmp_path, f"sqlite+aiosqlite:///{db}")) as hub:
        broadcast = await play_show(hub)
    (tmp_path / "livehub.toml").write_text(f'[hub]\ndatabase_url = "sqlite+aiosqlite:///{db}"\n')
    done = cli("report", str(broadcast), "--out", "out", check=True)
    assert "broadcast-" in done.stdout
    check_figures(json.loads((tmp_path / "out" / f"broadcast-{broadcast}.json").read_text()))
    assert cli("report", "999", "--out", "out").returncode == 1


@pytest.mark.slow
async def test_the_console_opens_a_broadcast_s_report_offline(tmp_path: Path) -> None:
    need_chromium()
    from playwright.async_api import async_playwright

    settings = config(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    settings["rooms"] = {ROOM: {"locale": "en"}}
    async with running_hub(config=settings) as hub:
        await play_show(hub)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            try:
                context = await browser.new_context()
                requested: list[str] = []
                context.on("request", lambda r: requested.append(r.url))
                page = await context.new_page()
                await page.goto(f"http://127.0.0.1:{hub.web.port}/console")
                link = page.locator("[data-testid=report-link]", has_text="Spring tea")
                await link.first.wait_for(timeout=15_000)
                async with page.expect_popup() as opened:
                    await link.first.click()
                report = await opened.value
                await report.wait_for_load_state()
                assert report.url.startswith("blob:") and await report.locator("svg").count() >= 4
                assert "Spring tea" in await report.title()
                here = f"http://127.0.0.1:{hub.web.port}/"  # the console's own calls; the report page asks nothing
                assert all(url.startswith((here, "blob:", "data:")) for url in requested), requested
            finally:
                await browser.close()
