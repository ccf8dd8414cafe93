"""Speech recognition: the ASR backend kind (``[backends.asr]``), one abstract method like the others.

A backend implements ONE method, ``_transcribe(wav, language)``: a WAV file (16 kHz mono 16-bit, the
rate every recogniser takes) in, a :class:`Transcript` out. :meth:`AsrBackend.transcribe` adds what every
backend needs: silence is never sent (an empty transcript), audio is resampled and wrapped as WAV, the
call is bounded by ``timeout``, errors become :class:`~hub.errors.BackendError` (retryable when trying
again may help) and requests, results and seconds of audio are metrics.

:func:`build_asr` builds the configured backend: ``[backends.asr] default = "<name>"`` with its settings
in ``[backends.asr.<name>]``, else a backend a plugin registers with ``BackendSpec(default=True)``, else
none (voice in then works without transcripts).
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
import wave
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from hub.errors import BackendError

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger("livehub.asr")

ASR_RATE = 16_000
"""The sample rate of the WAV a backend receives."""
SILENCE_RMS = 0.005
"""Audio quieter than this (RMS, 0..1 of full scale) is silence: never sent."""


@dataclass(slots=True)
class Transcript:
    """What was said: ``text`` (empty for silence), the language if the recogniser says, seconds heard."""

    text: str
    language: str | None = None
    duration: float = 0.0


class AsrSettings(BaseModel):
    """Settings every ASR backend has (``[backends.asr.<name>]``); backends subclass this model."""

    model_config = ConfigDict(extra="forbid")

    timeout: float = Field(20.0, gt=0, description="seconds one transcription may take")
    language: str | None = Field(None, description='e.g. "zh" or "en"; default: the hub locale\'s language')


def wav_bytes(audio: np.ndarray, rate: int) -> bytes:
    """Mono int16 ``audio`` at ``rate`` as a WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.ascontiguousarray(audio, dtype="<i2").tobytes())
    return buffer.getvalue()


def loudness(audio: np.ndarray) -> float:
    """RMS of int16 ``audio``, 0..1 of full scale."""
    if audio.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(audio.astype(np.float64) / 32768.0))))


class AsrBackend(ABC):
    """Base of every ASR backend. Subclasses set ``name`` and implement :meth:`_transcribe`."""

    name: ClassVar[str] = ""
    settings_model: ClassVar[type[AsrSettings]] = AsrSettings

    def __init__(self, settings: AsrSettings | None = None, hub: Hub | None = None) -> None:
        self.settings = settings if settings is not None else self.settings_model()
        self.hub = hub
        locale = hub.config.hub.locale if hub is not None else "zh-CN"
        self.language = self.settings.language or locale.split("-")[0].lower()

    @abstractmethod
    async def _transcribe(self, wav: bytes, language: str | None) -> Transcript:
        """What ``wav`` (16 kHz mono 16-bit) says. Raise BackendError (retryable if trying again may help)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, deliberately not abstract
        """Release what the backend holds (sessions). The default holds nothing."""

    async def transcribe(self, audio: np.ndarray, sample_rate: int, *, language: str | None = None) -> Transcript:
        """What mono int16 ``audio`` at ``sample_rate`` says; an empty transcript for silence."""
        from hub.media.pcm import resample

        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, not {sample_rate}")
        audio = np.asarray(audio, dtype=np.int16).reshape(-1)
        duration = audio.size / sample_rate
        if audio.size == 0 or loudness(audio) < SILENCE_RMS:
            self._count("silence")
            return Transcript("", duration=duration)
        wav = wav_bytes(resample(audio, sample_rate, ASR_RATE), ASR_RATE)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.settings.timeout):
                result = await self._transcribe(wav, language or self.language)
        except BackendError as exc:
            exc.backend = exc.backend or self.name
            self._count("error")
            raise
        except TimeoutError:
            self._count("timeout")
            raise BackendError(f"asr {self.name!r}: no transcript within {self.settings.timeout:g} s",
                               retryable=True, backend=self.name) from None
        except Exception as exc:
            self._count("error")
            raise BackendError(f"asr {self.name!r} failed: {type(exc).__name__}: {exc}",
                               retryable=_retryable(exc), backend=self.name) from exc
        result.text = " ".join(result.text.split())
        result.duration = result.duration or duration
        self._count("ok", seconds=time.perf_counter() - started, audio=duration)
        return result

    def _count(self, result: str, *, seconds: float | None = None, audio: float | None = None) -> None:
        if self.hub is None:
            return
        from prometheus_client import Counter, Histogram

        self.hub.metric(Counter, "livehub_asr_requests", "Transcriptions by backend and result",
                        ["backend", "result"]).labels(self.name, result).inc()
        if seconds is not None:
            self.hub.metric(Histogram, "livehub_asr_seconds", "Time to transcribe one stretch of speech",
                            ["backend"]).labels(self.name).observe(seconds)
        if audio is not None:
            self.hub.metric(Counter, "livehub_asr_audio_seconds", "Seconds of speech transcribed",
                            ["backend"]).labels(self.name).inc(audio)


def _retryable(exc: BaseException) -> bool:
    """Whether trying again may help: the network (OSError, timeouts) or a server error (HTTP 5xx)."""
    status = getattr(exc, "status", None) or getattr(exc, "status_code", None)
    return isinstance(exc, OSError | TimeoutError) or (isinstance(status, int) and status >= 500)


def build_asr(hub: Any) -> AsrBackend | None:
    """The configured ASR backend (see the module docstring), built by its factory with
    ``[backends.asr.<name>]``, or None when none is configured and none is a registered default.

    Raises BackendError when the named backend is not registered or cannot be built (reported too)."""
    from hub.media.backends import build_backend, flagged_default

    choice = hub.settings.backend_choice.get("asr")
    name = (choice.default if choice is not None else None) or flagged_default(hub, "asr")
    if name is None:
        return None
    try:
        return build_backend(hub, "asr", name)
    except BackendError:  # not registered: the message names the known ones
        raise
    except Exception as exc:
        hub.report_error(exc, f"asr:{name}:create")
        raise BackendError(f"the asr backend {name!r} cannot be built: {exc}", backend="asr") from exc
