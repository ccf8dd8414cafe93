"""Tenants: a tenant's token reaches only routes about its own rooms and routes that show a tenant only its own
data (every other API route answers it 403), and a walk of every mounted route with one tenant's token, after the
operator gave another tenant data of every kind (events, shows, schedules, campaigns, segments, contacts, audit
entries, reports), finds nothing of the other's (#18 item 4)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import aiohttp
import pytest

from hub.config import load_config
from hub.errors import ConfigError
from hub.events import Comment, User
from hub.secrets import SecretValue
from hub.storage.tables import broadcasts
from hub.testing import STARTER_CATALOG, running_hub

ADMIN, ACME, BOLT = "admin-token-1f0c", "acme-token-77aa", "bolt-token-93bd"
SECRET_WORDS = "ACME-SECRET-7731"


def config(tmp_path: Any) -> dict[str, Any]:
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
            "web": {"enabled": True, "port": 0, "token": SecretValue(ADMIN, "test")},
            "scheduler": {"enabled": True},
            "connectors": {"acme-shop": {"type": "catalog_file", "path": str(STARTER_CATALOG)},
                           "bolt-shop": {"type": "catalog_file", "path": str(STARTER_CATALOG)}},
            "rooms": {"acme-live": {"title": "Acme", "shop": "acme-shop"},
                      "bolt-live": {"title": "Bolt", "shop": "bolt-shop"}},
            "tenants": {"acme": {"token": SecretValue(ACME, "test"), "rooms": ["acme-live"]},
                        "bolt": {"token": SecretValue(BOLT, "test"), "rooms": ["bolt-live"]}}}


def test_tenants_are_checked_at_start() -> None:
    data = {"web": {"token": SecretValue(ADMIN, "t")}, "rooms": {"a": {}},
            "tenants": {"x": {"token": SecretValue("t1", "t"), "rooms": ["a", "nope"]},
                        "y": {"token": SecretValue("t2", "t"), "rooms": ["a"]}}}
    with pytest.raises(ConfigError) as caught:
        load_config(data=data, env=False)
    text = str(caught.value)
    assert "tenants.x.rooms: no [rooms.nope] table" in text and "belongs to tenant 'x' already" in text
    with pytest.raises(ConfigError, match="a \\[web\\] token"):
        load_config(data={"rooms": {"a": {}}, "tenants": {"x": {"token": SecretValue("t1", "t"), "rooms": ["a"]}}},
                    env=False)


async def test_a_walk_of_every_route_with_one_tenants_token_finds_nothing_of_another(tmp_path: Any) -> None:
    async with running_hub(config=config(tmp_path)) as hub:
        await hub.publish_stored([Comment(platform="web", room="acme-live", user=User(id="u1", name="Ann"),
                                          message_id="c1", text=f"{SECRET_WORDS} how much?")])
        ids = {}
        async with hub.storage.engine.begin() as conn:  # a past show of each tenant, with its report
            for room in ("acme-live", "bolt-live"):
                result = await conn.execute(broadcasts.insert().values(
                    room=room, title=f"{room} show", status="ended", started_ts=time.time() - 600,
                    ended_ts=time.time() - 60, data={}))
                ids[room] = int(result.inserted_primary_key[0])
        base = f"http://127.0.0.1:{hub.web.port}"
        routes = [route for _, route in hub.web.mounted if route.auth]
        assert len(routes) > 50
        seen: dict[str, int] = {}
        async with aiohttp.ClientSession() as http:
            async def call(method: str, path: str, token: str, body: Any = None) -> tuple[int, str]:
                body = body if body is not None else ({} if method in ("POST", "PUT", "PATCH") else None)
                async with http.request(method, base + path, headers={"Authorization": f"Bearer {token}"},
                                        json=body) as response:
                    return response.status, await response.text()

            # the operator gives acme data of every kind: a show, its schedule, a campaign, a segment, a contact
            assert await hub.connectors["acme-shop"].wait_ready(10)
            sku = hub.catalog("acme-live").products[0].sku
            for method, path, body in (
                    ("POST", "/api/v1/shows", {"name": "acme-show-7731", "room": "acme-live",
                                               "segments": [{"sku": sku, "minutes": 1}]}),
                    ("POST", "/api/v1/schedules", {"job_type": "show.start", "at": "2099-01-01T20:00:00+00:00",
                                                   "args": {"show": "acme-show-7731", "room": "acme-live"}}),
                    ("PUT", "/api/v1/campaigns/acme-campaign-7731", {"room": "acme-live", "products": [sku],
                                                                     "channels": ["post"]}),
                    ("PUT", "/api/v1/segments/acme-segment-7731?tenant=acme", {"platform": "douyin"}),
                    ("PUT", "/api/v1/contacts/consent?tenant=acme", {"key": "douyin:acme-viewer-7731",
                                                                    "consent": "granted"})):
                status, answer = await call(method, path, ADMIN, body)
                assert status in (200, 201), (path, answer)
            assert "7731" in (await call("GET", "/api/v1/contacts", ACME))[1]  # acme's own: there

            for route in routes:
                path = route.path.replace("{room}", "acme-live")
                path = re.sub(r"\{[^}]+\}", "x", path)
                if route.path.endswith("/ws"):
                    continue  # a WebSocket: checked below
                status, body = await call(route.method, path, BOLT)
                seen[f"{route.method} {route.path}"] = status
                assert "7731" not in body and "acme" not in body.replace(path, ""), (route.path, status, body[:300])
                # a tenant's route answers its own (200), or refuses another's room or shop: 400, 403 or 404
                allowed = (403, 404) if "{room}" in route.path or not route.tenants else (200, 400, 403, 404)
                assert status in allowed, (route.method, route.path, status, body[:200])
            # its own rooms: reachable; the room list: only its own
            status, body = await call("GET", "/api/v1/rooms", BOLT)
            assert status == 200 and "bolt-live" in body and "acme-live" not in body
            assert (await call("GET", "/api/v1/rooms/bolt-live", BOLT))[0] == 200
            assert (await call("GET", "/api/v1/rooms/acme-live", ACME))[0] == 200
            status, body = await call("GET", "/api/v1/reports", BOLT)
            assert status == 200 and [b["room"] for b in json.loads(body)["broadcasts"]] == ["bolt-live"]
            assert (await call("GET", f"/api/v1/reports/{ids['acme-live']}", BOLT))[0] == 404
            assert (await call("GET", f"/api/v1/reports/{ids['acme-live']}/html", BOLT))[0] == 404
            status, body = await call("GET", f"/api/v1/reports/{ids['acme-live']}", ACME)
            assert status == 200 and SECRET_WORDS not in body  # (its own: the report has counts, not texts)
            status, body = await call("GET", "/api/v1/rooms", ADMIN)  # the operator sees every tenant
            assert status == 200 and "acme-live" in body and "bolt-live" in body
            assert (await call("GET", "/api/v1/events?room=acme-live", ADMIN))[0] in (200, 404, 405)
            # the live events: a tenant sees its rooms' only
            async with http.ws_connect(f"{base}/api/v1/events/ws?types=comment&token={BOLT}") as ws:
                for room, text in (("acme-live", SECRET_WORDS), ("bolt-live", "bolt's own")):
                    await hub.publish(Comment(platform="web", room=room, user=User(id="u2", name="Bo"), text=text))
                message = await asyncio.wait_for(ws.receive_json(), 10)
                assert message["room"] == "bolt-live"
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(ws.receive_json(), 0.5)
            assert (await call("GET", "/api/v1/catalog", BOLT))[0] == 404  # it names one of its rooms
            assert (await call("GET", "/api/v1/catalog?room=acme-live", BOLT))[0] == 404
            assert (await call("GET", "/api/v1/catalog?room=bolt-live", BOLT))[0] == 200
        assert sum(1 for status in seen.values() if status == 404) >= 5  # the room-scoped ones: another's room


def test_a_tenant_in_its_own_file_brings_its_token_rooms_and_connectors(tmp_path: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_TOKEN_FOR_TEST", ACME)
    (tmp_path / "tenants").mkdir()
    (tmp_path / "tenants" / "acme.toml").write_text("""
