"""EventSub against the stand-in: the close codes it enforces (4001, 4003, 4004), keepalive silence noticed by
the connector, revocations, and OAuth (refresh before expiry, a refused refresh is auth_failed)."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest

from connectors.twitch.client import KeepaliveTimeout, SessionClosed
from connectors.twitch.standin import TwitchStandin
from hub.testing import collect, comment, post_events, wait_for
from tests.twitch.helpers import ROOM, fast_retries, http_get, standin_post, twitch_hub


async def _raw_socket(standin: TwitchStandin, http: aiohttp.ClientSession) -> tuple[aiohttp.ClientWebSocketResponse, dict]:
    ws = await http.ws_connect(f"{standin.ws_url()}?keepalive_timeout_seconds=10")
    welcome = json.loads((await ws.receive(timeout=5)).data)
    assert welcome["metadata"]["message_type"] == "session_welcome"
    return ws, welcome["payload"]["session"]


async def test_an_unused_session_is_closed_4003_and_inbound_traffic_4001() -> None:
    async with TwitchStandin(keepalive="1") as standin, aiohttp.ClientSession() as http:
        ws, session = await _raw_socket(standin, http)
        assert session["keepalive_timeout_seconds"] == 1 and session["status"] == "connected"
        msg = await ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4003
        ws, _ = await _raw_socket(standin, http)
        await ws.send_str('{"hello": 1}')  # EventSub sockets are receive-only
        msg = await ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4001
        assert standin.closes == {4003: 1, 4001: 1}


async def test_a_subscription_needs_a_live_session_the_token_and_the_right_condition() -> None:
    async with TwitchStandin() as standin, aiohttp.ClientSession() as http:
        ws, session = await _raw_socket(standin, http)
        url = f"{standin.url}/helix/eventsub/subscriptions"
        headers = {"Authorization": f"Bearer {standin.access_token}", "Client-Id": standin.client_id}
        body = {"type": "channel.cheer", "version": "1", "condition": {"broadcaster_user_id": ROOM},
                "transport": {"method": "websocket", "session_id": session["id"]}}
        cases = [({}, body, 202), ({}, body, 409), ({"Authorization": "Bearer nope"}, body, 401),
                 ({}, {**body, "transport": {"method": "websocket", "session_id": "gone"}}, 400),
                 ({}, {**body, "version": "9"}, 400), ({}, {**body, "condition": {"broadcaster_user_id": "1"}}, 403)]
        for extra, payload, status in cases:
            async with http.post(url, json=payload, headers={**headers, **extra}) as resp:
                assert resp.status == status, (payload, await resp.text())
                assert resp.headers["Ratelimit-Limit"] == "800"
        await ws.close()


async def test_a_reconnect_ignored_is_closed_4004() -> None:
    from connectors.twitch.client import EventSubClient

    async with TwitchStandin(reconnect_grace="0.3") as standin, aiohttp.ClientSession() as http:
        ws, session = await _raw_socket(standin, http)
        async with http.post(f"{standin.url}/helix/eventsub/subscriptions", headers={
                "Authorization": f"Bearer {standin.access_token}", "Client-Id": standin.client_id}, json={
                "type": "stream.online", "version": "1", "condition": {"broadcaster_user_id": ROOM},
                "transport": {"method": "websocket", "session_id": session["id"]}}) as resp:
            assert resp.status == 202
        assert standin.request_reconnect() == 1
        frame = json.loads((await ws.receive(timeout=5)).data)
        assert frame["metadata"]["message_type"] == "session_reconnect"
        assert frame["payload"]["session"]["reconnect_url"].startswith(standin.ws_url())
        msg = await ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4004
        assert EventSubClient  # the connector's client follows the URL: see test_acceptance


async def test_keepalive_silence_is_noticed_and_the_connector_comes_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TwitchStandin(keepalive="1") as standin, \
            twitch_hub(tmp_path, standin, keepalive_margin_s=0.5) as hub:
        connector = hub.connectors["twitch"]
        with collect(hub, types={"connector_state", "comment"}) as seen:
            await standin_post(standin, "/_standin/twitch/stall", {"on": True})
            await wait_for(lambda: connector.state == "retrying", timeout=10)
            assert "KeepaliveTimeout" in connector.last_error
            status = json.loads(await http_get(hub, "/api/v1/status"))
            assert [c["state"] for c in status["connectors"] if c["name"] == "twitch"] == ["retrying"]
            await standin_post(standin, "/_standin/twitch/stall", {"on": False})
            await wait_for(lambda: connector.state == "ready", timeout=10)
            await post_events(standin, comment("还在吗", user="7", message_id="after-stall", room=ROOM))
            await wait_for(lambda: any(getattr(e, "message_id", "") == "after-stall" for e in seen), timeout=10)
        states = [e.state for e in seen if getattr(e, "connector", "") == "twitch"]
        assert "retrying" in states and "ready" in states[states.index("retrying"):]
        assert KeepaliveTimeout and SessionClosed


async def test_a_revocation_for_authorization_is_auth_failed_and_shown(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TwitchStandin() as standin, twitch_hub(tmp_path, standin) as hub:
        connector = hub.connectors["twitch"]
        await standin_post(standin, "/_standin/twitch/revoke", {"type": "channel.cheer", "status": "version_removed"})
        await wait_for(lambda: connector.revoked.get("channel.cheer") == "version_removed", timeout=10)
        assert connector.state == "ready" and connector.counts["revocations"] == 1
        await standin_post(standin, "/_standin/twitch/revoke", {"status": "authorization_revoked"})
        await wait_for(lambda: connector.state == "auth_failed", timeout=10)
        assert "authorization_revoked" in connector.last_error
        status = connector.status()
        assert status["counts"]["revocations"] >= 2 and "revoked" in status["subscriptions"]["channel.chat.message"]


async def test_the_token_is_refreshed_before_it_expires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TwitchStandin(token_ttl="200") as standin, twitch_hub(tmp_path, standin, refresh_margin_s=300) as hub:
        connector = hub.connectors["twitch"]
        assert standin.sent("token") and connector.status()["token"]["refreshes"] >= 1
        standin.tokens.pop(standin.access_token)  # the first token is gone: only refreshed ones work
        connector.post_chat("hello", key="r1")
        await wait_for(lambda: standin.sent("chat"), timeout=10)


async def test_a_refused_refresh_is_auth_failed_with_a_clear_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    standin = TwitchStandin()
    standin.revoke_tokens()  # the user disconnected the app: the token and its refresh token are dead
    async with standin, twitch_hub(tmp_path, standin, ready=False) as hub:
        connector = hub.connectors["twitch"]
        await wait_for(lambda: connector.state == "auth_failed", timeout=10)
        assert "refused to refresh" in connector.last_error and "Invalid refresh token" in connector.last_error
        assert standin.figures["token_refused"] == 1
