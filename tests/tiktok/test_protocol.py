"""The push server's rules, driven by a raw client: a signed URL is good once and expires, the subprotocol
and the sign server's cookie are required, nothing comes before ``im_enter_room``, acks carry the frame's
``log_id``; and the client's own pieces (options header, URL, room lookup)."""

from __future__ import annotations

import time
from collections import Counter

import aiohttp
import pytest

from connectors.tiktok.client import (
    HandshakeRefused,
    RoomOffline,
    SignRateLimited,
    TikTokClient,
    TikTokError,
    enter_room_message,
    feed_url,
    parse_options,
)
from connectors.tiktok.standin import TikTokStandin
from hub.protowire import Message
from hub.pushframe import PushFrame, ack_frame, decode_frame, decode_response
from hub.testing import make_event, post_events, wait_for
from tests.tiktok.helpers import ROOM, event


def client(session: aiohttp.ClientSession, standin: TikTokStandin, **kw: str) -> TikTokClient:
    settings = {**standin.connector_settings(), **kw}
    return TikTokClient(session, sign_url=settings["sign_url"], room_info_url=settings["room_info_url"],
                        api_key=settings["api_key"], unique_id=settings["unique_id"])


def test_handshake_options_and_the_feed_url() -> None:
    assert parse_options("ping-interval=10; ping-max-count=3") == {"ping-interval": "10", "ping-max-count": "3"}
    assert parse_options("") == {}
    url = feed_url("wss://push.example/webcast/im/push/v2/", "7", {"wrss": "s"}, "c-1", "ext")
    for part in ("aid=1988", "app_name=tiktok_web", "compress=gzip", "room_id=7", "wrss=s", "cursor=c-1",
                 "internal_ext=ext", "identity=audience", "live_id=12"):
        assert part in url
    entered = Message(enter_room_message("7", "c-1"))
    assert (entered.int(1), entered.int(4), entered.str(5), entered.str(6), entered.str(9)) == (7, 12, "audience",
                                                                                               "c-1", "0")


async def test_room_lookup_and_fetch() -> None:
    async with TikTokStandin() as standin, aiohttp.ClientSession() as session:
        await post_events(standin, *[event("comment", n, text=f"t{n}") for n in range(8)])
        tiktok = client(session, standin)
        assert await tiktok.resolve_room() == ROOM
        fetched, cookie = await tiktok.fetch()
        assert fetched.need_ack and fetched.push_server.startswith("ws://") and "wrss" in fetched.route_params
        assert fetched.cursor == "tc-8" and len(fetched.messages) == 5 and cookie.startswith("ttwid=")
        with pytest.raises(RoomOffline, match="no room"):
            await client(session, standin, unique_id="nobody").resolve_room()
        await post_events(standin, make_event("live_state", platform="tiktok", room=ROOM, state="ended"))
        with pytest.raises(RoomOffline, match="not live"):
            await tiktok.resolve_room()


async def test_a_signed_url_is_good_for_one_connection_and_expires() -> None:
    async with TikTokStandin(url_ttl=0.2) as standin, aiohttp.ClientSession() as session:
        tiktok = client(session, standin)
        await tiktok.resolve_room()
        fetched, cookie = await tiktok.fetch()
        async with tiktok.connect(fetched, cookie, fetched.cursor, Counter()):
            pass
        with pytest.raises(TikTokError, match="403"):  # the same URL again
            async with tiktok.connect(fetched, cookie, fetched.cursor, Counter()):
                pass
        stale, cookie = await tiktok.fetch()
        await wait_for(lambda: all(expiry < time.monotonic() for _, expiry in standin.signatures.values()))
        with pytest.raises(TikTokError, match="403"):
            async with tiktok.connect(stale, cookie, stale.cursor, Counter()):
                pass
        assert standin.figures["refused"] == 2


async def test_a_connection_without_the_sign_servers_cookie_is_blocked_with_a_message() -> None:
    async with TikTokStandin() as standin, aiohttp.ClientSession() as session:
        tiktok = client(session, standin)
        await tiktok.resolve_room()
        fetched, _ = await tiktok.fetch()
        with pytest.raises(HandshakeRefused, match="no ttwid cookie"):
            async with tiktok.connect(fetched, "ttwid=forged", fetched.cursor, Counter()):
                pass


async def test_without_echo_protocol_the_handshake_is_refused() -> None:
    async with TikTokStandin() as standin, aiohttp.ClientSession() as session:
        tiktok = client(session, standin)
        await tiktok.resolve_room()
        fetched, cookie = await tiktok.fetch()
        url = feed_url(fetched.push_server, ROOM, fetched.route_params, fetched.cursor, fetched.internal_ext)
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(url, headers={"Cookie": cookie})
        assert refused.value.status == 403


async def test_nothing_before_im_enter_room_and_acks_are_checked() -> None:
    async with TikTokStandin(ping_interval=5) as standin, aiohttp.ClientSession() as session:
        tiktok = client(session, standin)
        await tiktok.resolve_room()
        fetched, cookie = await tiktok.fetch()
        await post_events(standin, event("comment", 1, text="hello"))
        url = feed_url(fetched.push_server, ROOM, fetched.route_params, "tc-0", fetched.internal_ext)
        async with session.ws_connect(url, headers={"Cookie": cookie}, protocols=("echo-protocol",)) as ws:
            with pytest.raises(TimeoutError):
                await ws.receive(timeout=0.3)  # silent until the client enters the room
            await ws.send_bytes(PushFrame(payload_type="im_enter_room", payload=enter_room_message(ROOM)).encode())
            assert decode_frame((await ws.receive(timeout=5)).data).payload_type == "im_enter_room_resp"
            frame = decode_frame((await ws.receive(timeout=5)).data)
            response = decode_response(frame)
            assert frame.headers["compress_type"] == "gzip" and response.need_ack
            assert [m.method for m in response.messages] == ["WebcastChatMessage"]
            await ws.send_bytes(ack_frame(frame.log_id + 1000, response.internal_ext))
            await ws.send_bytes(ack_frame(frame.log_id, response.internal_ext))
            await wait_for(lambda: standin.figures["acks"] == 1 and standin.figures["bad_acks"] == 1)


async def test_the_sign_servers_429_is_its_own_error() -> None:
    async with TikTokStandin(sign_rate=0.01, sign_burst=1) as standin, aiohttp.ClientSession() as session:
        tiktok = client(session, standin)
        await tiktok.resolve_room()
        await tiktok.fetch()
        with pytest.raises(SignRateLimited) as limited:
            await tiktok.fetch()
        assert limited.value.retry_after > 0


def test_settings_need_a_room_and_chat_needs_a_session() -> None:
    from pydantic import ValidationError

    from connectors.tiktok.connector import TikTokSettings
    from hub.secrets import SecretValue

    with pytest.raises(ValidationError, match="unique_id"):
        TikTokSettings()
    with pytest.raises(ValidationError, match="session_id"):
        TikTokSettings(unique_id="@shop", send_chat=True)
    settings = TikTokSettings(unique_id="@shop", send_chat=True, session_id=SecretValue("s", "test"))
    assert settings.chat_replies == "all" and settings.cny_per_diamond is None


async def test_the_benchmark_decodes_stand_in_frames_down_to_hub_events() -> None:
    from bench.tiktok_decode import run

    figures = await run(2000, repeats=1)
    assert figures["value"] > 0 and figures["messages"] >= 2000 and 0 < figures["hub_events"] <= figures["messages"]
