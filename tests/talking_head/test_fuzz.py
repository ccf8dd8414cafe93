"""Fuzzing what comes back from a talking-head service: the frame-stream parser takes any bytes in any chunking
and only ever raises TalkingHeadError; streams it encodes parse back to the same frames however they are cut;
any WAV body the stand-in is sent is a picture stream or a clear 400, never a crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.talking_head.client import (
    FrameStreamParser,
    TalkingHeadError,
    boundary_of,
    encode_part,
    read_wav,
)


@given(st.binary(max_size=400), st.integers(min_value=1, max_value=50))
def test_any_bytes_parse_or_are_a_protocol_error(data: bytes, chunk: int) -> None:
    parser = FrameStreamParser("frame")
    try:
        for at in range(0, len(data), chunk):
            for part in parser.feed(data[at:at + chunk]):
                assert part.body and isinstance(part.headers, dict)
    except TalkingHeadError:
        pass


@settings(max_examples=60)
@given(st.lists(st.binary(min_size=1, max_size=200), max_size=8), st.lists(st.integers(1, 300), min_size=1,
                                                                             max_size=20))
def test_encoded_streams_parse_back_whatever_the_chunking(bodies: list[bytes], cuts: list[int]) -> None:
    data = b"".join(encode_part("frame", i, body) for i, body in enumerate(bodies)) + b"--frame--\r\n"
    parser, got, at, n = FrameStreamParser("frame"), [], 0, 0
    while at < len(data):
        step = cuts[n % len(cuts)]
        got += parser.feed(data[at:at + step])
        at, n = at + step, n + 1
    assert [p.body for p in got] == bodies and [p.index for p in got] == list(range(len(bodies))) and parser.ended


@given(st.text(max_size=80))
def test_any_content_type_gives_a_boundary_or_a_protocol_error(content_type: str) -> None:
    try:
        assert boundary_of(content_type)
    except TalkingHeadError:
        pass


@given(st.binary(max_size=200))
def test_any_audio_body_is_a_wav_or_a_protocol_error(data: bytes) -> None:
    try:
        samples, rate = read_wav(data)
        assert rate >= 0 and samples.dtype.kind == "i"
    except TalkingHeadError:
        pass
