"""End-to-end fixtures: ``livehub demo`` as a real subprocess, and Debian's Chromium driven by Playwright.

Browsers are never downloaded (``playwright install`` cannot work offline): Playwright launches
``/usr/bin/chromium`` with the headless flags of ``shared/notes/platform-facts.md``. Where Chromium is
missing the tests are skipped, except under ``CI``, where that is a failure.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.e2e.demo_process import DemoFailed, DemoServer, start_demo, stop_demo
from tests.environment import chromium, need_chromium

# The test shop: link 1 has a price no other product or template would produce.
LINK1_PRICE = "77"
TEST_CATALOG = {
    "shop": {"name": "测试小店 E2E Shop", "currency": "CNY", "locale": "zh-CN",
             "shipping": "全国包邮，48小时内发货", "returns": "7天无理由退货"},
    "products": [
        {"sku": "E2E-TEA", "link": 1, "name": "测试乌龙茶", "aliases": ["乌龙茶"], "price": "77.00", "stock": 50,
         "selling_points": ["高山茶园", "回甘持久"], "description": "测试用的乌龙茶。"},
        {"sku": "E2E-MUG", "link": 2, "name": "测试陶瓷杯", "aliases": ["杯子"], "price": "45.00", "stock": 20,
         "selling_points": ["陶瓷内胆", "保温六小时"], "description": "测试用的杯子。"},
        {"sku": "E2E-SCARF", "link": 3, "name": "测试丝巾", "aliases": ["丝巾"], "price": "130.00",
         "promo_price": "99.00", "stock": 10, "selling_points": ["桑蚕丝"], "description": "测试用的丝巾。"},
    ],
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """``livehub demo`` with :data:`TEST_CATALOG`, on a free port, ready (``/readyz`` 200)."""
    need_chromium()
    workdir = tmp_path_factory.mktemp("demo")
    catalog = workdir / "catalog.json"
    catalog.write_text(json.dumps(TEST_CATALOG, ensure_ascii=False), encoding="utf-8")
    try:
        server = start_demo(["--catalog", str(catalog), "--port", "0"], workdir,
                            tmp_path_factory.getbasetemp() / "voice-cache")
    except DemoFailed as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        stop_demo(server)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Headless Debian Chromium. Pages get ``bypass_csp`` contexts: the hub's pages forbid eval, which
    Playwright's ``wait_for_function`` needs."""
    async with chromium() as launched:
        yield launched


async def new_page(browser: Any, **options: Any) -> Any:
    context = await browser.new_context(bypass_csp=True, **options)
    return await context.new_page()
