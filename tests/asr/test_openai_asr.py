"""The ASR backend kind and the ``openai-asr`` backend, against a stand-in speaking OpenAI's
``/v1/audio/transcriptions`` over real HTTP (#12 item 6)."""

from __future__ import annotations

import asyncio

import aiohttp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.asr import ASR_RATE, AsrBackend, Transcript, build_asr, wav_bytes
from hub.errors import BackendError, ConfigError
from hub.secrets import SecretValue
from hub.testing import running_hub
from plugins.asr_openai.backend import OpenAIAsrBackend, OpenAIAsrSettings
from plugins.asr_openai.client import TranscriptionError, endpoint, parse_result
from plugins.asr_openai.standin import AsrStandIn, WavError, parse_wav


def speech(seconds: float = 1.0, rate: int = 48_000, amplitude: int = 6000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 220 * t) * amplitude).astype(np.int16)


def backend(server: AsrStandIn, **settings) -> OpenAIAsrBackend:
    return OpenAIAsrBackend(OpenAIAsrSettings(base_url=server.url, **settings))


class Recorder(AsrBackend):
    name = "recorder"

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.delay = delay
        self.wavs: list[bytes] = []

    async def _transcribe(self, wav: bytes, language: str | None) -> Transcript:
        self.wavs.append(wav)
        await asyncio.sleep(self.delay)
        return Transcript("  大家  好 ", language)


async def test_the_base_sends_speech_as_16k_wav_and_never_silence() -> None:
    asr = Recorder()
    assert (await asr.transcribe(np.zeros(48_000, dtype=np.int16), 48_000)).text == ""
    assert asr.wavs == []  # silence is never sent
    result = await asr.transcribe(speech(0.5), 48_000, language="zh")
    assert result.text == "大家 好" and result.language == "zh" and result.duration == pytest.approx(0.5)
    rate, samples = parse_wav(asr.wavs[0])
    assert rate == ASR_RATE and samples.size == ASR_RATE // 2


async def test_a_slow_backend_times_out_as_retryable() -> None:
    asr = Recorder(delay=5.0)
    asr.settings.timeout = 0.2
    with pytest.raises(BackendError, match="no transcript within") as caught:
        await asr.transcribe(speech(0.2), 48_000)
    assert caught.value.retryable and caught.value.backend == "recorder"


async def test_the_stand_in_hears_real_audio_and_answers_what_was_queued() -> None:
    async with AsrStandIn(api_key="sk-test") as server:
        server.say("欢迎来到直播间")
        asr = backend(server, api_key=SecretValue("sk-test", "test"), model="whisper-large-v3")
        result = await asr.transcribe(speech(1.5), 48_000, language="zh")
        await asr.aclose()
    assert result.text == "欢迎来到直播间"
    [heard] = server.requests
    assert heard.model == "whisper-large-v3" and heard.language == "zh"
    assert heard.seconds == pytest.approx(1.5) and heard.loudness > 0.1


@pytest.mark.parametrize("base", ["{url}", "{url}/", "{root}"])
async def test_the_base_url_may_or_may_not_end_in_v1(base) -> None:
    async with AsrStandIn() as server:
        server.say("ok")
        url = base.format(url=server.url, root=server.url.removesuffix("/v1"))
        asr = OpenAIAsrBackend(OpenAIAsrSettings(base_url=url))
        assert (await asr.transcribe(speech(0.3), 48_000)).text == "ok"
        await asr.aclose()
    assert endpoint("https://api.openai.com/v1") == "https://api.openai.com/v1/audio/transcriptions"


async def test_refusals_say_what_went_wrong_and_whether_to_retry() -> None:
    async with AsrStandIn(api_key="right") as server:
        wrong = backend(server, api_key=SecretValue("wrong", "test"))
        with pytest.raises(BackendError, match="not allowed.*Incorrect API key") as caught:
            await wrong.transcribe(speech(0.3), 48_000)
        assert not caught.value.retryable
        good = backend(server, api_key=SecretValue("right", "test"))
        server.rate_limits = 1
        with pytest.raises(BackendError, match="rate limited") as caught:
            await good.transcribe(speech(0.3), 48_000)
        assert caught.value.retryable
        assert isinstance(caught.value.__cause__, TranscriptionError) and caught.value.__cause__.retry_after == 2
        server.outage = True
        with pytest.raises(BackendError, match="HTTP 503: The server is overloaded") as caught:
            await good.transcribe(speech(0.3), 48_000)
        assert caught.value.retryable
        await wrong.aclose()
        await good.aclose()


async def test_the_stand_in_refuses_what_the_real_server_refuses() -> None:
    async with AsrStandIn() as server, aiohttp.ClientSession() as session:
        url = f"{server.url}/audio/transcriptions"
        form = aiohttp.FormData()
        form.add_field("file", b"ID3 not a wav at all" * 4, filename="x.mp3")
        form.add_field("model", "whisper-1")
        async with session.post(url, data=form) as response:
            assert response.status == 400 and "Invalid file format" in (await response.json())["error"]["message"]
        form = aiohttp.FormData()
        form.add_field("file", wav_bytes(speech(0.1, 16_000), 16_000), filename="a.wav")
        async with session.post(url, data=form) as response:  # no model
            assert response.status == 400
        async with session.post(url, json={"model": "whisper-1"}) as response:
            assert response.status == 400
    assert server.requests == []


async def test_asr_is_configured_like_every_backend_and_checked_at_start() -> None:
    config = {"backends": {"asr": {"default": "openai-asr",
                                   "openai-asr": {"base_url": "http://127.0.0.1:9/v1", "model": "small"}}}}
    async with running_hub(config=config) as hub:
        asr = build_asr(hub)
        assert isinstance(asr, OpenAIAsrBackend) and asr.settings.model == "small" and asr.language == "zh"
    async with running_hub() as hub:
        assert build_asr(hub) is None  # no ASR configured: voice in works without transcripts
    with pytest.raises(ConfigError, match=r"backends\.asr\.openai-asr\.base_url"):
        async with running_hub(config={"backends": {"asr": {"openai-asr": {"base_url": "ftp://x"}}}}):
            pass


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200), header=st.booleans())
def test_the_wav_parser_takes_anything_and_refuses_cleanly(data: bytes, header: bool) -> None:
    if header:
        data = b"RIFF" + len(data).to_bytes(4, "little") + b"WAVE" + data
    try:
        rate, samples = parse_wav(data)
    except WavError:
        return
    assert 8_000 <= rate <= 96_000 and samples.dtype == np.int16


@settings(max_examples=200, deadline=None)
@given(body=st.one_of(st.binary(max_size=100),
                      st.dictionaries(st.sampled_from(["text", "language", "duration", "x"]),
                                      st.one_of(st.none(), st.text(max_size=5), st.floats(), st.booleans()))
                      .map(lambda d: __import__("json").dumps(d).encode())))
def test_the_answer_parser_takes_anything_and_refuses_cleanly(body: bytes) -> None:
    try:
        result = parse_result(body)
    except TranscriptionError:
        return
    assert isinstance(result.text, str)
