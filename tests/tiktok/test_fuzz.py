"""Hypothesis over the TikTok decoders: frames, fetch results and message payloads. Only the project's
own errors (ValueError subclasses) escape; a bad frame on a live connection is counted and skipped."""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.tiktok.mapping import MessageError, webcast_event
from connectors.tiktok.standin import TikTokStandin
from connectors.tiktok.standin_encode import webcast_messages
from connectors.tiktok.standin_feed import FeedSession
from hub.pushframe import (
    FrameError,
    PushFrame,
    Response,
    WebcastMessage,
    decode_frame,
    decode_response,
    msg_frame,
    parse_response,
)
from hub.testing import post_events, wait_for
from tests.tiktok.helpers import event, fast_retries, tiktok_hub

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
METHODS = st.sampled_from(["WebcastChatMessage", "WebcastGiftMessage", "WebcastLikeMessage", "WebcastMemberMessage",
                           "WebcastSocialMessage", "WebcastRoomUserSeqMessage", "WebcastControlMessage",
                           "WebcastLinkMicBattle", ""])


@functools.cache
def good_frame() -> bytes:
    """One realistic frame, built once (hypothesis needs the same bytes on every run)."""
    messages = [m for n, kind in enumerate(("comment", "gift", "like", "enter", "follow"))
                for m in webcast_messages(event(kind, n, **({"text": "hi"} if kind == "comment" else
                                                              {"gift": "Rose", "count": 2} if kind == "gift" else {})))]
    return msg_frame(Response(messages=messages, cursor="tc-5", need_ack=True), log_id=5)


def decode_all(raw: bytes) -> None:
    for message in decode_response(decode_frame(raw)).messages:
        webcast_event(message)


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_as_a_frame_or_a_fetch_result(data: bytes) -> None:
    try:
        decode_all(data)
    except (FrameError, MessageError):
        pass
    try:
        parse_response(data)
    except FrameError:
        pass


@FUZZ
@given(st.data())
def test_a_damaged_good_frame(data: st.DataObject) -> None:
    raw = bytearray(good_frame())
    for _ in range(data.draw(st.integers(1, 6))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert", "length"]))
        at = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if kind == "flip" and raw:
            raw[at] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "cut":
            del raw[at:]
        elif kind == "length" and raw:
            raw[at] = data.draw(st.integers(0, 255))  # a wrong length or tag byte
        else:
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    try:
        decode_all(bytes(raw))
    except (FrameError, MessageError):
        pass


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["gzip", "truncated", "plain", "not-gzip"]))
def test_any_payload_and_bad_compression(payload: bytes, how: str) -> None:
    body = {"gzip": lambda: gzip.compress(payload), "truncated": lambda: gzip.compress(payload)[:-5],
            "plain": lambda: payload, "not-gzip": lambda: b"\x1f\x8b" + payload}[how]()
    frame = PushFrame(payload=body, headers={"compress_type": "gzip"} if how != "plain" else {})
    try:
        decode_all(frame.encode())
    except (FrameError, MessageError):
        pass


@FUZZ
@given(METHODS, st.binary(max_size=200))
def test_any_message_payload(method: str, payload: bytes) -> None:
    try:
        webcast_event(WebcastMessage(method=method, payload=payload, msg_id=1))
    except MessageError:
        pass


async def test_bad_frames_on_a_live_connection_are_counted_and_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    original = FeedSession._send_chunk  # each connection first gets bad frames: not protobuf, bad gzip,
    # a text message, a bad message payload

    async def garbage_then_chunk(self: FeedSession, room_log: list) -> None:
        if not getattr(self, "garbage_sent", False):
            self.garbage_sent = True  # type: ignore[attr-defined]
            await self.ws.send_bytes(b"\x0a\xff\xff")
            await self.ws.send_bytes(PushFrame(payload=b"\x1f\x8bnot gzip", headers={"compress_type": "gzip"}).encode())
            await self.ws.send_str("not binary")
            bad = WebcastMessage(method="WebcastChatMessage", payload=b"\xff\xff\xff", msg_id=3)
            await self.ws.send_bytes(msg_frame(Response(messages=[bad]), log_id=1))
        await original(self, room_log)

    monkeypatch.setattr(FeedSession, "_send_chunk", garbage_then_chunk)
    async with TikTokStandin(ping_interval=0.2) as standin, tiktok_hub(tmp_path, standin) as hub:
        await post_events(standin, event("comment", 44, text="still here"))
        connector = hub.connectors["tiktok"]
        await wait_for(lambda: connector.ingested >= 1, timeout=10)
        counts = connector.status()["counts"]
        assert connector.state == "ready" and (counts["malformed"], counts["malformed_frames"]) == (1, 3)
