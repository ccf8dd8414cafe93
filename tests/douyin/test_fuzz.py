"""Hypothesis over every Douyin decoder: frames, responses, message payloads and pushed items. Only the
project's own errors escape; a bad frame on a live connection is counted and skipped."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.douyin.mapping import ItemError, open_platform_event, webcast_event
from connectors.douyin.standin import DouyinStandin
from connectors.douyin.standin_encode import webcast_message
from hub.protowire import WireError
from hub.pushframe import (
    MAX_INFLATED,
    FrameError,
    PushFrame,
    Response,
    WebcastMessage,
    decode_frame,
    decode_response,
    msg_frame,
)
from hub.testing import make_event, post_events, wait_for
from tests.douyin.helpers import douyin_hub, fast_retries

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
METHODS = st.sampled_from(["WebcastChatMessage", "WebcastGiftMessage", "WebcastLikeMessage", "WebcastMemberMessage",
                           "WebcastSocialMessage", "WebcastRoomUserSeqMessage", "WebcastControlMessage", "Nope"])


def good_frame() -> bytes:
    message = webcast_message(make_event("comment", platform="douyin", room="7001", text="你好", message_id="1",
                                         user={"id": "2", "name": "n"})).message
    return msg_frame(Response(messages=[message] * 3, cursor="t-3", need_ack=True), log_id=5)


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_as_a_frame(data: bytes) -> None:
    try:
        frame = decode_frame(data)
        decode_response(frame)
    except FrameError:
        pass


@FUZZ
@given(st.data())
def test_a_damaged_good_frame(data: st.DataObject) -> None:
    raw = bytearray(good_frame())
    for _ in range(data.draw(st.integers(1, 6))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if kind == "flip" and raw:
            raw[at] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "cut":
            del raw[at:]
        else:
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    try:
        response = decode_response(decode_frame(bytes(raw)))
        for message in response.messages:
            webcast_event(message)
    except (FrameError, WireError):
        pass


@FUZZ
@given(st.binary(max_size=300), st.booleans())
def test_any_payload_in_a_frame(payload: bytes, compressed: bool) -> None:
    body = gzip.compress(payload) if compressed else payload
    frame = PushFrame(payload=body, headers={"compress_type": "gzip"} if compressed else {})
    try:
        decode_response(decode_frame(frame.encode()))
    except FrameError:
        pass


def test_a_gzip_bomb_is_a_frame_error() -> None:
    bomb = gzip.compress(b"\0" * (MAX_INFLATED + 1024), compresslevel=9)
    with pytest.raises(FrameError, match="inflates beyond"):
        decode_response(decode_frame(PushFrame(payload=bomb, headers={"compress_type": "gzip"}).encode()))


@FUZZ
@given(METHODS, st.binary(max_size=200))
def test_any_message_payload(method: str, payload: bytes) -> None:
    try:
        webcast_event(WebcastMessage(method=method, payload=payload, msg_id=1))
    except WireError:
        pass


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
                    max_leaves=20)
ITEM = st.fixed_dictionaries({}, optional={k: JSON for k in ("msg_id", "content", "gift_num", "gift_value", "like_num",
                                                              "sec_openid", "nickname", "timestamp", "test")})


@FUZZ
@given(st.sampled_from(["live_comment", "live_gift", "live_like", "live_fansclub"]), JSON | ITEM)
def test_any_pushed_item(msg_type: str, item: Any) -> None:
    try:
        event = open_platform_event(msg_type, item)
    except ItemError:
        return
    if event is not None:
        assert event.message_id


class GarbageFirst(DouyinStandin):
    """Sends three bad frames (not protobuf, bad gzip, a bad message payload) before the real ones."""

    async def _send_log(self, ws: web.WebSocketResponse, room: str, offset: int) -> None:
        bad_message = WebcastMessage(method="WebcastChatMessage", payload=b"\xff\xff\xff", msg_id=3)
        await ws.send_bytes(b"\x0a\xff\xff")
        await ws.send_bytes(PushFrame(payload=b"\x1f\x8bnot gzip", headers={"compress_type": "gzip"}).encode())
        await ws.send_bytes(msg_frame(Response(messages=[bad_message]), log_id=1))
        await super()._send_log(ws, room, offset)


async def test_bad_frames_on_a_live_connection_are_counted_and_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with GarbageFirst(mode="webcast") as standin, douyin_hub(tmp_path, standin) as hub:
        await post_events(standin, make_event("comment", platform="douyin", room="7001", text="还在", message_id="44",
                                              user={"id": "1", "name": "a"}))
        connector = hub.connectors["douyin"]
        await wait_for(lambda: connector.ingested >= 1, timeout=10)
        counts = connector.status()["counts"]
        assert connector.state == "ready" and (counts["malformed"], counts["malformed_frames"]) == (1, 2)
