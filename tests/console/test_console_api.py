"""The console page and its two API routes: the audit log and the catalog, behind the API token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.app import Hub

STARTER = Path(__file__).resolve().parents[2] / "hub" / "starter" / "catalog.json"
TOKEN = "console-test-token-7d1e"
TOKEN_ENV = "LIVEHUB_CONSOLE_TEST_TOKEN"


@pytest.fixture
async def hub(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Hub]:
    from hub.testing import running_hub

    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    config = {"web": {"enabled": True, "port": 0, "token": {"env": TOKEN_ENV}},
              "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER)}}}
    async with running_hub(config=config) as running:
        assert await running.connectors["shop"].wait_ready(10)
        yield running



AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def test_the_console_page_needs_no_token_and_carries_the_stable_test_ids(hub, client) -> None:
    async with client.get(f"{hub.web.url}/console") as response:
        assert response.status == 200 and response.headers["X-Frame-Options"] == "DENY"
        page = await response.text()
    for testid in ("takeover-input", "takeover-send", "stage-select", "pause-button", "resume-button",
                   "counter-comments", "counter-answered", "counter-aggregated", "counter-dropped",
                   "counter-blocked"):
        assert f'data-testid="{testid}"' in page
    async with client.get(f"{hub.web.url}/assets/console/console.js") as response:
        script = await response.text()
    for testid in ("queue-item", "approve-button", "skip-button", "pin-button"):
        assert f'"{testid}"' in script
    assert TOKEN not in page + script


async def test_the_audit_log_needs_the_token_and_lists_newest_first(hub, client) -> None:
    url = f"{hub.web.url}/api/v1/audit"
    async with client.get(url) as response:
        assert response.status == 401
    await hub.storage.audit("operator", "takeover", "main", {"text": "大家好"})
    await hub.storage.audit("operator", "stage", "main", {"sku": "MUG-002"})
    async with client.get(url + "?limit=2", headers=AUTH) as response:
        entries = (await response.json())["entries"]
    assert [(e["actor"], e["action"], e["target"], e["detail"]) for e in entries] == [
        ("operator", "stage", "main", {"sku": "MUG-002"}), ("operator", "takeover", "main", {"text": "大家好"})]
    for bad in ("0", "501", "many"):
        async with client.get(f"{url}?limit={bad}", headers=AUTH) as response:
            assert response.status == 400 and (await response.json())["field"] == "limit"


async def test_the_catalog_lists_products_in_link_order(hub, client) -> None:
    async with client.get(f"{hub.web.url}/api/v1/catalog") as response:
        assert response.status == 401
    async with client.get(f"{hub.web.url}/api/v1/catalog", headers=AUTH) as response:
        data = await response.json()
    assert data["shop"]["currency"] == "CNY"
    assert [(p["link"], p["sku"]) for p in data["products"]] == [(1, "TEA-001"), (2, "MUG-002"), (3, "SCARF-003")]
    assert data["products"][0]["promo_price"] == "128.00"
