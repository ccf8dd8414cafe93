"""Tenants' shows (#18 item 4): a tenant defines shows for its own rooms, lists its own (and the operator's shared
ones, which name no room), sees only its rooms' show state, and can never run another tenant's show: not through
the API, not through a schedule (the show runner refuses a show of one tenant's room on another's)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from hub.secrets import SecretValue
from hub.testing import STARTER_CATALOG, running_hub
from plugins.show_runner.service import ShowError, show_service

ADMIN, ACME, BOLT = "admin-token-sh0w", "acme-token-sh0w", "bolt-token-sh0w"


def config(tmp_path: Any) -> dict[str, Any]:
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "locale": "en"},
            "web": {"enabled": True, "port": 0, "token": SecretValue(ADMIN, "t")},
            "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER_CATALOG)}},
            "rooms": {"acme-live": {}, "bolt-live": {}},
            "tenants": {"acme": {"token": SecretValue(ACME, "t"), "rooms": ["acme-live"]},
                        "bolt": {"token": SecretValue(BOLT, "t"), "rooms": ["bolt-live"]}}}


async def test_a_tenant_defines_sees_and_runs_only_its_own_shows(tmp_path: Any) -> None:
    async with running_hub(config=config(tmp_path)) as hub, aiohttp.ClientSession() as http:
        async def call(method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
            async with http.request(method, f"http://127.0.0.1:{hub.web.port}/api/v1{path}", json=body,
                                    headers={"Authorization": f"Bearer {token}"}) as response:
                return response.status, await response.json(content_type=None)

        assert await hub.connectors["shop"].wait_ready(10)
        sku = hub.catalog("acme-live").products[0].sku
        secret = {"name": "acme-secret-sale", "room": "acme-live", "segments": [{"sku": sku, "minutes": 1}]}
        assert (await call("POST", "/shows", ACME, secret))[0] == 201
        assert (await call("POST", "/shows", ADMIN, {"name": "shared", "segments": [{"sku": sku, "minutes": 1}]}))[0] \
            == 201
        status, error = await call("POST", "/shows", BOLT, {**secret, "name": "raid"})
        assert status == 403 and error["field"] == "room"
        assert (await call("POST", "/shows", BOLT, {**secret, "room": "bolt-live"}))[0] == 409  # acme's name
        assert (await call("POST", "/shows", BOLT, {"name": "shared", "room": "bolt-live",
                                                    "segments": [{"sku": sku, "minutes": 1}]}))[0] == 409
        assert sorted(s["name"] for s in (await call("GET", "/shows", BOLT))[1]) == ["shared"]
        assert sorted(s["name"] for s in (await call("GET", "/shows", ACME))[1]) == ["acme-secret-sale", "shared"]
        assert [r["room"] for r in (await call("GET", "/shows/rooms", BOLT))[1]] == ["bolt-live"]

        status, error = await call("POST", "/rooms/bolt-live/show/start", BOLT, {"show": "acme-secret-sale"})
        assert status == 404 and "no show named" in error["error"]
        with pytest.raises(ShowError, match="another tenant's room"):  # what a scheduled show.start would meet
            await show_service(hub).start_show("bolt-live", "acme-secret-sale")
        assert (await call("POST", "/rooms/bolt-live/show/start", BOLT, {"show": "shared", "duration_min": 1}))[0] \
            == 201
        assert (await call("POST", "/rooms/bolt-live/show/stop", BOLT))[0] == 200
