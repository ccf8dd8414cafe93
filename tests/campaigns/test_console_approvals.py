"""The console lists campaign items waiting for approval; a click approves or rejects one (headless Chromium)."""

from __future__ import annotations

import pytest

from hub.testing import running_hub, wait_for
from tests.campaigns.test_campaigns import call, write_catalog
from tests.environment import CHROMIUM, CHROMIUM_FLAGS, need_chromium

pytestmark = pytest.mark.slow


async def test_a_person_approves_and_rejects_items_in_the_console(tmp_path) -> None:
    need_chromium()
    from playwright.async_api import async_playwright, expect

    catalog = tmp_path / "catalog.json"
    write_catalog(catalog, "168.00")
    config = {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "locale": "en"},
              "web": {"enabled": True, "port": 0}, "rooms": {"main": {"locale": "en"}},
              "connectors": {"shop": {"type": "catalog_file", "path": str(catalog)}}}
    async with running_hub(config=config) as hub:
        await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
        await call(hub, "PUT", "/campaigns/console", {"products": ["CUP-002"], "channels": ["post"]})
        await call(hub, "POST", "/campaigns/console/run")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            try:
                page = await browser.new_page()
                await page.goto(f"http://127.0.0.1:{hub.web.port}/console")
                rows = page.locator("[data-testid=approval]")
                await rows.nth(1).wait_for(timeout=15_000)
                assert "CUP-002" in await rows.first.text_content()
                await rows.first.locator("[data-testid=approve]").click()
                await expect(rows).to_have_count(1, timeout=10_000)  # (the console's CSP allows no eval)
                await rows.first.locator("[data-testid=reject]").click()
                await page.locator("#approvals-empty").wait_for(state="visible", timeout=10_000)
            finally:
                await browser.close()
        items = (await call(hub, "GET", "/campaign-items?campaign=console"))[1]["items"]
        assert sorted(i["state"] for i in items) == ["approved", "rejected"]
