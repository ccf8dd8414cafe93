"""The ``openai-asr`` client and backend against the stand-in over real HTTP: what arrives, auth,
refusals, rate limits, outages and dropped connections, both forms of ``base_url``."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from hub.asr import ASR_RATE, wav_bytes
from hub.errors import BackendError
from hub.secrets import SecretValue
from plugins.asr_openai.backend import OpenAIAsrBackend, OpenAIAsrSettings
from plugins.asr_openai.client import TranscriptionError, endpoint, transcribe
from plugins.asr_openai.standin import AsrStandIn
from tests.asr.audio import speech


def backend(base_url: str, key: str | None = None, **settings) -> OpenAIAsrBackend:
    api_key = SecretValue(key, "test") if key else None
    return OpenAIAsrBackend(OpenAIAsrSettings(base_url=base_url, api_key=api_key, **settings))


async def failure(asr: OpenAIAsrBackend, seconds: float = 0.3) -> BackendError:
    try:
        with pytest.raises(BackendError) as caught:
            await asr.transcribe(speech(seconds), 48_000)
    finally:
        await asr.aclose()
    return caught.value


async def test_real_audio_and_the_settings_arrive_and_the_queued_text_comes_back(keyed_server) -> None:
    keyed_server.say("欢迎来到直播间", "1号链接多少钱")
    asr = backend(keyed_server.url + "/v1", "sk-right", model="whisper-large-v3", prompt="高山乌龙茶")
    first = await asr.transcribe(speech(1.5), 48_000, language="zh")
    second = await asr.transcribe(speech(0.5, 16_000, amplitude=3000), 16_000, language="en")
    await asr.aclose()
    assert (first.text, first.duration, second.text) == ("欢迎来到直播间", pytest.approx(1.5), "1号链接多少钱")
    one, two = keyed_server.requests
    assert (one.model, one.language, two.language) == ("whisper-large-v3", "zh", "en")
    assert one.seconds == pytest.approx(1.5, abs=0.01) and two.seconds == pytest.approx(0.5, abs=0.01)
    assert one.loudness == pytest.approx(6000 / 32768 / 2**0.5, rel=0.05)
    assert one.loudness > two.loudness > 0.05
    assert (one.prompt, two.prompt) == ("高山乌龙茶", "高山乌龙茶")


@pytest.mark.parametrize("form", ["{root}", "{root}/", "{root}/v1", "{root}/v1/"])
async def test_the_base_url_may_or_may_not_end_in_v1(server, form: str) -> None:
    server.say("ok")
    asr = backend(form.format(root=server.url))
    assert (await asr.transcribe(speech(0.3), 48_000)).text == "ok"
    await asr.aclose()
    assert endpoint(form.format(root="https://api.example.com")) == "https://api.example.com/v1/audio/transcriptions"


async def test_nothing_queued_is_an_empty_transcript(server) -> None:
    asr = backend(server.url)
    assert (await asr.transcribe(speech(0.3), 48_000)).text == ""
    await asr.aclose()
    assert len(server.requests) == 1


async def test_a_wrong_or_missing_key_is_refused_and_not_retried(keyed_server) -> None:
    for key in ("sk-wrong", None):
        error = await failure(backend(keyed_server.url, key))
        assert not error.retryable
        assert "not allowed (HTTP 401: Incorrect API key provided.); check api_key" in str(error)
    assert keyed_server.requests == [] and len(keyed_server.sent("refused")) == 2


async def test_a_file_that_is_not_a_wav_is_refused_with_the_servers_reason(server) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(TranscriptionError, match=r"HTTP 400: Invalid file format: not a WAV file") as caught:
            await transcribe(session, server.url, b"ID3\x04 an mp3 perhaps" * 8, model="whisper-1")
        assert caught.value.status == 400 and not caught.value.retryable
        float_wav = bytearray(wav_bytes(speech(0.1, ASR_RATE), ASR_RATE))
        float_wav[20:22] = (3).to_bytes(2, "little")  # WAVE_FORMAT_IEEE_FLOAT
        with pytest.raises(TranscriptionError, match=r"HTTP 400: .*not PCM \(format tag 3\)"):
            await transcribe(session, server.url, bytes(float_wav), model="whisper-1")
    assert server.requests == []


async def test_a_rate_limit_is_retryable_and_keeps_retry_after(server) -> None:
    await server.control().fault("rate_limit", count=1)
    error = await failure(backend(server.url))
    assert error.retryable and "rate limited (HTTP 429: Rate limit reached for requests.)" in str(error)
    assert isinstance(error.__cause__, TranscriptionError)
    assert (error.__cause__.status, error.__cause__.retry_after) == (429, 2.0)
    server.say("again")
    asr = backend(server.url)
    assert (await asr.transcribe(speech(0.3), 48_000)).text == "again"  # one refusal, as asked
    await asr.aclose()


async def test_an_outage_is_a_retryable_5xx_with_the_servers_message(server) -> None:
    await server.control().fault("outage", seconds=600)
    error = await failure(backend(server.url))
    assert error.retryable and "HTTP 503: The server is overloaded or not ready yet." in str(error)
    assert error.__cause__.status == 503


async def test_a_dropped_connection_is_retryable(server: AsrStandIn) -> None:
    server.hold()
    asr = backend(server.url)
    task = asyncio.create_task(asr.transcribe(speech(0.3), 48_000))
    async with asyncio.timeout(30):  # a bound on waiting, not a timed assertion
        await server.held.wait()  # the request is in, waiting for its answer
    assert (await server.control().fault("disconnect"))["dropped"] == 1
    with pytest.raises(BackendError, match="cannot reach the server") as caught:
        await task
    await asr.aclose()
    assert caught.value.retryable and server.requests == []


async def test_an_unreachable_server_is_retryable() -> None:
    async with AsrStandIn() as gone:
        url = gone.url
    error = await failure(backend(url))
    assert error.retryable and "cannot reach the server" in str(error)


@pytest.mark.parametrize(("response_format", "expected"), [("json", (None, None)),
                                                           ("verbose_json", ("zh", 0.25))])
async def test_verbose_json_gives_the_language_and_duration(server, response_format, expected) -> None:
    server.say("好")
    form = aiohttp.FormData()
    form.add_field("file", wav_bytes(speech(0.25, ASR_RATE), ASR_RATE), filename="a.wav", content_type="audio/wav")
    for key, value in {"model": "whisper-1", "language": "zh", "response_format": response_format}.items():
        form.add_field(key, value)
    async with aiohttp.ClientSession() as session, session.post(server.url + "/v1/audio/transcriptions",
                                                                data=form) as response:
        from plugins.asr_openai.client import parse_result

        result = parse_result(await response.read())
    assert (result.text, result.language, result.duration) == ("好", *expected)
