"""Tenants through the API (#18 item 4): the operator writes a tenant's file into ``[hub] tenants_dir`` (its token
into a file only the hub's user reads), checked with the whole config first (a problem answers 400 and writes
nothing); the next start serves the tenant; removing it works the same way; all audited."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.app import Hub
from hub.config import load_config

ADMIN, ACME = "admin-token-4411aa", "acme-token-0123456789"


async def call(hub: Hub, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.request(
            method, f"http://127.0.0.1:{hub.web.port}{path}", json=body,
            headers={"Authorization": f"Bearer {token}"}) as response:
        return response.status, await response.json(content_type=None)


async def started(path: Path) -> Hub:
    hub = Hub(load_config(path, env=False), autoload=False)
    await hub.start()
    return hub


async def test_the_operator_adds_and_removes_a_tenant_through_the_api(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_TENANTS_API_TOKEN", ADMIN)
    (tmp_path / "tenants").mkdir()
    path = tmp_path / "livehub.toml"
    path.write_text(f'[hub]\ndatabase_url = "sqlite+aiosqlite:///{tmp_path / "hub.db"}"\ntenants_dir = "tenants"\n'
                    '[web]\nport = 0\ntoken = {env = "ADMIN_TENANTS_API_TOKEN"}\n[rooms.main]\n', "utf-8")
    acme = {"title": "Acme Tea", "token": ACME, "rooms": {"acme-live": {"locale": "en"}},
            "connectors": {"acme-crm": {"type": "builtin_crm"}}}
    hub = await started(path)
    try:
        file, token_file = tmp_path / "tenants" / "acme.toml", tmp_path / "tenants" / "acme.token"
        status, body = await call(hub, "PUT", "/api/v1/tenants/acme", ADMIN, {**acme, "rooms": {"main": {}}})
        assert status == 400 and "rooms.main: a room of that name is defined already" in body["error"]
        status, body = await call(hub, "PUT", "/api/v1/tenants/acme", ADMIN, {**acme, "connectors": {
            "acme-crm": {"type": "no-such-type"}}})
        assert status == 400 and "no-such-type" in body["error"], body
        status, body = await call(hub, "PUT", "/api/v1/tenants/acme", ADMIN, {**acme, "token": ADMIN})
        assert status == 400 and "the same as the [web] token" in body["error"]
        assert not file.exists() and not token_file.exists()  # nothing written by a refused change

        status, body = await call(hub, "PUT", "/api/v1/tenants/acme", ADMIN, acme)
        assert status == 201 and body["restart_required"], body
        assert ACME not in file.read_text() and 'file = "acme.token"' in file.read_text()
        assert token_file.read_text() == ACME and stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert (await call(hub, "GET", "/api/v1/tenants", ADMIN))[1] == {"tenants": []}  # at the next start
        assert (await call(hub, "GET", "/api/v1/rooms", ACME))[0] == 401
        assert (await call(hub, "PUT", "/api/v1/tenants/acme", ADMIN, {"title": "Acme Tea House",
                                                                      "rooms": acme["rooms"]}))[0] == 200
        actions = [e["action"] for e in (await call(hub, "GET", "/api/v1/audit", ADMIN))[1]["entries"]]
        assert "tenant.create" in actions and "tenant.update" in actions
    finally:
        await hub.stop()

    hub = await started(path)
    try:
        status, rooms = await call(hub, "GET", "/api/v1/rooms", ACME)
        assert status == 200 and [r["name"] for r in rooms["rooms"]] == ["acme-live"], rooms
        tenants = (await call(hub, "GET", "/api/v1/tenants", ADMIN))[1]["tenants"]
        assert [(t["name"], t["title"], t["rooms"]) for t in tenants] == [("acme", "Acme Tea House", ["acme-live"])]
        assert (await call(hub, "GET", "/api/v1/tenants", ACME))[0] == 403  # the operator's
        assert (await call(hub, "DELETE", "/api/v1/tenants/acme", ADMIN))[0] == 200
        assert not file.exists() and not token_file.exists()
        assert (await call(hub, "DELETE", "/api/v1/tenants/acme", ADMIN))[0] == 404
    finally:
        await hub.stop()


async def test_without_a_tenants_folder_the_api_says_how_to_get_one(tmp_path: Path) -> None:
    from hub.testing import running_hub

    async with running_hub(config={"web": {"enabled": True, "port": 0}}) as hub:
        async with aiohttp.ClientSession() as http, http.put(
                f"http://127.0.0.1:{hub.web.port}/api/v1/tenants/acme", json={"token": ACME}) as response:
            assert response.status == 409 and "tenants_dir" in await response.text()
