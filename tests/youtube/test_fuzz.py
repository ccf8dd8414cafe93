"""Outside input never escapes as anything but the modules' own ValueError subclasses: gRPC frames
(truncated, wrong lengths, bad gzip), streamList responses, list responses and chat messages of any
shape; a malformed response on a live connection is skipped and counted, the stream goes on."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.youtube import stream_list_pb2 as pb
from connectors.youtube.client import FormatError, parse_list_response
from connectors.youtube.mapping import ItemError, message_event, message_from_json
from connectors.youtube.standin import YoutubeStandin
from connectors.youtube.stream import StreamFormatError, decode_response, grpc_frame, grpc_frames
from hub.testing import comment, fault, post_events, wait_for
from tests.youtube.helpers import fast_retries, youtube_hub

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                           max_leaves=20)


def _valid_response() -> bytes:
    response = pb.LiveChatMessageListResponse(next_page_token="t1")
    item = response.items.add(id="LCC.1")
    item.snippet.type = pb.LiveChatMessageSnippet.TypeWrapper.SUPER_CHAT_EVENT
    item.snippet.super_chat_details.amount_micros = 1_750_000
    return response.SerializeToString()


def _decode_all(data: bytes) -> int:
    count = 0
    for body in grpc_frames(data):
        for message in decode_response(body).items:
            try:
                message_event(message)
            except ItemError:
                continue
            count += 1
    return count


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_as_grpc_frames_raise_only_stream_format_errors(data: bytes) -> None:
    try:
        _decode_all(data)
    except StreamFormatError:
        pass


@FUZZ
@given(st.integers(0, 200), st.binary(max_size=8), st.booleans())
def test_truncated_corrupted_and_badly_compressed_frames(cut: int, noise: bytes, compress: bool) -> None:
    frame = grpc_frame(_valid_response(), compress=compress)
    assert _decode_all(frame) == 1
    for data in (frame[:cut], frame[:cut] + noise + frame[cut:], frame[:5] + noise + frame[5 + len(noise):],
                 b"\x01" + frame[1:5] + gzip.compress(b"x")[:cut % 20]):
        try:
            _decode_all(data)
        except StreamFormatError:
            pass


@FUZZ
@given(json_values)
def test_any_json_as_a_list_response_or_a_chat_message(value: object) -> None:
    try:
        parse_list_response(value)
    except FormatError:
        pass
    for item in (value, {"id": "x", "snippet": value}, {"id": "x", "snippet": {"type": "superChatEvent",
                                                                               "superChatDetails": value}},
                 {"id": "x", "snippet": {"type": "textMessageEvent"}, "authorDetails": value}):
        try:
            message_event(message_from_json(item)[0])
        except ItemError:
            pass


async def test_a_malformed_stream_response_is_skipped_and_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with YoutubeStandin() as standin, youtube_hub(tmp_path, standin) as hub:
        connector = hub.connectors["youtube"]
        await connector.ingest_stream_response(b"\xff\xff\xff")
        await post_events(standin, comment("still reading", user="UC9", message_id="LCC.f1"))
        await wait_for(lambda: "LCC.f1" in connector.ingested_ids, timeout=10)
        assert connector.counts["malformed_responses"] == 1 and connector.state == "ready"
        await connector.ingest_stream_response(_valid_response())  # its page token is bogus
        assert "LCC.1" in connector.ingested_ids
        await fault(standin, "reconnect")  # the next stream asks with the bogus page token "t1": refused
        await wait_for(lambda: connector.counts["page_token_refused"] == 1, timeout=10)
        await post_events(standin, comment("after", user="UC9", message_id="LCC.f2"))
        await wait_for(lambda: "LCC.f2" in connector.ingested_ids, timeout=10)  # read on from the recent history
        assert connector.duplicates >= 1  # "still reading" came again with the history, published once
