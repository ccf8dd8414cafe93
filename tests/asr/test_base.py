"""What :class:`hub.asr.AsrBackend` does for every backend: silence is never sent, audio arrives as a
16 kHz mono WAV, the timeout, errors mapped to BackendError, metrics."""

from __future__ import annotations

import asyncio
import wave
from io import BytesIO

import numpy as np
import pytest

from hub.asr import ASR_RATE, AsrBackend, AsrSettings, Transcript
from hub.errors import BackendError
from hub.testing import running_hub
from tests.asr.audio import rms, speech


class Recorder(AsrBackend):
    """Keeps every WAV it is given; answers ``answer``, or raises ``error``, or waits on ``gate``."""

    name = "recorder"

    def __init__(self, settings: AsrSettings | None = None, hub=None, *, error: BaseException | None = None,
                 gate: asyncio.Event | None = None) -> None:
        super().__init__(settings, hub)
        self.error, self.gate = error, gate
        self.calls: list[tuple[bytes, str | None]] = []

    async def _transcribe(self, wav: bytes, language: str | None) -> Transcript:
        self.calls.append((wav, language))
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return Transcript("  大家  好 ", language)


class HttpFailure(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def read_wav(data: bytes) -> tuple[int, int, int, np.ndarray]:
    with wave.open(BytesIO(data), "rb") as found:
        frames = found.readframes(found.getnframes())
        return found.getframerate(), found.getnchannels(), found.getsampwidth(), np.frombuffer(frames, "<i2")


@pytest.mark.parametrize("audio", [np.zeros(0, dtype=np.int16), np.zeros(48_000, dtype=np.int16),
                                   (np.random.default_rng(1).normal(0, 20, 48_000)).astype(np.int16)])
async def test_empty_or_silent_audio_is_never_sent(audio: np.ndarray) -> None:
    asr = Recorder()
    result = await asr.transcribe(audio, 48_000)
    assert result == Transcript("", None, audio.size / 48_000)
    assert asr.calls == []


@pytest.mark.parametrize("rate", [8_000, 16_000, 44_100, 48_000])
async def test_speech_arrives_as_a_16k_mono_wav_of_the_same_length_and_loudness(rate: int) -> None:
    asr = Recorder()
    audio = speech(0.5, rate)
    result = await asr.transcribe(audio, rate, language="zh")
    assert result.text == "大家 好" and result.language == "zh" and result.duration == pytest.approx(0.5)
    [(wav, language)] = asr.calls
    found_rate, channels, width, samples = read_wav(wav)
    assert (found_rate, channels, width, language) == (ASR_RATE, 1, 2, "zh")
    assert samples.size == pytest.approx(ASR_RATE // 2, abs=2)
    assert rms(samples) == pytest.approx(rms(audio), rel=0.05)


async def test_the_language_defaults_to_the_settings_then_the_hub_locale() -> None:
    async with running_hub(config={"hub": {"locale": "en-US"}}) as hub:
        assert Recorder(hub=hub).language == "en"
        assert Recorder(AsrSettings(language="ja"), hub).language == "ja"
    asr = Recorder()
    await asr.transcribe(speech(0.2), 48_000)
    assert asr.calls[0][1] == "zh"  # no hub: the default locale, zh-CN


async def test_a_backend_that_never_answers_times_out_as_retryable() -> None:
    asr = Recorder(AsrSettings(timeout=0.05), gate=asyncio.Event())  # the gate never opens
    with pytest.raises(BackendError, match="no transcript within 0.05 s") as caught:
        await asr.transcribe(speech(0.2), 48_000)
    assert caught.value.retryable and caught.value.backend == "recorder"


@pytest.mark.parametrize(("error", "retryable"), [
    (ConnectionResetError("reset by peer"), True),
    (HttpFailure(503), True),
    (HttpFailure(400), False),
    (ValueError("bad answer"), False),
])
async def test_failures_become_backend_errors_that_say_whether_to_retry(error, retryable) -> None:
    asr = Recorder(error=error)
    with pytest.raises(BackendError, match=f"asr 'recorder' failed: {type(error).__name__}") as caught:
        await asr.transcribe(speech(0.2), 48_000)
    assert caught.value.retryable is retryable and caught.value.__cause__ is error


async def test_a_backend_error_keeps_its_own_message_and_gets_the_backend_name() -> None:
    asr = Recorder(error=BackendError("quota used up", retryable=False))
    with pytest.raises(BackendError, match="^quota used up$") as caught:
        await asr.transcribe(speech(0.2), 48_000)
    assert caught.value.backend == "recorder" and not caught.value.retryable


async def test_a_bad_sample_rate_is_the_callers_mistake() -> None:
    with pytest.raises(ValueError, match="sample_rate"):
        await Recorder().transcribe(speech(0.2), 0)


async def test_requests_results_and_audio_are_counted() -> None:
    async with running_hub() as hub:
        ok, failing = Recorder(hub=hub), Recorder(hub=hub, error=OSError("down"))
        await ok.transcribe(speech(1.5), 48_000)
        await ok.transcribe(np.zeros(4800, dtype=np.int16), 48_000)
        with pytest.raises(BackendError):
            await failing.transcribe(speech(0.2), 48_000)
        slow = Recorder(AsrSettings(timeout=0.05), hub, gate=asyncio.Event())
        with pytest.raises(BackendError):
            await slow.transcribe(speech(0.2), 48_000)

        def value(name: str, **labels: str) -> float | None:
            return hub.metrics.get_sample_value(name, {"backend": "recorder", **labels})

        assert value("livehub_asr_requests_total", result="ok") == 1
        assert value("livehub_asr_requests_total", result="silence") == 1
        assert value("livehub_asr_requests_total", result="error") == 1
        assert value("livehub_asr_requests_total", result="timeout") == 1
        assert value("livehub_asr_seconds_count") == 1
        assert value("livehub_asr_audio_seconds_total") == pytest.approx(1.5)
