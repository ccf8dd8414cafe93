"""Issue #11 item 1: no drive-by control of a token-less hub.

With no API token (the default on 127.0.0.1) every loopback request is authorised, so before the fix any
web page the operator visited could drive the hub: a cross-origin ``text/plain`` "simple" POST (no CORS
preflight) started a show, made the host say a line or planted a schedule; a DNS-rebound name (``Host:
evil.example``) read and wrote the API as if it were the hub's own page; and a WebSocket from a foreign
Origin subscribed to every event. Each test below plays one of those attacks against a real token-less hub
listening on 127.0.0.1, and checks that the hub's own page (same Origin, JSON) still works.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.app import Hub
from hub.config import load_config
from tests.show.conftest import SPRING_SHOW as SHOW
from tests.show.conftest import show_config

ROOM = "main"
EVIL = "http://evil.example"
BUILTINS = ("hub.builtin.token_auth", "hub.builtin.recorder", "hub.builtin.schedule_api", "hub.builtin.rooms",
            "hub.builtin.event_api", "connectors.catalog_file", "connectors.local",
            "plugins.llm_catalog", "plugins.guardrails", "plugins.triage", "plugins.voice_espeak",
            "plugins.avatar_sprite", "plugins.scene_studio", "plugins.output_file",
            "plugins.show_runner")


def tokenless_config(tmp_path: Path, **web: Any) -> dict[str, Any]:
    data = show_config(tmp_path, web=True, scheduler=True)
    data["web"] = {"enabled": True, "host": "127.0.0.1", "port": 0, **web}  # no token: the default
    data["connectors"] = {**data["connectors"], "room": {"type": "local", "room": ROOM}}
    data["rooms"][ROOM] = {**data["rooms"][ROOM], "public": True}
    return data


async def start_hub(tmp_path: Path, **web: Any) -> Hub:
    (tmp_path / "shows").mkdir(exist_ok=True)
    (tmp_path / "shows" / "spring.toml").write_text(SHOW, encoding="utf-8")
    hub = Hub(load_config(data=tokenless_config(tmp_path, **web), env=False), builtins=BUILTINS,
              autoload=False)
    await hub.start()
    for connector in hub.connectors.values():
        assert await connector.wait_ready(10)
    return hub


@pytest.fixture(autouse=True)
def voice_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEHUB_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    running = await start_hub(tmp_path)
    try:
        yield running
    finally:
        await running.stop()



def own_origin(hub: Hub) -> str:
    return hub.web.url  # http://127.0.0.1:<port>


def simple_post(origin: str | None = EVIL) -> dict[str, str]:
    """The headers of a cross-origin "simple" request a browser sends without asking the server first."""
    headers = {"Content-Type": "text/plain;charset=UTF-8"}
    if origin is not None:
        headers["Origin"] = origin
    return headers


async def room_state(hub: Hub, client: aiohttp.ClientSession) -> dict[str, Any]:
    async with client.get(f"{hub.web.url}/api/v1/rooms/{ROOM}/state") as response:
        assert response.status == 200
        return await response.json()


async def schedules(hub: Hub, client: aiohttp.ClientSession) -> list[Any]:
    async with client.get(f"{hub.web.url}/api/v1/schedules") as response:
        assert response.status == 200
        data = await response.json()
    return data["schedules"] if isinstance(data, dict) else data


async def test_a_foreign_page_cannot_start_a_show_with_a_simple_post(hub: Hub, client) -> None:
    url = f"{hub.web.url}/api/v1/rooms/{ROOM}/show/start"
    async with client.post(url, data='{"show": "spring"}', headers=simple_post()) as response:
        assert response.status in (403, 415), await response.text()
        assert "error" in await response.json()
    assert not (await room_state(hub, client)).get("running")


async def test_a_foreign_page_cannot_make_the_host_speak(hub: Hub, client) -> None:
    room = f"{hub.web.url}/api/v1/rooms/{ROOM}"
    async with client.post(f"{room}/show/start", json={"show": "spring"},
                           headers={"Origin": own_origin(hub)}) as response:
        assert response.status == 201, await response.text()  # on air: a takeover would be said
    url = f"{room}/takeover"
    async with client.post(url, data='{"text": "buy crypto now"}', headers=simple_post()) as response:
        assert response.status in (403, 415), await response.text()
    async with client.post(url, json={"text": "buy crypto now"}, headers={"Origin": EVIL}) as response:
        assert response.status == 403, await response.text()  # JSON from a foreign Origin: refused too


async def test_a_foreign_page_cannot_plant_a_schedule(hub: Hub, client) -> None:
    url = f"{hub.web.url}/api/v1/schedules"
    body = '{"job_type": "audit.note", "args": {"message": "planted"}, "interval_s": 60}'
    async with client.post(url, data=body, headers=simple_post()) as response:
        assert response.status in (403, 415), await response.text()
    assert await schedules(hub, client) == []


async def test_a_simple_post_without_an_origin_is_refused_by_its_content_type(hub: Hub, client) -> None:
    # Browsers too old to send Origin still cannot send application/json cross-origin without a preflight.
    url = f"{hub.web.url}/api/v1/rooms/{ROOM}/show/start"
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        async with client.post(url, data='{"show": "spring"}', headers={"Content-Type": content_type}) as response:
            assert response.status == 415, (content_type, await response.text())
    assert not (await room_state(hub, client)).get("running")


async def test_a_foreign_page_cannot_post_a_viewer_comment(hub: Hub, client) -> None:
    body = '{"name": "x", "text": "hi", "viewer_id": "viewer-0123456789", "message_id": "m-drive-by-1"}'
    async with client.post(f"{hub.web.url}/live/{ROOM}/comments", data=body, headers=simple_post()) as response:
        assert response.status in (403, 415), await response.text()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "attacker.test:8080"])
async def test_a_rebound_host_name_is_refused(hub: Hub, client, host: str) -> None:
    base = hub.web.url
    async with client.get(f"{base}/api/v1/rooms/{ROOM}/state", headers={"Host": host}) as response:
        assert response.status in (403, 421), await response.text()
        assert "error" in await response.json()
    async with client.post(f"{base}/api/v1/rooms/{ROOM}/show/start", json={"show": "spring"},
                           headers={"Host": host, "Origin": f"http://{host}"}) as response:
        assert response.status in (403, 421), await response.text()
    assert not (await room_state(hub, client)).get("running")


@pytest.mark.parametrize("path", ["/api/v1/events/ws", f"/live/{ROOM}/feed"])
async def test_a_websocket_from_a_foreign_origin_is_refused(hub: Hub, client, path: str) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        async with client.ws_connect(f"{hub.web.url}{path}", origin=EVIL):
            pass
    assert refused.value.status == 403


@pytest.mark.parametrize("path", ["/api/v1/events/ws", f"/live/{ROOM}/feed"])
async def test_a_websocket_from_the_hubs_own_page_connects(hub: Hub, client, path: str) -> None:
    async with client.ws_connect(f"{hub.web.url}{path}", origin=own_origin(hub)) as ws:
        assert not ws.closed
    async with client.ws_connect(f"{hub.web.url}{path}") as ws:  # no Origin: not a browser
        assert not ws.closed


async def test_the_hubs_own_page_still_drives_the_show_with_json(hub: Hub, client) -> None:
    room = f"{hub.web.url}/api/v1/rooms/{ROOM}"
    headers = {"Origin": own_origin(hub)}
    async with client.post(f"{room}/show/start", json={"show": "spring", "duration_min": 1},
                           headers=headers) as response:
        assert response.status == 201, await response.text()
    assert (await room_state(hub, client))["running"]
    async with client.post(f"{room}/show/stop", headers=headers) as response:  # no body, no content type
        assert response.status == 200, await response.text()
    for host in ("localhost", "[::1]"):
        port = hub.web.port
        async with client.get(f"{hub.web.url}/healthz", headers={"Host": f"{host}:{port}"}) as response:
            assert response.status == 200


async def test_configured_hosts_and_origins_are_allowed(tmp_path: Path, client) -> None:
    hub = await start_hub(tmp_path, allowed_hosts=["hub.lan"], allowed_origins=["https://console.example"])
    try:
        base = hub.web.url
        async with client.get(f"{base}/api/v1/rooms/{ROOM}/state", headers={"Host": "hub.lan:8080"}) as response:
            assert response.status == 200
        async with client.get(f"{base}/healthz", headers={"Host": "other.lan"}) as response:
            assert response.status in (403, 421)
        async with client.post(f"{base}/api/v1/rooms/{ROOM}/pause", json={},
                               headers={"Origin": "https://console.example"}) as response:
            assert response.status == 409, await response.text()  # reached the handler: no show to pause
        async with client.post(f"{base}/api/v1/rooms/{ROOM}/pause", json={},
                               headers={"Origin": "http://hub.lan:8080", "Host": "hub.lan:8080"}) as response:
            assert response.status == 409, await response.text()  # the hub's own origin under an allowed name
    finally:
        await hub.stop()


def test_the_guard_folds_default_ports_and_refuses_opaque_origins() -> None:
    from hub.config import WebSettings
    from hub.web.common import DriveByGuard, split_host

    assert split_host("[::1]:8080") == ("::1", 8080) and split_host("LocalHost.") == ("localhost", None)
    assert split_host("evil.example:80") == ("evil.example", 80)
    guard = DriveByGuard(WebSettings())
    assert guard.origin_allowed("http://127.0.0.1", "127.0.0.1:80", "http")
    assert guard.origin_allowed("http://[::1]:8080", "[::1]:8080", "http")
    assert not guard.origin_allowed("http://127.0.0.1:8081", "127.0.0.1:8080", "http")
    assert not guard.origin_allowed("null", "127.0.0.1:8080", "http")
    assert not guard.origin_allowed("file://", "127.0.0.1:8080", "http")
    assert not guard.host_allowed("127.0.0.1.evil.example") and not guard.host_allowed("")
    assert guard.host_allowed("127.8.0.1:9000") and guard.host_allowed("localhost")


def test_a_hub_on_every_address_answers_to_its_ip_addresses_but_not_to_other_names() -> None:
    from hub.config import WebSettings
    from hub.web.common import DriveByGuard

    guard = DriveByGuard(WebSettings(host="0.0.0.0", allowed_hosts=["studio.lan"]))
    assert guard.host_allowed("192.168.1.20:8080") and guard.host_allowed("[fe80::1]:8080")
    assert guard.host_allowed("Studio.LAN:8080") and not guard.host_allowed("evil.example:8080")
    assert DriveByGuard(WebSettings(allowed_hosts=["*"])).host_allowed("anything.example")
    assert not DriveByGuard(WebSettings(host="10.0.0.5")).host_allowed("10.0.0.6")
    with pytest.raises(ValueError):
        WebSettings(allowed_origins=["console.example"])


async def test_refusals_are_logged_once_per_kind_a_minute(hub: Hub, client, caplog) -> None:
    url = f"{hub.web.url}/api/v1/rooms/{ROOM}/takeover"
    with caplog.at_level("WARNING", logger="livehub.web"):
        for _ in range(3):
            async with client.post(url, data='{"text": "x"}', headers=simple_post()) as response:
                assert response.status == 403
    refused = [r.getMessage() for r in caplog.records if r.name == "livehub.web" and "refused" in r.getMessage()]
    assert len(refused) == 1 and "403 refused (origin)" in refused[0] and EVIL in refused[0], refused
