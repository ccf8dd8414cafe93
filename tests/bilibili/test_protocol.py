"""The wire format and what the stand-in enforces, with raw clients: packets and their variants, WBI and
open-platform signatures, auth within the deadline, heartbeats and their timeout, tokens bound to rooms."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter

import aiohttp
import pytest

from connectors.bilibili.api import BAD_WBI, ApiError, AuthError, OpenLiveApi, WebApi
from connectors.bilibili.client import (
    OP_AUTH,
    OP_AUTH_REPLY,
    OP_HEARTBEAT,
    OP_HEARTBEAT_REPLY,
    VER_BROTLI,
    VER_ZLIB,
    command,
    mixin_key,
    open_live_headers,
    pack,
    unpack,
    wbi_sign,
    wbi_valid,
)
from connectors.bilibili.feed import FeedAuthError, open_feed
from connectors.bilibili.standin import LONG_ID, SHORT_ID, BilibiliStandin
from connectors.bilibili.standin_encode import encode_event, frame
from hub.standin_control import create_standin
from hub.testing import comment, make_event


def test_wbi_signature_matches_the_documented_example() -> None:
    key = mixin_key("7cd084941338484aae1ad9425b84077c", "4932caff0ff746eab6f01bf08b70ac45")
    assert key == "ea1db124af3c7062474693fa704f4ff8"
    signed = wbi_sign({"foo": "114", "bar": "514", "zab": 1919810}, key, 1702204169)
    assert signed["w_rid"] == "8f6f2b5b3d485fe1886cec6a0be8c5d4"
    assert wbi_valid(signed, key) and not wbi_valid({**signed, "foo": "115"}, key)
    assert wbi_sign({"q": "a(b)!*'"}, key, 1)["q"] == "ab"  # the characters the platform strips


def test_open_live_headers_sign_the_six_headers_in_order() -> None:
    body = b'{"code":"X","app_id":1}'
    one = open_live_headers(body, "kid", "secret", nonce="n", timestamp=1700000000)
    assert one["x-bili-content-md5"] == hashlib.md5(body).hexdigest()
    assert one == open_live_headers(body, "kid", "secret", nonce="n", timestamp=1700000000)
    assert one["Authorization"] != open_live_headers(body, "kid", "other", nonce="n", timestamp=1700000000)["Authorization"]
    assert len(one["Authorization"]) == 64 and one["x-bili-signature-method"] == "HMAC-SHA256"


@pytest.mark.parametrize("variant", ["single", "concat", "brotli", "zlib"])
def test_every_framing_variant_decodes_to_the_same_commands(variant: str) -> None:
    entries = [encode_event(e, n) for n, e in enumerate([
        comment("多少钱", platform="bilibili", room=LONG_ID, user="1", message_id="a"),
        make_event("gift", platform="bilibili", room=LONG_ID, gift="小花花", count=2, message_id="b", user={"id": "2"}),
        make_event("follow", platform="bilibili", room=LONG_ID, message_id="c", user={"id": "3"})], start=1)]
    bodies = [e.web for e in entries if e.web]
    messages = frame(bodies, variant)
    assert len(messages) == (3 if variant == "single" else 1)
    packets = [p for m in messages for p in unpack(m)]
    assert [p.body for p in packets] == bodies
    cmds = [command(p.body)[0] for p in packets]
    assert cmds == ["DANMU_MSG", "SEND_GIFT", "INTERACT_WORD_V2"]  # the suffix after ':' is stripped
    if variant in ("brotli", "zlib"):
        ver = int.from_bytes(messages[0][6:8], "big")
        assert ver == (VER_BROTLI if variant == "brotli" else VER_ZLIB)


async def _raw(standin: BilibiliStandin) -> aiohttp.ClientWebSocketResponse:
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(f"ws://127.0.0.1:{standin.port}/sub")
    ws._test_session = session  # type: ignore[attr-defined]
    return ws


async def _close(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.close()
    await ws._test_session.close()  # type: ignore[attr-defined]


async def _web_token(standin: BilibiliStandin) -> str:
    async with aiohttp.ClientSession() as session:
        api = WebApi(session, live_api=standin.url, main_api=standin.url)
        return (await api.danmu_info(int(LONG_ID))).token


async def test_no_auth_within_the_deadline_closes_the_connection() -> None:
    async with BilibiliStandin(mode="web", auth_timeout=0.2) as standin:
        ws = await _raw(standin)
        msg = await ws.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await _close(ws)
        assert standin.figures["auth_timeouts"] == 1


async def test_a_token_is_good_for_its_room_only_and_a_bad_one_is_refused() -> None:
    async with BilibiliStandin(mode="web") as standin:
        token = await _web_token(standin)
        for body, code in (({"roomid": 1, "protover": 3, "key": token}, -101),
                           ({"roomid": int(LONG_ID), "protover": 3, "key": "forged"}, -101),
                           ({"roomid": int(LONG_ID), "protover": 3, "key": token, "uid": 0}, 0)):
            ws = await _raw(standin)
            await ws.send_bytes(pack(OP_AUTH, json.dumps(body).encode()))
            reply = unpack((await ws.receive(timeout=5)).data)[0]
            assert reply.op == OP_AUTH_REPLY and json.loads(reply.body)["code"] == code
            await _close(ws)
        async with aiohttp.ClientSession() as session:
            with pytest.raises(FeedAuthError):
                async with open_feed(session, f"ws://127.0.0.1:{standin.port}/sub", b'{"key":"x"}'):
                    pass


async def test_heartbeats_get_popularity_and_silence_is_closed() -> None:
    async with BilibiliStandin(mode="web", heartbeat_timeout=0.3) as standin:
        token = await _web_token(standin)
        ws = await _raw(standin)
        await ws.send_bytes(pack(OP_AUTH, json.dumps({"roomid": int(LONG_ID), "protover": 3, "key": token}).encode()))
        await ws.receive(timeout=5)
        await ws.send_bytes(pack(OP_HEARTBEAT, b"[object Object]"))
        reply = unpack((await ws.receive(timeout=5)).data)[0]
        assert reply.op == OP_HEARTBEAT_REPLY and int.from_bytes(reply.body[:4], "big") > 0
        msg = await ws.receive(timeout=5)  # no more heartbeats: closed after heartbeat_timeout
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await _close(ws)
        assert standin.figures["heartbeat_timeouts"] == 1


async def test_the_feed_counts_unknown_commands_and_skips_malformed_frames() -> None:
    async with BilibiliStandin(mode="web", noise_every=1) as standin, aiohttp.ClientSession() as session:
        token = await _web_token(standin)
        await standin.deliver(comment("你好", platform="bilibili", room=LONG_ID, user="9", message_id="m1"))
        counts: Counter[str] = Counter()
        auth = json.dumps({"roomid": int(LONG_ID), "protover": 3, "key": token}).encode()
        async with open_feed(session, f"ws://127.0.0.1:{standin.port}/sub", auth, counts=counts) as feed:
            seen = []
            async for cmd, _, _ in feed:
                seen.append(cmd)
                if len(seen) == 2:
                    break
        assert seen[0] == "DANMU_MSG" and seen[1] in ("STANDIN_UNKNOWN_CMD", "WIDGET_BANNER", "ONLINE_RANK_V2")


async def test_a_bad_wbi_signature_is_352_and_fresh_keys_fix_it() -> None:
    async with BilibiliStandin(mode="web") as standin, aiohttp.ClientSession() as session:
        async with session.get(f"{standin.url}/xlive/web-room/v1/index/getDanmuInfo",
                               params={"id": LONG_ID, "type": "0", "wts": "1", "w_rid": "0" * 32}) as resp:
            assert (await resp.json())["code"] == BAD_WBI
        api = WebApi(session, live_api=standin.url, main_api=standin.url)
        api.wbi_key = "x" * 32  # stale keys: -352, then the keys are fetched again and it works
        assert (await api.danmu_info(int(LONG_ID))).token
        assert standin.api_figures["bad_wbi"] == 2
        assert (await api.room_info(SHORT_ID))["room_id"] == int(LONG_ID)


async def test_open_live_signatures_nonces_and_game_expiry_are_enforced() -> None:
    async with BilibiliStandin(mode="open_live", game_timeout=0.3) as standin, aiohttp.ClientSession() as session:
        good = OpenLiveApi(session, open_api=standin.url, key_id=standin.access_key_id,
                           secret=standin.access_key_secret, app_id=standin.app_id)
        with pytest.raises(AuthError, match="7007"):
            await good.start("WRONG")
        game = await good.start(standin.code)
        assert json.loads(game.auth_body)["roomid"] == int(LONG_ID) and game.wss_links
        await good.heartbeat(game.game_id)
        body = json.dumps({"game_id": game.game_id}).encode()
        headers = open_live_headers(body, standin.access_key_id, standin.access_key_secret, nonce="same")
        async with session.post(f"{standin.url}/v2/app/heartbeat", data=body, headers=headers) as resp:
            assert (await resp.json())["code"] == 0
        async with session.post(f"{standin.url}/v2/app/heartbeat", data=body, headers=headers) as resp:
            assert (await resp.json())["code"] == 4004  # a nonce is good once
        old = open_live_headers(body, standin.access_key_id, standin.access_key_secret, timestamp=1)
        async with session.post(f"{standin.url}/v2/app/heartbeat", data=body, headers=old) as resp:
            assert (await resp.json())["code"] == 4003
        await asyncio.sleep(0.4)  # longer than game_timeout without a project heartbeat
        with pytest.raises(ApiError, match="7003"):
            await good.heartbeat(game.game_id)
        await good.end(game.game_id)  # 7000 (already ended) is not an error
        bad = OpenLiveApi(session, open_api=standin.url, key_id=standin.access_key_id, secret="wrong", app_id=1)
        with pytest.raises(AuthError, match="4002"):
            await bad.start(standin.code)


def test_the_registered_stand_in_takes_its_options_as_text_and_prints_its_table() -> None:
    standin = create_standin("bilibili", mode="web", heartbeat_timeout="2", variants="brotli,zlib", port=0)
    assert isinstance(standin, BilibiliStandin) and standin.heartbeat_timeout == 2.0
    assert standin.variants == ("brotli", "zlib")
    standin.port = 9310
    table = standin.connector_table()
    assert 'mode = "web"' in table and 'sessdata = {env = "BILIBILI_SESSDATA"}' in table
    assert 'ws_url = "ws://127.0.0.1:9310/sub"' in table
    with pytest.raises(ValueError):
        create_standin("bilibili", mode="nope")
