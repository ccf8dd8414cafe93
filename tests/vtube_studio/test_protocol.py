"""The VTube Studio client against the stand-in: the authentication flow (a token asked for once, kept, reused;
a revoked one replaced; a denial is an auth error), request ids matched to answers, the API's errors, parameter
injection and hotkeys; and the stand-in's own rules."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import aiohttp
import pytest

from connectors.vtube_studio.client import (
    VtsAuthError,
    VtsClient,
    VtsConnectionError,
    VtsError,
    parse_message,
)
from connectors.vtube_studio.connector import TokenFile, VtsBridge
from connectors.vtube_studio.standin import VtsStandin
from tests.vtube_studio.conftest import client_of


async def test_a_token_is_asked_for_once_then_reused_and_a_revoked_one_is_replaced(vts: VtsStandin,
                                                                                  tmp_path: Path) -> None:
    tokens = TokenFile(tmp_path / "vts.token")
    bridge = VtsBridge(lambda: client_of(vts), tokens)
    try:
        await bridge.ensure()
        assert vts.token_requests == 1 and vts.authentications == 1
        assert stat.S_IMODE((tmp_path / "vts.token").stat().st_mode) == 0o600
        first = tokens.read()
        await bridge.close()
        await bridge.ensure()  # a new session: the kept token, no new request to the user
        assert vts.token_requests == 1 and vts.authentications == 2 and tokens.read() == first
        await bridge.close()
        vts.revoke()
        await bridge.ensure()  # revoked: asked again, and the new token kept
        assert vts.token_requests == 2 and tokens.read() != first
    finally:
        await bridge.close()


async def test_a_user_who_denies_the_plugin_is_an_auth_error_and_no_request_passes_unauthenticated(
        vts: VtsStandin) -> None:
    vts.allow = False
    client = client_of(vts)
    await client.connect()
    try:
        assert (await client.api_state())["currentSessionAuthenticated"] is False
        with pytest.raises(VtsError) as caught:
            await client.inject({"MouthOpen": 0.5})
        assert caught.value.error_id == 8 and isinstance(caught.value, VtsAuthError)
        with pytest.raises(VtsAuthError) as denied:
            await client.authenticate(None)
        assert denied.value.error_id == 50 and not client.authenticated
    finally:
        await client.close()


async def test_parameters_and_hotkeys_and_the_errors_vtube_studio_gives(vts: VtsStandin) -> None:
    client = client_of(vts)
    await client.connect()
    try:
        await client.authenticate(None)
        answers = await asyncio.gather(*(client.inject({"MouthOpen": n / 10}) for n in range(10)))
        assert answers == [None] * 10 and [v for _, v in vts.values("MouthOpen")] == [n / 10 for n in range(10)]
        for values, error in (({"NoSuchParam": 1.0}, 453), ({"MouthOpen": 2e6}, None)):
            with pytest.raises((VtsError, ValueError)) as caught:
                await client.inject(values)
            if error is not None:
                assert caught.value.error_id == error
        with pytest.raises(VtsError) as bad_mode:
            await client.inject({"MouthOpen": 0.1}, mode="multiply")
        assert bad_mode.value.error_id == 455
        names = {h["name"]: h["hotkeyID"] for h in await client.hotkeys()}
        assert await client.trigger_hotkey("smile") == names["Smile"]  # by name, any case
        with pytest.raises(VtsError) as cooldown:
            await client.trigger_hotkey(names["Smile"])
        assert cooldown.value.error_id == 203
        with pytest.raises(VtsError) as missing:
            await client.trigger_hotkey("Dance")
        assert missing.value.error_id == 202
        assert [h for _, h in vts.triggered] == [names["Smile"]]
    finally:
        await client.close()


async def test_the_stand_in_answers_malformed_requests_with_the_apis_errors(vts: VtsStandin) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(vts.ws_url) as ws:
        for raw, error in (("{nope", 2), (json.dumps({"apiName": "Other", "apiVersion": "1.0", "messageType": "X"}), 3),
                           (json.dumps({"apiName": "VTubeStudioPublicAPI", "apiVersion": "9"}), 4),
                           (json.dumps({"apiName": "VTubeStudioPublicAPI", "apiVersion": "1.0", "requestID": "é"}), 5),
                           (json.dumps({"apiName": "VTubeStudioPublicAPI", "apiVersion": "1.0"}), 6),
                           (json.dumps({"apiName": "VTubeStudioPublicAPI", "apiVersion": "1.0", "requestID": "r1",
                                        "messageType": "DanceRequest"}), 8)):
            await ws.send_str(raw)
            answer = parse_message(await ws.receive_str())
            assert (answer.message_type, answer.data["errorID"]) == ("APIError", error), raw
            assert answer.timestamp is not None and answer.request_id


async def test_a_dead_vtube_studio_is_a_connection_error_and_the_bridge_connects_again(tmp_path: Path) -> None:
    standin = VtsStandin()
    await standin.start()
    bridge = VtsBridge(lambda: client_of(standin, timeout=1.0), TokenFile(tmp_path / "t"))
    try:
        await bridge.hold()
        await standin.disconnect()  # VTube Studio restarts: the session is gone
        await asyncio.sleep(0.05)
        await bridge.hold()  # a new session, the kept token
        assert standin.authentications == 2 and standin.token_requests == 1
        await standin.stop()
        with pytest.raises(VtsConnectionError):
            await bridge.hold()
    finally:
        await bridge.close()
        await standin.stop()


async def test_a_request_without_a_connection_says_so() -> None:
    with pytest.raises(VtsConnectionError, match="not connected"):
        await VtsClient("ws://127.0.0.1:9/", "LiveHub Host", "LiveHub").api_state()
