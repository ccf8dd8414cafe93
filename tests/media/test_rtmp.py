"""RTMP against a real, private nginx-rtmp: what a reader sees of ``livehub stream-test``, and a push that
survives the ingest being killed and restarted while the timeline goes on."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import numpy as np
import pytest

from hub.media.output import mask_url
from hub.media.rooms import build_timeline
from hub.secrets import SecretValue
from hub.testing import collect, running_hub, wait_for
from plugins.output_rtmp.output import RtmpOutput, RtmpSettings

from .conftest import BUILTINS, built_hub
from .helpers import StreamReader, loudness

KEY = "sk-live-0123456789abcdef"


@pytest.mark.slow
def test_stream_test_pushes_what_platforms_expect(nginx) -> None:
    url = nginx.url(KEY)
    reader = StreamReader(url)
    reader.start()
    result = subprocess.run([sys.executable, "-m", "hub", "stream-test", "--to", url, "--seconds", "15",
                             "--config", "/nonexistent/livehub.toml"], capture_output=True, text=True, timeout=120)
    capture = reader.stop()
    assert result.returncode == 0, result.stderr
    assert KEY not in result.stdout + result.stderr  # the stream key is never printed
    assert mask_url(url) in result.stdout
    assert capture.codecs == {"video": "h264", "audio": "aac"}
    assert capture.fps == pytest.approx(25, abs=0.01) and capture.sample_rate == 48000
    session = max(capture.sessions, key=lambda s: len(s.video_pts))
    assert len(session.video_pts) > 25 * 8  # at least 8 s of the 15 s push (the reader joins late)
    gaps = np.diff(session.keyframes)
    assert len(gaps) >= 3 and np.allclose(gaps, 2.0, atol=0.001)  # a keyframe every 2 s, exactly
    frame_steps = np.diff(session.video_pts)
    assert np.allclose(frame_steps, 0.04, atol=0.001)  # 25 fps, no frame lost
    assert abs(session.video_pts[-1] - session.audio_pts[-1]) < 0.2  # audio and video end together
    assert abs(session.video_pts[0] - session.audio_pts[0]) < 0.2
    assert loudness(np.concatenate(session.audio)) > 0.01  # the announcement is heard


@pytest.mark.slow
async def test_the_push_recovers_when_the_ingest_restarts(nginx) -> None:
    url = nginx.url(KEY)
    async with running_hub(builtins=BUILTINS) as hub:
        timeline = build_timeline(hub, "main", size=(640, 360))
        output = RtmpOutput(RtmpSettings(url=SecretValue(url, "test")), hub)
        output.backoff_base, output.backoff_cap = 0.2, 1.0
        await timeline.start()
        timeline.say("这是一段比较长的测试口播，" * 20)
        with collect(hub, types={"stream_state"}) as states:
            output.start(timeline)
            reader = StreamReader(url)
            await asyncio.to_thread(reader.start)
            await wait_for(lambda: reader.capture.frames_seen() > 25, timeout=30)
            await asyncio.to_thread(nginx.kill)
            before = timeline.index
            await wait_for(lambda: output.state == "retrying", timeout=30)
            await asyncio.sleep(1.0)  # the ingest stays down a while; the show goes on
            await asyncio.to_thread(nginx.start)
            await wait_for(lambda: output.times_live >= 2, timeout=30)
            await wait_for(lambda: len(reader.capture.sessions) >= 2
                           and len(reader.capture.sessions[-1].video_pts) > 25, timeout=30)
            assert timeline.index > before + 25  # frames kept coming through the outage
            await timeline.stop()
            await output.stop(grace=10)
            capture = await asyncio.to_thread(reader.stop)
            await wait_for(lambda: states and states[-1].state == "stopped", timeout=10)
            labels = {"room": "main", "output": "rtmp"}
            assert hub.metrics.get_sample_value("livehub_output_reconnects_total", labels) >= 1
            assert hub.metrics.get_sample_value("livehub_output_frames_total", labels) > 50
            assert hub.metrics.get_sample_value("livehub_timeline_frames_total", {"room": "main"}) > 50
    sequence = [s.state for s in states]
    assert sequence[:2] == ["starting", "live"]
    assert "retrying" in sequence and sequence.index("live", sequence.index("retrying")) > 0
    assert output.reconnects >= 1 and capture.codecs["video"] == "h264"
    assert all(KEY not in s.detail for s in states)
    assert any("**********" in s.detail for s in states)


@pytest.mark.slow
async def test_a_refused_connection_is_retried_without_leaking_the_key(nginx, caplog) -> None:
    url = nginx.url(KEY)
    await asyncio.to_thread(nginx.kill)
    hub = built_hub()
    timeline = build_timeline(hub, "main", size=(320, 180))
    output = RtmpOutput(RtmpSettings(url=SecretValue(url, "test")), None)
    output.backoff_base, output.backoff_cap = 0.1, 0.3
    await timeline.start()
    output.start(timeline)
    try:
        await wait_for(lambda: output.reconnects >= 3, timeout=30)
        assert output.state == "retrying" and "ConnectionRefused" in output.detail
        assert KEY not in output.detail and KEY not in caplog.text
        started = time.monotonic()
        await asyncio.to_thread(nginx.start)
        await wait_for(lambda: output.state == "live", timeout=30)
        assert time.monotonic() - started < 5  # the backoff is capped
    finally:
        await timeline.stop()
        await output.stop(grace=10)


async def test_an_ingest_that_never_answers_is_given_up_and_retried() -> None:
    """A server that accepts and then says nothing (a hung ingest) would block FFmpeg, GIL held, in its
    handshake: the probe gives it up after ``connect_timeout``, the output retries, the timeline goes on."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    timeline = build_timeline(built_hub(), "main", size=(320, 180))
    output = RtmpOutput(RtmpSettings(url=SecretValue(f"rtmp://127.0.0.1:{port}/live/{KEY}", "test"),
                                     connect_timeout=0.5), None)
    output.backoff_base, output.backoff_cap = 0.1, 0.2
    await timeline.start()
    output.start(timeline)
    try:
        await wait_for(lambda: output.reconnects >= 2, timeout=30)
        assert "TimeoutError" in output.detail and KEY not in output.detail
        assert len(held) >= 2  # it connected again after giving the stuck connection up
        index = timeline.index
        await wait_for(lambda: timeline.index > index + 10, timeout=10)  # the loop is not blocked
    finally:
        await timeline.stop()
        await output.stop(grace=5)
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


