"""Where the server may listen, who counts as local, and that the API token never leaks."""

from __future__ import annotations

import asyncio
import logging
from unittest import mock

import aiohttp
import pytest
from aiohttp.test_utils import make_mocked_request

from hub.app import Hub
from hub.builtin import token_auth
from hub.config import WebSettings
from hub.errors import ConfigError
from hub.events import Comment
from hub.secrets import MASK, SecretValue
from hub.web.common import bind_problem, is_loopback_host
from tests.web.webhub import TOKEN, auth, make_hub


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.9.8.7", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("::ffff:127.0.0.1", True), ("0.0.0.0", False), ("::", False), ("192.168.1.10", False),
    ("example.com", False), ("", False),
])
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_bind_problem_needs_a_token_beyond_loopback() -> None:
    assert bind_problem(WebSettings(host="127.0.0.1")) is None
    problem = bind_problem(WebSettings(host="0.0.0.0"))
    assert problem is not None and problem.startswith("web.host:") and "token" in problem
    assert bind_problem(WebSettings(host="0.0.0.0", token=SecretValue("x" * 20, "env:T"))) is None


async def test_hub_refuses_to_listen_beyond_loopback_without_a_token(tmp_path) -> None:
    hub = make_hub(tmp_path, host="0.0.0.0")
    with pytest.raises(ConfigError) as caught:
        await hub.start()
    assert caught.value.problems[0].startswith("web.host:")
    assert hub.ready is False


async def test_port_in_use_is_a_config_error(hub: Hub, tmp_path) -> None:
    (tmp_path / "other").mkdir()
    other = make_hub(tmp_path / "other", port=hub.web.port)
    with pytest.raises(ConfigError) as caught:
        await other.start()
    assert caught.value.problems[0].startswith("web.port:")


def _request(peer: str, headers: dict[str, str] | None = None, path: str = "/api/v1/status"):
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda key, default=None: (peer, 5000) if key == "peername" else default
    return make_mocked_request("GET", path, headers=headers or {}, transport=transport)


def test_token_auth_without_token_allows_only_loopback_peers() -> None:
    hub = mock.Mock()
    hub.config.web.token = None
    assert token_auth.livehub_authorize(request=_request("127.0.0.1"), hub=hub) is True
    assert token_auth.livehub_authorize(request=_request("::1"), hub=hub) is True
    assert token_auth.livehub_authorize(request=_request("10.1.2.3"), hub=hub) is False


def test_token_auth_with_token_ignores_the_peer() -> None:
    hub = mock.Mock()
    hub.config.web.token = SecretValue(TOKEN, "env:T")
    assert token_auth.livehub_authorize(request=_request("127.0.0.1"), hub=hub) is False
    assert token_auth.livehub_authorize(request=_request("10.1.2.3", auth()), hub=hub) is True
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade"}
    ws = _request("10.1.2.3", upgrade, path=f"/api/v1/events/ws?token={TOKEN}")
    assert token_auth.livehub_authorize(request=ws, hub=hub) is True
    plain = _request("10.1.2.3", path=f"/api/v1/status?token={TOKEN}")
    assert token_auth.livehub_authorize(request=plain, hub=hub) is False


async def test_the_token_appears_in_no_response_and_no_log(
        hub: Hub, client: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # access log included
    seen: list[str] = []

    async def fetch(method: str, path: str, **kwargs) -> aiohttp.ClientResponse:
        async with client.request(method, f"{hub.web.url}{path}", **kwargs) as resp:
            seen.append(await resp.text())
            seen.extend(f"{k}: {v}" for k, v in resp.headers.items())
            return resp

    for path in ("/healthz", "/readyz", "/metrics", "/api/v1/openapi.json", "/api/v1/status",
                 "/api/v1/plugins", "/api/v1/connectors", "/api/v1/test/boom", "/api/v1/nowhere"):
        await fetch("GET", path, headers=auth())
        await fetch("GET", path, headers=auth(TOKEN + "x"))
    await fetch("GET", f"/api/v1/status?token={TOKEN}")
    await fetch("POST", "/api/v1/events", headers=auth(), json={"type": "comment", "platform": "t",
                                                                 "room": "r", "text": 3})
    leak = await fetch("GET", "/api/v1/test/leak", headers=auth())
    assert leak.status == 200 and MASK in seen[-len(leak.headers) - 1]  # the redactor caught it
    async with client.ws_connect(f"{hub.web.url}/api/v1/events/ws", params={"token": TOKEN}) as ws:
        await hub.publish(Comment(platform="t", room="r", text=f"viewer pasted {TOKEN}"))
        seen.append((await ws.receive(timeout=10)).data)
    assert MASK in seen[-1]  # a secret inside an event is masked on the stream too
    assert len(seen) > 40 and not [s for s in seen if TOKEN in s]
    for _ in range(200):  # the WebSocket's access line is written once its handler ends; bounded poll
        if any("GET /api/v1/events/ws" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.05)
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    access = [r.getMessage() for r in caplog.records if r.name == "livehub.web.access"]
    assert any(line.startswith("GET /api/v1/events/ws 101 ") for line in access)  # no query string
    assert TOKEN not in logged
