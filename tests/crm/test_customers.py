"""From viewers to customers: questions, gifts and orders become contacts, one note per visit, leads and deals
in the CRM (the built-in one here), exactly once; an order in time withdraws the lead, a later one closes it;
the show's end writes the visit notes; the consent policy keeps what it must out of the CRM."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import aiohttp

from hub.events import Gift, Order, StreamState, User
from hub.testing import comment, feed, running_hub, wait_for
from plugins.customers.service import CustomerService

CATALOG = [{"sku": "TEA-001", "link": 1, "name": "Longjing tea", "price": "168.00", "stock": 10},
           {"sku": "CUP-002", "link": 2, "name": "Ceramic cup", "price": "59.00", "stock": 10}]


def config(tmp_path: Any, database_url: str, **customers: Any) -> dict[str, Any]:
    import json

    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"shop": {"name": "Tea", "currency": "CNY", "locale": "en"},
                                   "products": CATALOG}))
    return {"hub": {"database_url": database_url, "locale": "en"}, "web": {"enabled": True, "port": 0},
            "rooms": {"test-room": {"region": "EU"}},
            "connectors": {"shop": {"type": "catalog_file", "path": str(catalog)}, "crm": {"type": "builtin_crm"}},
            "plugins": {"customers": {"lead_after_s": 1.5, "note_after_s": 3600, **customers}}}


async def get(hub: Any, path: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{hub.web.port}{path}") as resp:
        return await resp.json()


async def settled(hub: Any) -> None:
    """Every event fed so far is handled by every bus subscriber (the triage has reported its questions) and
    the customers plugin has stored what they make in the outbox."""
    for sub in list(hub.bus._subs):
        await asyncio.wait_for(sub.reached(sub.mark()), 10)
    service = hub.slots.get(CustomerService)
    await wait_for(lambda: service.idle, timeout=10)


def order(user: str, order_id: str, sku: str, amount: str, **kw: Any) -> Order:
    return Order(platform="douyin", room="test-room", user=User(user, user.upper()), message_id=f"o-{order_id}",
                 order_id=order_id, sku=sku, qty=1, amount=Decimal(amount), currency="CNY", **kw)


async def test_questions_orders_and_gifts_become_contacts_visit_notes_leads_and_deals(tmp_path, db_url) -> None:
    async with running_hub(config=config(tmp_path, db_url)) as hub:
        crm = hub.connectors["crm"]
        await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
        await feed(hub, comment("how do I buy link 1?", user="ann", platform="douyin", message_id="c1"),
                   comment("how do I buy link 2?", user="bob", platform="douyin", message_id="c2"),
                   comment("how much is link 2?", user="ann", platform="douyin", message_id="c3"))
        await feed(hub, order("ann", "9001", "TEA-001", "168.00", email="ann@example.com"),
                   Gift(platform="douyin", room="test-room", user=User("bob", "BOB"), message_id="g1", gift="rose",
                        count=3))
        await settled(hub)
        # bob's lead falls due (no order within lead_after_s); ann's was withdrawn by her order
        await wait_for(lambda: crm.counts["sent"] >= 5, timeout=10)
        await feed(hub, order("bob", "9002", "CUP-002", "59.00"))  # after his lead went: it is closed, won
        await settled(hub)
        await feed(hub, StreamState(platform="livehub", room="test-room", output="show", state="ended"))
        await wait_for(lambda: crm.counts["pending"] == 0 and hub.slots.get(CustomerService).idle, timeout=10)
        people = {tuple(p["accounts"]): p for p in (await get(hub, "/api/v1/contacts"))["contacts"]}
        assert set(people) == {("douyin:ann",), ("douyin:bob",)}
        assert people[("douyin:ann",)]["email"] == "ann@example.com"
        ann = await get(hub, f"/api/v1/contacts/{people[('douyin:ann',)]['id']}")
        bob = await get(hub, f"/api/v1/contacts/{people[('douyin:bob',)]['id']}")
        ann_kinds = sorted(a["kind"] for a in ann["timeline"])
        assert ann_kinds == ["deal", "note"], ann["timeline"]  # her order's deal and one visit note; no lead
        note = next(a for a in ann["timeline"] if a["kind"] == "note")
        assert [(q["intent"], q["sku"]) for q in note["data"]["questions"]] == [("purchase", "TEA-001"),
                                                                               ("price", "CUP-002")]
        assert [o["order_id"] for o in note["data"]["orders"]] == ["9001"] and "Longjing" not in note["text"]
        deals = [a["data"] for a in bob["timeline"] if a["kind"] == "deal"]
        assert [(d["deal_key"], d["stage"]) for d in deals] == [
            ("lead:test-room:douyin:bob:CUP-002", "lead"), ("order:9002:CUP-002", "won"),
            ("lead:test-room:douyin:bob:CUP-002", "won")]
        assert "Ceramic cup" in deals[0]["title"]
        bob_note = next(a for a in bob["timeline"] if a["kind"] == "note")
        assert [g["gift"] for g in bob_note["data"]["gifts"]] == ["rose"] and len(bob_note["data"]["orders"]) == 1
        assert crm.counts["cancelled"] == 1 and crm.counts["failed"] == 0


async def test_the_consent_policy_keeps_viewers_out_of_the_crm_unless_they_said_yes(tmp_path, db_url) -> None:
    policy = {"default": "any", "regions": {"EU": "granted"}, "platforms": {"kuaishou": "none"}}
    async with running_hub(config=config(tmp_path, db_url, consent=policy)) as hub:
        async with aiohttp.ClientSession() as http:
            put = await http.put(f"http://127.0.0.1:{hub.web.port}/api/v1/contacts/consent",
                                 json={"key": "douyin:yes", "consent": "granted", "source": "checkout form"})
            assert put.status == 200
        await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
        await feed(hub, comment("how do I buy link 1?", user="yes", platform="douyin", message_id="c1"),
                   comment("how do I buy link 1?", user="unknown", platform="douyin", message_id="c2"),
                   comment("how do I buy link 1?", user="ks", platform="kuaishou", message_id="c3"))
        await feed(hub, order("unknown", "1", "TEA-001", "168.00"))
        await settled(hub)
        await feed(hub, StreamState(platform="livehub", room="test-room", output="show", state="ended"))
        crm = hub.connectors["crm"]
        await wait_for(lambda: crm.counts["pending"] == 0 and crm.counts["sent"] >= 2, timeout=10)
        contacts = (await get(hub, "/api/v1/contacts"))["contacts"]
        assert [p["accounts"] for p in contacts] == [["douyin:yes"]]  # the EU room needs a yes; kuaishou: never
        assert hub.slots.get(CustomerService).skipped == 3
