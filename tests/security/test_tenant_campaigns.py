"""Tenants' campaigns (#18 item 4): a campaign belongs to the tenant of its room; a tenant's token defines
campaigns on its own rooms only and sees, runs, approves and sends only its own; a campaign addresses only its
tenant's people; the audit log shows a tenant its own entries. The operator's token reaches everything."""

from __future__ import annotations

from typing import Any

import aiohttp

from hub.events import Gift, User
from hub.secrets import SecretValue
from hub.testing import STARTER_CATALOG, feed, running_hub, wait_for
from plugins.campaigns.sender import CampaignSender

ADMIN, ACME, BOLT = "admin-token-c4mp", "acme-token-c4mp", "bolt-token-c4mp"


def config(tmp_path: Any) -> dict[str, Any]:
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "locale": "en"},
            "web": {"enabled": True, "port": 0, "token": SecretValue(ADMIN, "t")},
            "rooms": {"acme-live": {"shop": "acme-shop"}, "bolt-live": {"shop": "bolt-shop"}},
            "connectors": {"acme-shop": {"type": "catalog_file", "path": str(STARTER_CATALOG)},
                           "bolt-shop": {"type": "catalog_file", "path": str(STARTER_CATALOG)},
                           "acme-crm": {"type": "builtin_crm"}, "bolt-crm": {"type": "builtin_crm"}},
            "tenants": {"acme": {"token": SecretValue(ACME, "t"), "rooms": ["acme-live"],
                                 "connectors": ["acme-shop", "acme-crm"]},
                        "bolt": {"token": SecretValue(BOLT, "t"), "rooms": ["bolt-live"],
                                 "connectors": ["bolt-shop", "bolt-crm"]}}}


async def test_a_tenant_reaches_only_the_campaigns_of_its_rooms_and_they_address_only_its_people(tmp_path) -> None:
    async with running_hub(config=config(tmp_path)) as hub, aiohttp.ClientSession() as http:
        async def call(method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
            async with http.request(method, f"http://127.0.0.1:{hub.web.port}/api/v1{path}", json=body,
                                    headers={"Authorization": f"Bearer {token}"}) as response:
                return response.status, await response.json(content_type=None)

        await wait_for(lambda: all(hub.connectors[s].state == "ready" for s in ("acme-shop", "bolt-shop")), 10)
        sku = hub.catalog("acme-live").products[0].sku
        spring = {"room": "acme-live", "products": [sku], "channels": ["post"], "variants": 1, "approval": "manual"}
        assert (await call("PUT", "/campaigns/acme-spring", ACME, spring))[0] == 200
        assert (await call("PUT", "/campaigns/acme-spring", BOLT, {**spring, "room": "bolt-live"}))[0] == 409
        status, error = await call("PUT", "/campaigns/raid", BOLT, spring)
        assert status == 403 and error["field"] == "room"
        assert (await call("PUT", "/campaigns/raid", BOLT, {**spring, "room": None}))[0] == 403
        assert (await call("GET", "/campaigns", BOLT))[1] == {"campaigns": []}
        for method, path in (("GET", "/campaigns/acme-spring"), ("POST", "/campaigns/acme-spring/run"),
                             ("POST", "/campaigns/acme-spring/send"), ("GET", "/campaigns/acme-spring/report"),
                             ("DELETE", "/campaigns/acme-spring")):
            assert (await call(method, path, BOLT))[0] == 404, (method, path)

        status, run = await call("POST", "/campaigns/acme-spring/run", ACME)
        assert status == 200 and run["counts"]["awaiting_approval"] >= 1, run
        items = (await call("GET", "/campaign-items", ACME))[1]["items"]
        assert items and {i["campaign"] for i in items} == {"acme-spring"}
        assert (await call("GET", "/campaign-items", BOLT))[1] == {"items": []}
        assert (await call("POST", f"/campaign-items/{items[0]['id']}/approve", BOLT))[0] == 404
        assert (await call("POST", f"/campaign-items/{items[0]['id']}/approve", ACME))[0] == 200
        assert (await call("POST", "/campaigns/acme-spring/send", ACME))[0] == 200
        assert (await call("GET", "/campaign-deliveries", BOLT))[1] == {"deliveries": []}
        assert [c["name"] for c in (await call("GET", "/campaigns", ADMIN))[1]["campaigns"]] == ["acme-spring"]

        # the audit log: a tenant reads its own entries (about its rooms and campaigns), the operator all
        await hub.storage.audit("operator", "show_start", "bolt-live", {})
        await hub.storage.audit("operator", "cluster.drain", "node-1", {})
        own = (await call("GET", "/audit?limit=500", ACME))[1]["entries"]
        assert {e["action"] for e in own} >= {"campaign.save", "campaign.run", "campaign.item.approve",
                                              "campaign.send"} and {e["tenant"] for e in own} == {"acme"}
        assert [(e["action"], e["target"]) for e in (await call("GET", "/audit", BOLT))[1]["entries"]] == [
            ("show_start", "bolt-live")]
        every = (await call("GET", "/audit?limit=500", ADMIN))[1]["entries"]
        assert len(every) == len(own) + 2 and {e["tenant"] for e in every} == {"acme", "bolt", None}

        # the audience: its tenant's people only (the same viewer in both tenants' rooms is two people)
        await feed(hub, *(Gift(platform="douyin", room=room, user=User("ann", f"Ann of {room}"), message_id=f"g-{room}",
                               gift="rose", count=1) for room in ("acme-live", "bolt-live")))
        await wait_for(lambda: all(hub.connectors[c].counts["sent"] >= 1 for c in ("acme-crm", "bolt-crm")), 15)

        sender = hub.slots.get(CampaignSender)  # the one the send above used
        assert [p["name"] for p in await sender.audience("", "acme")] == ["Ann of acme-live"]
        assert [p["name"] for p in await sender.audience("", "bolt")] == ["Ann of bolt-live"]
        assert await sender.audience("", None) == []  # the operator's people: none here
