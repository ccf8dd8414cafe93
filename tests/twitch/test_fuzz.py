"""Hypothesis fuzzing of the EventSub decoders: malformed, truncated and mistyped frames raise only the
module's own errors (ValueError subclasses); over a real socket a bad frame is counted and skipped."""

from __future__ import annotations

import json

import aiohttp
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.twitch.client import EventSubClient, FrameError, parse_frame, parse_timestamp
from connectors.twitch.mapping import NotificationError, notification_event
from connectors.twitch.standin_encode import envelope, session_frame

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
                    max_leaves=20)
TYPES = st.sampled_from(["channel.chat.message", "channel.cheer", "channel.follow", "channel.subscribe",
                         "channel.subscription.gift", "channel.subscription.message", "channel.raid",
                         "stream.online", "stream.offline", "channel.unknown", ""])
GOOD = json.dumps(envelope("notification", {"subscription": {"type": "channel.follow", "version": "2"}, "event": {
    "user_id": "1", "user_name": "A", "user_login": "a"}}, sub_type="channel.follow", version="2"))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200), JSON.map(json.dumps),
                 st.integers(min_value=0, max_value=len(GOOD)).map(lambda n: GOOD[:n])))
def test_parse_frame_raises_only_frame_errors(data: bytes | str) -> None:
    try:
        parse_frame(data)
    except FrameError:
        pass


@settings(max_examples=250, suppress_health_check=[HealthCheck.too_slow])
@given(TYPES, st.dictionaries(st.sampled_from(["user_id", "user_name", "chatter_user_id", "message", "message_id",
                                               "bits", "is_anonymous", "total", "tier", "is_gift", "viewers",
                                               "from_broadcaster_user_id", "duration_months", "cheer", "type"]),
                              JSON, max_size=8), st.text(max_size=40))
def test_notifications_raise_only_notification_errors(type_: str, event: dict, timestamp: str) -> None:
    frame = json.dumps({"metadata": {"message_id": "x", "message_type": "notification", "message_timestamp": timestamp,
                                     "subscription_type": type_, "subscription_version": "1"},
                        "payload": {"subscription": {"type": type_}, "event": event}})
    try:
        notification_event(parse_frame(frame))
    except (NotificationError, FrameError):
        pass
    parse_timestamp(timestamp)


async def test_a_bad_frame_is_counted_and_skipped_and_the_socket_goes_on() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(session_frame("session_welcome", "s1", keepalive=10))
        for bad in ("{not json", GOOD[:40], '{"metadata": {}, "payload": {}}', "[]"):
            await ws.send_str(bad)
        await ws.send_bytes(b"\x00\x01")
        await ws.send_str(GOOD)
        await ws.receive()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as http:
            client = EventSubClient(http, f"http://127.0.0.1:{port}/ws")
            seen = []
            async for frame in client.frames():
                seen.append(frame.message_type)
                if frame.message_type == "notification":
                    break
        assert seen == ["session_welcome", "notification"] and client.malformed == 5
    finally:
        await runner.cleanup()