@pytest.mark.slow
async def test_a_hung_ingest_mid_stream_is_given_up_and_rejoined(nginx) -> None:
    """The ingest stops reading (frozen): writes block, the encoder abandons its thread after
    ``write_timeout``, the output retries until the ingest answers again; the timeline never waits."""
    url = nginx.url(KEY)
    timeline = build_timeline(built_hub(), "main", size=(640, 360))
    output = RtmpOutput(RtmpSettings(url=SecretValue(url, "test"), video_kbps=20_000, write_timeout=1.0,
                                     connect_timeout=1.0), None)
    output.backoff_base, output.backoff_cap = 0.2, 0.5
    await timeline.start()
    output.start(timeline)
    try:
        await wait_for(lambda: output.state == "live" and output.frames_sent > 25, timeout=30)
        await asyncio.to_thread(nginx.pause)
        try:
            await wait_for(lambda: output.state == "retrying", timeout=60)
            assert "TimeoutError" in output.detail
            index = timeline.index
            await wait_for(lambda: timeline.index > index + 25, timeout=10)  # frames go on meanwhile
        finally:
            await asyncio.to_thread(nginx.resume)
        await wait_for(lambda: output.times_live >= 2, timeout=30)
    finally:
        await timeline.stop()
        await output.stop(grace=10)
