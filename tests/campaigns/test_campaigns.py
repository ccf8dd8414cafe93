"""Campaigns, first part (#17): a campaign is defined through the API and stored; a run makes copy per product ×
segment × channel in A/B variants from the catalog (within each channel's limits), reviewed by the guardrails
(a superlative claim is rewritten or blocked); a second run makes nothing again; a person approves or rejects
each item, and approving reviews it again against the catalog of now (a price changed since → blocked); each
run is a record, audited; the scheduler's job type runs it too."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import aiohttp

from hub.testing import running_hub, wait_for
from plugins.campaigns.jobs import JOB_TYPES
from tests.cli.conftest import cli  # noqa: F401 - the fixture

PRODUCTS = [
    {"sku": "TEA-001", "link": 1, "name": "Longjing tea", "price": "168.00", "stock": 50,
     "selling_points": ["picked before Qingming", "the lowest price ever"]},
    {"sku": "CUP-002", "link": 2, "name": "Ceramic cup", "price": "59.00", "stock": 8,
     "selling_points": ["keeps tea hot for hours"]},
]
CAMPAIGN = {"products": ["TEA-001", "CUP-002", "NOPE-9"], "segments": ["asked-price-no-buy", ""],
            "channels": ["email", "post"], "variants": 2, "approval": "manual",
            "link": "https://shop.example/p/{sku}"}


def write_catalog(path: Path, tea_price: str) -> None:
    products = [dict(p, price=tea_price) if p["sku"] == "TEA-001" else p for p in PRODUCTS]
    path.write_text(json.dumps({"shop": {"name": "Tea", "currency": "CNY", "locale": "en"}, "products": products}))


async def call(hub: Any, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    url = f"http://127.0.0.1:{hub.web.port}/api/v1{path}"
    async with aiohttp.ClientSession() as http, http.request(method, url, json=body) as resp:
        return resp.status, await resp.json()


async def test_a_campaign_makes_reviewed_variants_once_and_a_person_approves_them(tmp_path, db_url) -> None:
    catalog = tmp_path / "catalog.json"
    write_catalog(catalog, "168.00")
    config = {"hub": {"database_url": db_url, "locale": "en"}, "web": {"enabled": True, "port": 0},
              "connectors": {"shop": {"type": "catalog_file", "path": str(catalog), "reload_interval_s": 0.2}}}
    async with running_hub(config=config) as hub:
        await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
        status, refused = await call(hub, "PUT", "/campaigns/spring", {**CAMPAIGN, "channels": ["fax"]})
        assert status == 400 and "fax" in refused["error"]
        assert (await call(hub, "PUT", "/campaigns/spring", CAMPAIGN))[0] == 200

        status, run = await call(hub, "POST", "/campaigns/spring/run")
        assert status == 200 and run["status"] == "done", run
        counts = run["counts"]
        # 2 products × 2 segments × 2 channels × 2 variants; the unknown SKU is counted, not made
        assert counts["generated"] == 16 and counts["reused"] == 0 and counts["unknown_products"] == 1
        assert counts["awaiting_approval"] == 16 and counts["blocked"] == 0
        _, listed = await call(hub, "GET", f"/campaign-items?run={run['id']}")
        items = listed["items"]
        assert {(i["sku"], i["segment"], i["channel"], i["variant"]) for i in items} == {
            (sku, seg, ch, v) for sku in ("TEA-001", "CUP-002") for seg in ("asked-price-no-buy", "")
            for ch in ("email", "post") for v in ("A", "B")}
        for item in items:
            content = item["content"]
            assert (len(content["subject"]) <= 78 and content["subject"]) if item["channel"] == "email" \
                else content["subject"] == ""
            assert len(content["body"]) <= (4000 if item["channel"] == "email" else 280)
            assert item["state"] == "awaiting_approval" and "{link}" in content["body"], item
            assert "lowest price" not in (content["subject"] + content["body"]).lower()  # the guardrails' work
        cup = next(i for i in items if i["sku"] == "CUP-002" and i["channel"] == "email" and i["variant"] == "A")
        assert "59" in cup["content"]["body"] and cup["content"]["link"] == "https://shop.example/p/CUP-002"
        tea = next(i for i in items if i["sku"] == "TEA-001" and i["channel"] == "email" and i["variant"] == "B")
        assert "great price" in tea["content"]["body"] and "ad_law" in tea["reasons"][0]  # rewritten, kept

        _, again = await call(hub, "POST", "/campaigns/spring/run")  # the same facts: nothing generated twice
        assert again["counts"]["generated"] == 0 and again["counts"]["reused"] == 16

        waiting = (await call(hub, "GET", f"/campaign-items?run={again['id']}&state=awaiting_approval"))[1]["items"]
        tea = [i for i in waiting if i["sku"] == "TEA-001"]
        cups = [i for i in waiting if i["sku"] == "CUP-002"]
        status, approved = await call(hub, "POST", f"/campaign-items/{tea[0]['id']}/approve")
        assert status == 200 and approved["state"] == "approved" and approved["decided_by"] == "api"
        assert (await call(hub, "POST", f"/campaign-items/{tea[0]['id']}/approve"))[0] == 409
        assert (await call(hub, "POST", f"/campaign-items/{cups[0]['id']}/reject"))[1]["state"] == "rejected"

        write_catalog(catalog, "158.00")  # the price changes after the copy was made
        later = catalog.stat().st_mtime + 5  # noqa: ASYNC240 - a test's file
        os.utime(catalog, (later, later))
        await wait_for(lambda: str(hub.catalog().by_sku("TEA-001").price) == "158.00", timeout=10)
        status, stale = await call(hub, "POST", f"/campaign-items/{tea[1]['id']}/approve")
        assert stale["state"] == "blocked" and "price changed" in stale["reasons"][0]

        _, campaign = await call(hub, "GET", "/campaigns/spring")
        assert [r["status"] for r in campaign["runs"]] == ["done", "done"]
        audit = await hub.storage.recent_audit(50)
        assert [a["action"] for a in audit].count("campaign.run") == 2

        (job,) = JOB_TYPES  # the scheduler's job type runs it the same way: new facts, new copy
        await job.func(hub, **job.validate_args({"campaign": "spring"}))
        _, campaign = await call(hub, "GET", "/campaigns/spring")
        latest = campaign["runs"][0]
        assert latest["trigger"] == "schedule" and latest["counts"]["generated"] == 8  # TEA-001's items anew
        assert latest["counts"]["reused"] == 8


async def test_livehub_campaign_drives_a_running_hub(tmp_path, cli) -> None:  # noqa: F811
    import asyncio

    catalog = tmp_path / "catalog.json"
    write_catalog(catalog, "168.00")
    config = {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "locale": "en"},
              "web": {"enabled": True, "port": 0},
              "connectors": {"shop": {"type": "catalog_file", "path": str(catalog)}}}
    async with running_hub(config=config) as hub:
        await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
        await call(hub, "PUT", "/campaigns/cli", {"products": ["CUP-002"], "channels": ["post"], "variants": 1})
        url = f"http://127.0.0.1:{hub.web.port}"

        def livehub(*args: str) -> Any:
            return asyncio.to_thread(cli, "campaign", "--url", url, *args)

        assert "cli:" in (await livehub("list")).stdout
        ran = await livehub("run", "cli")
        assert ran.returncode == 0 and '"generated": 1' in ran.stdout
        listed = (await livehub("items", "cli", "--state", "awaiting_approval")).stdout
        item = listed.split()[0].lstrip("#")
        assert "CUP-002" in listed and (await livehub("approve", item)).stdout.strip() == "approved"
        refused = await livehub("approve", item)
        assert refused.returncode == 1 and "not awaiting approval" in refused.stderr


async def test_the_rule_next_show_takes_the_products_of_the_next_scheduled_show(tmp_path) -> None:
    from datetime import UTC, datetime, timedelta

    catalog = tmp_path / "catalog.json"
    write_catalog(catalog, "168.00")
    config = {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "locale": "en"},
              "web": {"enabled": True, "port": 0}, "scheduler": {"enabled": True},
              "connectors": {"shop": {"type": "catalog_file", "path": str(catalog)}}}
    async with running_hub(config=config) as hub:
        await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
        await call(hub, "PUT", "/campaigns/tomorrow", {"rule": "next_show", "channels": ["post"], "variants": 1})
        failed = (await call(hub, "POST", "/campaigns/tomorrow/run"))[1]
        assert failed["status"] == "failed" and "no show is scheduled" in failed["error"]
        for name, sku in (("later", "TEA-001"), ("tomorrow", "CUP-002")):
            assert (await call(hub, "POST", "/shows", {"name": name, "room": "main", "segments": [
                {"sku": sku, "minutes": 5}, {"sku": sku, "minutes": 5}]}))[0] in (200, 201)
        now = datetime.now(UTC)
        await hub.scheduler.add("show.start", {"show": "later", "room": "main"}, at=now + timedelta(days=2))
        await hub.scheduler.add("show.start", {"show": "tomorrow", "room": "main"}, at=now + timedelta(days=1))
        run = (await call(hub, "POST", "/campaigns/tomorrow/run"))[1]
        assert run["status"] == "done", run
        items = (await call(hub, "GET", f"/campaign-items?run={run['id']}"))[1]["items"]
        assert [i["sku"] for i in items] == ["CUP-002"]  # the soonest show's products, each once
