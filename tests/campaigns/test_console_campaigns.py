"""The console's campaigns page: a person defines a campaign in a form, runs it, sees its run and its report
(headless Chromium; everything through the campaigns API)."""

from __future__ import annotations

import pytest

from hub.testing import running_hub, wait_for
from tests.campaigns.test_campaigns import call, write_catalog
from tests.environment import CHROMIUM, CHROMIUM_FLAGS, need_chromium

pytestmark = pytest.mark.slow


async def test_a_person_defines_runs_and_reads_a_campaign_on_the_campaigns_page(tmp_path) -> None:
    need_chromium()
    from playwright.async_api import async_playwright, expect

    catalog = tmp_path / "catalog.json"
    write_catalog(catalog, "168.00")
    config = {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "locale": "en"},
              "web": {"enabled": True, "port": 0}, "scheduler": {"enabled": True}, "rooms": {"main": {"locale": "en"}},
              "connectors": {"shop": {"type": "catalog_file", "path": str(catalog)}, "crm": {"type": "builtin_crm"}},
              "backends": {"channel": {"bundle": {"folder": str(tmp_path / "bundles")}}}}
    async with running_hub(config=config) as hub:
        await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            try:
                page = await browser.new_page()
                await page.goto(f"http://127.0.0.1:{hub.web.port}/console/campaigns")
                await page.locator("body[data-ready='1']").wait_for(timeout=15_000)
                await page.get_by_test_id("f-name").fill("cups")
                await page.get_by_test_id("f-products").fill("CUP-002")
                await page.locator("#f-channels input[value=bundle]").check()
                await page.locator("#f-kinds input[value=copy]").check()
                await page.get_by_test_id("f-approval").select_option("auto")
                await page.get_by_test_id("f-link").fill("https://shop.example/p/{sku}")
                await page.get_by_test_id("f-when").select_option("cron")
                await page.get_by_test_id("f-cron").fill("0 9 * * 1-5")
                await page.get_by_test_id("save").click()
                row = page.locator("[data-testid=campaign-row][data-name=cups]")
                await expect(row).to_contain_text("cron 0 9 * * 1-5", timeout=10_000)
                await row.get_by_test_id("run").click()
                await expect(row.get_by_test_id("last-run")).to_contain_text("done: 2 made", timeout=15_000)
                await row.get_by_test_id("send").click()
                await row.get_by_test_id("report").click()
                await expect(page.locator("[data-testid=report-row]")).to_have_count(2, timeout=10_000)
                await expect(page.locator("[data-testid=report-row]").first).to_contain_text("A1")
            finally:
                await browser.close()
        status, campaign = await call(hub, "GET", "/campaigns/cups")
        assert status == 200 and campaign["definition"]["channels"] == ["bundle"]
        assert campaign["definition"]["approval"] == "auto" and campaign["runs"][0]["status"] == "done"
        schedules = await hub.scheduler.list()
        assert [s["args"]["campaign"] for s in schedules if s["job_type"] == "campaign.run"] == ["cups"]
