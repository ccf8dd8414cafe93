"""The edge-tts voice through the real edge-tts package, against a local stand-in of its service."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.errors import BackendError, MissingExtraError
from hub.media.lipsync import mouth_track
from hub.media.speech import VoiceChain, mark

pytest.importorskip("edge_tts", reason="the edge-tts extra is not installed (pip install 'livehub[edge-tts]')")

try:
    from tests.voice.edge_standin import EdgeStandIn
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from voice.edge_standin import EdgeStandIn  # type: ignore[no-redef]

from plugins.voice_edge.backend import EdgeBackend, EdgeSettings, point_edge_tts_at  # noqa: E402


def edge(server: EdgeStandIn, tmp_path, **settings) -> EdgeBackend:
    return EdgeBackend(EdgeSettings(endpoint=server.url, cache_dir=tmp_path / "voice", **settings))


@pytest.fixture(autouse=True)
def real_endpoint_afterwards():
    yield
    point_edge_tts_at(None)


async def test_streams_audio_and_word_boundaries(mp3, tmp_path):
    async with EdgeStandIn(mp3, duration=1.6) as server:
        utterance = await edge(server, tmp_path, rate="+10%").synthesize("Fresh green tea today", locale="en")
    assert utterance.voice == "edge-tts:en-US-AriaNeural"
    # 1.6 s of 24 kHz MP3, decoded and resampled to 48 kHz (plus the codec's ~50 ms of padding)
    assert 1.6 <= utterance.duration < 1.8
    assert np.sqrt(np.mean(utterance.audio.astype(np.float64) ** 2)) > 1000
    words = [(e.value, e.start, e.end) for e in utterance.timing if e.kind == "word"]
    assert [w for w, _, _ in words] == ["Fresh", "green", "tea", "today"]
    assert [round(s, 3) for _, s, _ in words] == [0.0, 0.4, 0.8, 1.2]
    assert all(e - s == pytest.approx(0.32) for _, s, e in words)
    [request] = server.requests
    assert "TrustedClientToken=" in request["query"] and "ConnectionId=" in request["query"]
    config = json.loads(request["speech.config"])
    options = config["context"]["synthesis"]["audio"]
    assert options["metadataoptions"]["wordBoundaryEnabled"] == "true"
    assert options["outputFormat"] == "audio-24khz-48kbitrate-mono-mp3"
    assert "en-US, AriaNeural" in request["ssml"] and "rate='+10%'" in request["ssml"]
    track = mouth_track(utterance, 25)  # word timing only: lip-sync falls back to it
    assert len(track) == int(np.ceil(utterance.duration * 25)) and max(track) > 0.4


async def test_audio_goes_out_while_the_service_is_still_sending(mp3, tmp_path):
    async with EdgeStandIn(mp3, mode="hold") as server:
        stream = await edge(server, tmp_path).open_stream("Fresh green tea today", locale="en")
        assert server.held.is_set() and not stream.finished  # half the MP3 is still at the service
        first = await anext(aiter(stream))
        assert first.audio.size > 0 and abs(int(first.audio[0])) < 50  # faded in at the true start
        server.release.set()
        utterance = await stream.whole()
    assert 1.6 <= utterance.duration < 1.8
    assert [e.value for e in utterance.timing if e.kind == "word"] == ["Fresh", "green", "tea", "today"]


async def test_chinese_voice_and_marks(mp3, tmp_path):
    async with EdgeStandIn(mp3) as server:
        utterance = await edge(server, tmp_path).synthesize(f"现在{mark('sku:TEA-001')}上链接", locale="zh-CN")
        assert "zh-CN, XiaoxiaoNeural" in server.requests[0]["ssml"]
        assert "mark" not in server.requests[0]["ssml"]
    words = {e.value: e.start for e in utterance.timing if e.kind == "word"}
    [sku] = [e for e in utterance.timing if e.kind == "mark"]
    assert sku.value == "sku:TEA-001" and sku.start == words["上"] > words["在"]


async def test_stream_closed_midway_is_retryable_and_the_chain_falls_back(mp3, tmp_path, espeak):
    async with EdgeStandIn(mp3, mode="close") as server:
        backend = edge(server, tmp_path)
        with pytest.raises(BackendError, match="ended early") as caught:
            await backend.synthesize("Fresh green tea", locale="en")
        assert caught.value.retryable and caught.value.backend == "edge-tts"
        utterance = await VoiceChain([backend, espeak]).synthesize("Fresh green tea", locale="en")
    assert utterance.voice == "espeak:en" and utterance.duration > 0.5
    assert len(server.requests) == 2
    assert len(list((tmp_path / "voice").glob("*/*.npz"))) == 1  # espeak's; the broken stream is not cached


async def test_service_that_never_answers_times_out(mp3, tmp_path):
    async with EdgeStandIn(mp3, mode="silent") as server:
        with pytest.raises(BackendError, match="no speech within") as caught:
            await edge(server, tmp_path, timeout=0.3).synthesize("hello", locale="en")
    assert caught.value.retryable


async def test_unreachable_service_is_retryable(tmp_path):
    backend = EdgeBackend(EdgeSettings(endpoint="ws://127.0.0.1:9/edge/v1", cache=False, connect_timeout=2))
    with pytest.raises(BackendError) as caught:
        await backend.synthesize("hello", locale="en")
    assert caught.value.retryable


async def test_bad_voice_name_is_permanent(tmp_path):
    backend = EdgeBackend(EdgeSettings(endpoint="ws://127.0.0.1:9/edge/v1", cache=False))
    with pytest.raises(BackendError) as caught:
        await backend.synthesize("hello", "not a voice")
    assert not caught.value.retryable


def test_missing_extra_names_the_install_command(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "edge_tts", None)  # import edge_tts now raises ImportError
    with pytest.raises(MissingExtraError, match=r"pip install 'livehub\[edge-tts\]'"):
        EdgeBackend()


def test_endpoint_override_is_undone_for_the_real_service():
    import edge_tts.communicate
    import edge_tts.constants

    point_edge_tts_at("ws://127.0.0.1:1/x")
    assert edge_tts.communicate.WSS_URL.startswith("ws://127.0.0.1:1/x?TrustedClientToken=")
    point_edge_tts_at(None)
    assert edge_tts.communicate.WSS_URL == edge_tts.constants.WSS_URL


def test_decoded_rate_is_the_streams(mp3):
    from plugins.voice_edge.client import Mp3Decoder

    decoder = Mp3Decoder()
    for i in range(0, len(mp3), 500):  # arbitrary chunk boundaries, as the network delivers them
        decoder.feed(mp3[i:i + 500])
    pcm = decoder.finish()
    assert decoder.sample_rate == 24_000 and pcm.dtype == np.int16
    assert len(pcm) / 24_000 == pytest.approx(1.6, abs=0.12)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(max_size=4000), at=st.integers(min_value=0, max_value=8000))
def test_a_corrupt_audio_stream_fails_cleanly(mp3, garbage, at):
    """Bytes from the network spliced into a real MP3 stream: decoded, or a decoder error (which the
    backend turns into a retryable BackendError); never another exception."""
    import av.error

    from plugins.voice_edge.client import Mp3Decoder

    decoder = Mp3Decoder()
    stream = mp3[:at] + garbage + mp3[at:]
    try:
        for i in range(0, len(stream), 700):
            assert decoder.feed(stream[i:i + 700]).dtype == np.int16
        decoder.finish()
    except av.error.FFmpegError:
        pass
