"""Segments: saved filters over the built-in CRM's people, fed by a real room (questions, orders, two shows):
"asked the price of a product this week and did not buy", "bought twice", "first-time viewers"; refused
definitions say which key is wrong."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from hub.events import StreamState
from hub.testing import comment, feed, running_hub, wait_for
from tests.crm.test_customers import config, order, settled

SEGMENTS = {
    "asked-price-tea-no-buy": {"asked": {"intent": "price", "sku": "TEA-001", "within_days": 7},
                               "bought": {"sku": "TEA-001", "within_days": 7, "at_least": 0, "at_most": 0}},
    "bought-twice": {"bought": {"at_least": 2}},
    "first-time": {"visits": {"at_most": 1}},
}


async def call(hub: Any, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    url = f"http://127.0.0.1:{hub.web.port}{path}"
    async with aiohttp.ClientSession() as http, http.request(method, url, json=body) as resp:
        return resp.status, await resp.json()


async def show_ends(hub: Any) -> None:
    await settled(hub)
    await feed(hub, StreamState(platform="livehub", room="test-room", output="show", state="ended"))
    await settled(hub)
    crm = hub.connectors["crm"]
    await wait_for(lambda: crm.counts["pending"] == 0, timeout=10)


async def test_segments_select_people_by_what_they_asked_bought_and_how_often_they_came(tmp_path, db_url) -> None:
    async with running_hub(config=config(tmp_path, db_url, lead_after_s=3600)) as hub:
        await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
        await feed(hub, comment("how much is link 1?", user="ann", platform="douyin", message_id="a1"),
                   comment("what's the price of link 1?", user="bob", platform="douyin", message_id="b1"),
                   comment("is link 2 in stock?", user="cy", platform="douyin", message_id="c1"),
                   comment("how much is link 2?", user="dan", platform="douyin", message_id="d1"))
        await feed(hub, order("bob", "1", "TEA-001", "168.00"), order("bob", "2", "CUP-002", "59.00"))
        await show_ends(hub)
        await feed(hub, comment("is link 2 in stock?", user="dan", platform="douyin", message_id="d2"))
        await show_ends(hub)  # dan came to a second show
        for name, definition in SEGMENTS.items():
            assert (await call(hub, "PUT", f"/api/v1/segments/{name}", definition))[0] == 200
        members = {}
        for name in SEGMENTS:
            status, body = await call(hub, "GET", f"/api/v1/segments/{name}")
            assert status == 200 and body["count"] == len(body["members"])
            members[name] = sorted(a for m in body["members"] for a in m["accounts"])
        assert members == {"asked-price-tea-no-buy": ["douyin:ann"], "bought-twice": ["douyin:bob"],
                           "first-time": ["douyin:ann", "douyin:bob", "douyin:cy"]}
        crm = hub.connectors["crm"]  # the contract's read of a segment, for features that address one
        assert [m["accounts"] for m in await crm.segment("bought-twice")] == [["douyin:bob"]]
        with pytest.raises(LookupError):
            await crm.segment("no-such-segment")
        listed = (await call(hub, "GET", "/api/v1/segments"))[1]["segments"]
        assert [s["name"] for s in listed] == sorted(SEGMENTS)
        status, refused = await call(hub, "PUT", "/api/v1/segments/bad", {"bought": {"at_lest": 2}})
        assert status == 400 and refused["field"] == "bought.at_lest"
        assert (await call(hub, "DELETE", "/api/v1/segments/first-time"))[0] == 200
        assert (await call(hub, "GET", "/api/v1/segments/first-time"))[0] == 404
