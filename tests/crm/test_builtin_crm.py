"""The built-in CRM: one contact per person across platforms, written through the outbox; an order's email
merges two platforms' accounts with a history, two people with different addresses are never merged; notes and
deals on the timeline; /api/v1/contacts; a key that is not an account or an email is refused for good."""

from __future__ import annotations

from typing import Any

import aiohttp

from hub.testing import running_hub, wait_for


def config(database_url: str) -> dict[str, Any]:
    return {"hub": {"database_url": database_url}, "web": {"enabled": True, "port": 0},
            "connectors": {"crm": {"type": "builtin_crm"}}}


async def get(hub: Any, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{hub.web.port}{path}") as resp:
        return resp.status, await resp.json()


async def delivered(crm: Any, sent: int, failed: int = 0) -> None:
    await wait_for(lambda: crm.counts["sent"] == sent and crm.counts["failed"] == failed, timeout=10)


async def test_an_email_joins_two_platforms_accounts_and_distinct_people_stay_apart(tmp_path, db_url) -> None:
    url = db_url if db_url.startswith("postgresql") else f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    async with running_hub(config=config(url)) as hub:
        crm = hub.connectors["crm"]
        await crm.upsert_contact("douyin:d1", {"name": "小红"})
        await crm.upsert_contact("tiktok:t1", {"name": "Hong", "email": "hong@example.com"})
        await crm.add_note("douyin:d1", "asked the price of link 2", product="TEA-001")
        await crm.upsert_contact("bilibili:b1", {"name": "Ming", "email": "ming@example.com"})
        await delivered(crm, 4)
        _, before = await get(hub, "/api/v1/contacts")
        assert len(before["contacts"]) == 3
        # an order on Douyin gives d1's email: the TikTok buyer's address, so one person
        await crm.upsert_contact("douyin:d1", {"email": "Hong@example.com", "phone": "+86 138"})
        # Ming's Bilibili account claims Hong's address too, but Ming has an address of his own: two people
        await crm.upsert_contact("bilibili:b1", {"email": "hong@example.com"})
        await crm.upsert_deal("order-9", "douyin:d1", {"title": "order 9", "amount": "336.00"})
        await delivered(crm, 7)
        status, listed = await get(hub, "/api/v1/contacts")
        people = {tuple(p["accounts"]): p for p in listed["contacts"]}
        assert set(people) == {("douyin:d1", "tiktok:t1"), ("bilibili:b1",)}
        hong = people[("douyin:d1", "tiktok:t1")]
        assert (hong["email"], hong["phone"]) == ("hong@example.com", "+86 138")
        _, detail = await get(hub, f"/api/v1/contacts/{hong['id']}")
        kinds = [a["kind"] for a in detail["timeline"]]
        assert kinds == ["note", "merged", "merge_refused", "deal"], kinds
        assert detail["timeline"][0]["data"] == {"product": "TEA-001"}
        merged_away = max(p for p in (1, 2) if p != hong["id"])
        assert (await get(hub, f"/api/v1/contacts/{merged_away}"))[1]["id"] == hong["id"]
        _, ming = await get(hub, f"/api/v1/contacts/{people[('bilibili:b1',)]['id']}")
        assert ming["email"] == "ming@example.com" and [a["kind"] for a in ming["timeline"]] == ["merge_refused"]


async def test_a_key_that_is_no_account_or_email_is_refused_for_good(tmp_path) -> None:
    async with running_hub(config=config(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")) as hub:
        crm = hub.connectors["crm"]
        await crm.upsert_contact("nobody", {"name": "?"})
        await crm.upsert_contact("douyin:ok", {"name": "ok"})
        await delivered(crm, 1, 1)
        _, outbox = await get(hub, "/api/v1/crm/outbox?state=failed")
        assert "not an account" in outbox["entries"][0]["last_error"]
        _, found = await get(hub, "/api/v1/contacts?q=ok")
        assert [p["accounts"] for p in found["contacts"]] == [["douyin:ok"]]
        assert (await get(hub, "/api/v1/contacts/999"))[0] == 404