token = {env = "ACME_TOKEN_FOR_TEST"}
title = "Acme Tea"
[rooms.acme-live]
title = "Acme"
[connectors.acme-shop]
type = "catalog_file"
path = "acme.json"
""", encoding="utf-8")
    (tmp_path / "livehub.toml").write_text("""
[hub]
tenants_dir = "tenants"
[web]
token = {env = "ADMIN_TOKEN_FOR_TEST"}
[rooms.main]
""", encoding="utf-8")
    monkeypatch.setenv("ADMIN_TOKEN_FOR_TEST", ADMIN)
    cfg = load_config(tmp_path / "livehub.toml", env=False)
    assert cfg.tenants["acme"].rooms == ["acme-live"] and cfg.tenants["acme"].token.get() == ACME
    assert cfg.tenants["acme"].title == "Acme Tea" and set(cfg.rooms) == {"main", "acme-live"}
    assert cfg.raw_connectors["acme-shop"]["type"] == "catalog_file"
    assert ACME not in cfg.redactor.redact(f"token {ACME}")  # a tenant's token is a secret like any other

    (tmp_path / "tenants" / "bolt.toml").write_text("""
token = {env = "ACME_TOKEN_FOR_TEST"}
colour = "red"
[rooms.main]
[connectors.bolt-douyin]
type = "douyin"
room = "acme-live"
""", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "livehub.toml", env=False)
    text = str(caught.value)
    assert "bolt.toml: unknown key(s) colour" in text
    assert "bolt.toml: rooms.main: a room of that name is defined already" in text
    assert "bolt.toml: connectors.bolt-douyin.room: 'acme-live' is not a room of this tenant" in text


async def test_a_tenant_sees_and_changes_only_the_shops_schedules_and_events_of_its_own_rooms(tmp_path: Any) -> None:
    async with running_hub(config=config(tmp_path)) as hub:
        base = f"http://127.0.0.1:{hub.web.port}"
        async with aiohttp.ClientSession() as http:
            async def call(method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
                async with http.request(method, base + path, headers={"Authorization": f"Bearer {token}"},
                                        json=body) as response:
                    text = await response.text()
                    return response.status, (json.loads(text) if text else None)

            status, shops = await call("GET", "/api/v1/shops", BOLT)
            assert status == 200 and [(s["name"], s["rooms"]) for s in shops] == [("bolt-shop", ["bolt-live"])]
            status, shops = await call("GET", "/api/v1/shops", ADMIN)
            assert sorted(s["name"] for s in shops) == ["acme-shop", "bolt-shop"]
            assert (await call("GET", "/api/v1/shops/acme-shop/products", BOLT))[0] == 404
            assert await hub.connectors["bolt-shop"].wait_ready(10)
            status, catalog = await call("GET", "/api/v1/shops/bolt-shop/products", BOLT)
            assert status == 200 and catalog["products"]

            def show(room: str) -> dict[str, Any]:
                return {"job_type": "show.start", "args": {"show": "evening", "room": room},
                        "at": "2099-01-01T20:00:00+00:00"}

            assert (await call("POST", "/api/v1/schedules", ADMIN, show("acme-live")))[0] == 201
            status, error = await call("POST", "/api/v1/schedules", BOLT, show("acme-live"))
            assert status == 403 and error["field"] == "args.room"
            status, error = await call("POST", "/api/v1/schedules", BOLT, {"job_type": "audit.note",
                                                                           "args": {"message": "hi"}})
            assert status == 403  # a job on no room is the operator's
            status, created = await call("POST", "/api/v1/schedules", BOLT, show("bolt-live"))
            assert status == 201, created
            status, listed = await call("GET", "/api/v1/schedules", BOLT)
            assert status == 200 and [s["args"]["room"] for s in listed] == ["bolt-live"]
            status, listed = await call("GET", "/api/v1/schedules", ADMIN)
            assert sorted(s["args"]["room"] for s in listed) == ["acme-live", "bolt-live"]
            acme_id = next(s["id"] for s in listed if s["args"]["room"] == "acme-live")
            assert (await call("DELETE", f"/api/v1/schedules/{acme_id}", BOLT))[0] == 404
            assert (await call("DELETE", f"/api/v1/schedules/{created['id']}", BOLT))[0] == 204
            assert [s["args"]["room"] for s in (await call("GET", "/api/v1/schedules", ADMIN))[1]] == ["acme-live"]

            def event(room: str, n: int) -> dict[str, Any]:
                return {"type": "comment", "platform": "web", "room": room, "message_id": f"t{n}",
                        "user": {"id": "u1", "name": "Ann"}, "text": "hello"}

            status, error = await call("POST", "/api/v1/events", BOLT, [event("bolt-live", 1), event("acme-live", 2)])
            assert status == 403 and error["index"] == 1
            assert (await call("POST", "/api/v1/events", BOLT, [event("bolt-live", 3)]))[0] == 202
            await hub.events_stored(timeout=5)
            stored = [r["message_id"] for room in ("acme-live", "bolt-live")
                      for r in await hub.storage.recent_events(limit=10, type="comment", room=room)]
            assert stored == ["t3"]  # nothing of the refused post was taken
