"""The console shows a CRM connector's outbox next to its state (headless Chromium)."""

from __future__ import annotations

import pytest

from hub.testing import STARTER_CATALOG, running_hub, wait_for
from tests.crm.test_outbox import MemoryCrm, Plugin, reset
from tests.environment import CHROMIUM, CHROMIUM_FLAGS, need_chromium

pytestmark = pytest.mark.slow


async def test_the_console_shows_the_crm_outbox(tmp_path, monkeypatch) -> None:
    need_chromium()
    from playwright.async_api import async_playwright

    reset(monkeypatch)
    config = {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
              "web": {"enabled": True, "port": 0},
              "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER_CATALOG)},
                             "crm": {"type": "memory_crm"}},
              "rooms": {"main": {"locale": "zh-CN"}}}
    async with running_hub(plugins=[("memory_crm", Plugin())], config=config) as hub:
        crm = hub.connectors["crm"]
        await crm.upsert_contact("douyin:1", {"name": "Ann"})
        await crm.upsert_contact("douyin:2", {"email": "not-an-email"})
        await wait_for(lambda: crm.counts["sent"] == 1 and crm.counts["failed"] == 1, timeout=10)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            try:
                page = await browser.new_page()
                await page.goto(f"http://127.0.0.1:{hub.web.port}/console")
                row = page.locator("[data-testid=state-row]", has_text="connector crm")
                await row.first.wait_for(timeout=15_000)
                assert "outbox 0 pending, 1 sent, 1 failed" in await row.first.text_content()
            finally:
                await browser.close()
        assert MemoryCrm.received[0].payload["external_key"] == "douyin:1"
