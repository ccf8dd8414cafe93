"""Tenants in the CRM (#18 item 4): a tenant's rooms write their viewers only to the tenant's own CRM
connectors, the built-in CRM keeps each tenant's people and segments apart (the same account watching two
tenants' rooms is two people), and a tenant's token reads and changes only its own, through every CRM route;
the operator's token sees everyone's. Checked on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from hub.config import load_config
from hub.errors import ConfigError
from hub.events import Gift, User
from hub.secrets import SecretValue
from hub.testing import feed, running_hub, wait_for
from plugins.customers.service import CustomerService

ADMIN, ACME, BOLT = "admin-token-5e1d", "acme-token-0b2c", "bolt-token-7f3a"


def config(db_url: str) -> dict[str, Any]:
    return {"hub": {"database_url": db_url}, "web": {"enabled": True, "port": 0, "token": SecretValue(ADMIN, "t")},
            "rooms": {"acme-live": {}, "bolt-live": {}, "ops-live": {}},
            "connectors": {"acme-crm": {"type": "builtin_crm"}, "bolt-crm": {"type": "builtin_crm"},
                           "ops-crm": {"type": "builtin_crm"}},
            "plugins": {"customers": {"note_after_s": 3600, "consent_cache_s": 0}},
            "tenants": {"acme": {"token": SecretValue(ACME, "t"), "rooms": ["acme-live"], "connectors": ["acme-crm"]},
                        "bolt": {"token": SecretValue(BOLT, "t"), "rooms": ["bolt-live"], "connectors": ["bolt-crm"]}}}


def gift(room: str, n: int) -> Gift:
    return Gift(platform="douyin", room=room, user=User("ann", f"Ann of {room}"), message_id=f"g{n}", gift="rose",
                count=1)


async def test_each_tenants_viewers_go_to_its_own_crm_and_its_token_reads_only_its_own_people(db_url: str) -> None:
    async with running_hub(config=config(db_url)) as hub, aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{hub.web.port}"

        async def call(method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
            async with http.request(method, base + path, json=body,
                                    headers={"Authorization": f"Bearer {token}"}) as response:
                return response.status, await response.json(content_type=None)

        await feed(hub, gift("acme-live", 1), gift("bolt-live", 2), gift("ops-live", 3))
        crms = [hub.connectors[name] for name in ("acme-crm", "bolt-crm", "ops-crm")]
        await wait_for(lambda: all(c.counts["sent"] >= 1 for c in crms), timeout=15)
        assert [c.counts["sent"] for c in crms] == [1, 1, 1]  # each room's viewer reached its tenant's CRM only

        status, body = await call("GET", "/api/v1/contacts", ACME)
        assert status == 200 and [(p["name"], p["tenant"], p["accounts"]) for p in body["contacts"]] == [
            ("Ann of acme-live", "acme", ["douyin:ann"])]
        acme_ann = body["contacts"][0]["id"]
        everyone = (await call("GET", "/api/v1/contacts", ADMIN))[1]["contacts"]
        assert sorted(p["tenant"] for p in everyone) == ["", "acme", "bolt"]  # one account: a person per tenant
        assert [p["tenant"] for p in (await call("GET", "/api/v1/contacts?tenant=bolt", ADMIN))[1]["contacts"]] \
            == ["bolt"]
        assert (await call("GET", "/api/v1/contacts?tenant=nope", ADMIN))[0] == 400
        assert (await call("GET", f"/api/v1/contacts/{acme_ann}", BOLT))[0] == 404
        assert (await call("GET", f"/api/v1/contacts/{acme_ann}", ACME))[0] == 200
        assert (await call("DELETE", f"/api/v1/contacts/{acme_ann}", ACME))[0] == 403  # erasure: the operator's

        # consent is the tenant's record: acme's refusal leaves bolt's Ann as she was
        status, _ = await call("PUT", "/api/v1/contacts/consent", ACME,
                               {"key": "douyin:ann", "consent": "refused", "source": "acme's form"})
        assert status == 200
        consents = {p["tenant"]: p["consent"] for p in (await call("GET", "/api/v1/contacts", ADMIN))[1]["contacts"]}
        assert consents == {"acme": "refused", "bolt": "unknown", "": "unknown"}
        service = hub.slots.get(CustomerService)
        await feed(hub, gift("acme-live", 4), gift("bolt-live", 5))
        await wait_for(lambda: service.skipped == 1 and service.idle, timeout=15)  # acme's Ann: written no more

        # segments: a name per tenant, members of that tenant only
        assert (await call("PUT", "/api/v1/segments/fans", ACME, {"platform": "douyin"}))[0] == 200
        assert (await call("GET", "/api/v1/segments", BOLT))[1] == {"segments": []}
        assert (await call("GET", "/api/v1/segments/fans", BOLT))[0] == 404
        assert (await call("DELETE", "/api/v1/segments/fans", BOLT))[0] == 404
        assert (await call("PUT", "/api/v1/segments/fans", BOLT, {"consent": "unknown"}))[0] == 200
        status, fans = await call("GET", "/api/v1/segments/fans", ACME)
        assert status == 200 and [m["id"] for m in fans["members"]] == [acme_ann]
        bolt_fans = (await call("GET", "/api/v1/segments/fans", BOLT))[1]
        assert [m["name"] for m in bolt_fans["members"]] == ["Ann of bolt-live"]
        assert await crms[0].segment("fans") == fans["members"]  # what a campaign of acme's CRM would address
        assert (await call("PUT", "/api/v1/segments/vip", ADMIN, {"bought": {"at_least": 1}}))[0] == 200
        listed = (await call("GET", "/api/v1/segments", ADMIN))[1]["segments"]
        assert sorted((s["tenant"], s["name"]) for s in listed) == [("", "vip"), ("acme", "fans"), ("bolt", "fans")]
        own = (await call("GET", "/api/v1/segments?tenant=", ADMIN))[1]["segments"]  # the campaigns page's
        assert [s["name"] for s in own] == ["vip"]

        # the CRM outbox: one of its own connectors
        assert (await call("GET", "/api/v1/crm/outbox", BOLT))[0] == 400
        assert (await call("GET", "/api/v1/crm/outbox?connector=acme-crm", BOLT))[0] == 404
        status, outbox = await call("GET", "/api/v1/crm/outbox?connector=bolt-crm", BOLT)
        assert status == 200 and {e["connector"] for e in outbox["entries"]} == {"bolt-crm"}


def test_a_tenants_connectors_are_checked_at_start() -> None:
    data = config("sqlite+aiosqlite://")
    data["tenants"]["bolt"]["connectors"] = ["acme-crm", "nope"]
    data["connectors"]["acme-shop"] = {"type": "catalog_file", "path": "x.json"}
    data["tenants"]["acme"]["connectors"].append("acme-shop")
    data["rooms"]["bolt-live"] = {"shop": "acme-shop"}
    data["connectors"]["bolt-douyin"] = {"type": "douyin", "room": "acme-live"}
    data["tenants"]["bolt"]["connectors"].append("bolt-douyin")
    with pytest.raises(ConfigError) as caught:
        load_config(data=data, env=False)
    text = str(caught.value)
    assert "tenants.bolt.connectors: 'acme-crm' belongs to tenant 'acme' already" in text
    assert "tenants.bolt.connectors: no [connectors.nope] table" in text
    assert "rooms.bolt-live.shop: 'acme-shop' is tenant 'acme''s shop" in text
    assert "connectors.bolt-douyin.room: 'acme-live' is tenant 'acme''s room, but the connector is tenant 'bolt''s" \
        in text
