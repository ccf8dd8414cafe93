"""The talking-head wire protocol: the frame stream parsed in any chunking, WAV in and out, and the client against
the stand-in (frames per sentence, the listening loop, a refused token, a busy service, an outage)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from connectors.talking_head.client import (
    FrameStreamParser,
    TalkingHeadAuthError,
    TalkingHeadBusy,
    TalkingHeadClient,
    TalkingHeadError,
    boundary_of,
    encode_part,
    read_wav,
    wav_bytes,
)
from connectors.talking_head.standin import TalkingHeadStandin, mouth_levels


def stream(bodies: list[bytes], boundary: str = "b0") -> bytes:
    return b"".join(encode_part(boundary, i, body) for i, body in enumerate(bodies)) + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 10_000])
def test_the_frame_stream_parses_the_same_in_any_chunking(chunk: int) -> None:
    bodies = [b"\xff\xd8" + bytes([i]) * (i * 13 + 1) + b"--b0\r\n" for i in range(6)]  # a body may hold the boundary
    data = stream(bodies)
    parser, parts = FrameStreamParser("b0"), []
    for at in range(0, len(data), chunk):
        parts += parser.feed(data[at:at + chunk])
    assert [p.body for p in parts] == bodies and [p.index for p in parts] == list(range(6)) and parser.ended


@pytest.mark.parametrize("bad", [b"garbage!!\r\n", b"--b0\r\nContent-Type: image/jpeg\r\n\r\nxx",
                                 b"--b0\r\nContent-Length: -4\r\n\r\n", b"--b0\r\nno colon here\r\n\r\n"])
def test_a_broken_stream_is_a_protocol_error(bad: bytes) -> None:
    with pytest.raises(TalkingHeadError):
        FrameStreamParser("b0").feed(bad)


def test_the_boundary_comes_from_the_content_type() -> None:
    assert boundary_of('multipart/x-mixed-replace; boundary="frame-1"') == "frame-1"
    for bad in ("image/jpeg", "multipart/x-mixed-replace", "multipart/x-mixed-replace; boundary="):
        with pytest.raises(TalkingHeadError):
            boundary_of(bad)


def test_wav_round_trip_and_refusals() -> None:
    audio = (np.sin(np.arange(4800) / 10) * 8000).astype(np.int16)
    back, rate = read_wav(wav_bytes(audio, 48000))
    assert rate == 48000 and np.array_equal(back, audio)
    with pytest.raises(TalkingHeadError):
        read_wav(b"RIFF....nonsense")


def test_the_stand_in_opens_the_mouth_with_the_loudness() -> None:
    audio = np.concatenate([np.zeros(9600), np.sin(np.arange(9600) / 5) * 10000, np.zeros(9600)])
    levels = mouth_levels(audio, 48000, 25)
    assert len(levels) == 15 and levels[:5].max() == 0 and levels[5:10].min() > 0.9 and levels[10:].max() == 0


async def test_the_client_gets_one_frame_per_video_frame_and_the_service_errors() -> None:
    audio = (np.sin(np.arange(48000) / 5) * 8000).astype(np.int16)  # one second
    async with TalkingHeadStandin(delay_s=0.0, speed=0, token="tok-1") as standin:
        client = TalkingHeadClient(standin.url, token="tok-1", timeout=5)
        try:
            assert (await client.health())["status"] == "ok"
            parts = [p async for p in client.speak(7, audio, 48000, fps=25, size=(64, 80))]
            assert [p.index for p in parts] == list(range(25)) and all(p.body[:2] == b"\xff\xd8" for p in parts)
            assert standin.rendered[-1]["sentence"] == "7" and standin.rendered[-1]["frames"] == 25
            assert len(await client.idle(fps=25, size=(64, 80))) == 50
            standin._forced_rate_limits = 1
            with pytest.raises(TalkingHeadBusy) as busy:
                await client.health()
            assert busy.value.retry_after == 1.0
            standin._outage_until = time.monotonic() + 60
            with pytest.raises(TalkingHeadError, match="503"):
                await client.health()
            standin._outage_until = 0.0
        finally:
            await client.close()
        wrong = TalkingHeadClient(standin.url, token="nope", timeout=5)
        try:
            with pytest.raises(TalkingHeadAuthError):
                [p async for p in wrong.speak(1, audio, 48000, fps=25, size=(64, 80))]
        finally:
            await wrong.close()
