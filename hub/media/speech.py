"""Speech: the voice backend base class and the marks convention (see docs/media.md).

A backend implements ONE method, ``_synthesize(text, voice)``, returning either

* an :class:`~hub.media.frames.Utterance` whose audio is already 48 kHz mono int16, or
* a :class:`RawSpeech` (int16 PCM at the backend's own rate plus timing in seconds), which the base
  resamples, so no backend carries resampling code, or
* an async iterator of :class:`RawSpeech` pieces, for a voice that streams: each piece goes on air as
  soon as it arrives (:mod:`hub.media.speech_stream` resamples and fades as it goes).

:meth:`VoiceBackend.open_stream` (a sentence as it arrives) and :meth:`VoiceBackend.synthesize` (the
whole sentence) add what every backend needs: the per-locale voice, a timeout, the disk
cache (:mod:`hub.media.voice_cache`), metrics, a short fade at both ends (no clicks between utterances) and
errors mapped to :class:`~hub.errors.BackendError`. ``Utterance.voice`` names the backend and the voice,
``"<backend>:<voice>"``, so a fallback is visible. Chains with fallback and prefetch are in
:mod:`hub.media.voice_chain` (re-exported here).

**Marks.** Text may carry ``{{mark:NAME}}`` placeholders (build them with :func:`mark`); the utterance then
has a ``TimingEvent(kind="mark", value=NAME)`` at the instant the following word starts, used to switch
the product card or captions at an exact word. Backends with ``supports_marks = True`` get the text with
placeholders and place marks themselves (e.g. through SSML); for the others the base strips them and
places each mark at the start of the first word event at or after it (proportionally to the text when
there are no word events). ``Utterance.text`` never contains placeholders.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from hub.errors import BackendError
from hub.media.frames import SAMPLE_RATE, TimingEvent, Utterance
from hub.media.pcm import fade_edges, resample
from hub.media.speech_stream import (
    SpeechPart,
    SpeechShaper,
    SpeechStream,
    sort_timing,
    word_offsets,
)
from hub.media.voice_cache import VoiceCache, cache_key, default_cache_dir

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger("livehub.voice")

DEFAULT_LOCALE = "zh-CN"
_streams = itertools.count(1)
MARK_PATTERN = re.compile(r"\{\{mark:([^{}]+)\}\}")


def mark(name: str) -> str:
    """The placeholder that puts mark ``name`` at this point of a sentence: ``{{mark:NAME}}``."""
    if not name or "{" in name or "}" in name:
        raise ValueError(f"invalid mark name: {name!r}")
    return "{{mark:" + name + "}}"


def parse_marks(text: str) -> tuple[str, list[tuple[int, str]]]:
    """``text`` without placeholders, and each mark as ``(offset in that plain text, name)``."""
    plain: list[str] = []
    marks: list[tuple[int, str]] = []
    length, last = 0, 0
    for found in MARK_PATTERN.finditer(text):
        plain.append(text[last:found.start()])
        length += found.start() - last
        marks.append((length, found.group(1).strip()))
        last = found.end()
    plain.append(text[last:])
    return "".join(plain), marks


def place_marks(plain: str, marks: list[tuple[int, str]], timing: list[TimingEvent],
                duration: float) -> list[TimingEvent]:
    """Mark events for backends that cannot place them: at the first word starting at or after each mark."""
    words = [e for e in timing if e.kind == "word"]
    offsets = word_offsets(plain, words)
    out = []
    for position, name in marks:
        starts = [w.start for w, off in zip(words, offsets, strict=True) if off is not None and off >= position]
        if starts:
            at = starts[0]
        elif words:
            at = duration
        else:
            at = duration * position / max(len(plain), 1)
        out.append(TimingEvent("mark", at, at, name))
    return out


@dataclass(slots=True)
class RawSpeech:
    """What a backend may return instead of an Utterance: mono int16 PCM at ``sample_rate``, timing in s."""

    audio: np.ndarray
    sample_rate: int
    timing: list[TimingEvent] = field(default_factory=list)


class VoiceSettings(BaseModel):
    """Settings every voice backend has (``[backends.voice.<name>]``); backends subclass this model."""

    model_config = ConfigDict(extra="forbid")

    voices: dict[str, str] = Field(default_factory=dict,
                                   description="voice per locale, e.g. {'zh-CN': '...'}; overrides the defaults")
    timeout: float = Field(20.0, gt=0, description="seconds one sentence may take to synthesise")
    cache: bool = True
    cache_dir: Path | None = Field(None, description="default: $LIVEHUB_CACHE_DIR/voice or .cache/livehub/voice")
    cache_max_mb: int = Field(512, ge=1)


class VoiceBackend(ABC):
    """Base of every voice backend. Subclasses set ``name`` and implement :meth:`_synthesize`."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    """Part of the cache key: bump it when the same text and settings would now sound different."""
    default_voices: ClassVar[dict[str, str]] = {}
    """Voice per locale (``"zh-CN"``) or language (``"en"``) when the settings name none."""
    supports_marks: ClassVar[bool] = False
    settings_model: ClassVar[type[VoiceSettings]] = VoiceSettings

    def __init__(self, settings: VoiceSettings | None = None, hub: Hub | None = None) -> None:
        self.settings = settings if settings is not None else self.settings_model()
        self.hub = hub
        self.locale = hub.config.hub.locale if hub is not None else DEFAULT_LOCALE
        root = self.settings.cache_dir or default_cache_dir()
        self.cache = VoiceCache(root, max_bytes=self.settings.cache_max_mb * 1024 * 1024) \
            if self.settings.cache else None

    @abstractmethod
    async def _synthesize(self, text: str, voice: str) -> Utterance | RawSpeech | AsyncIterator[RawSpeech]:
        """Speak ``text`` with ``voice``. Raise BackendError (retryable if trying again may help).

        A voice that streams returns an async iterator of :class:`RawSpeech` pieces (timing in seconds
        from the sentence's start): the first piece goes on air as soon as it arrives."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, deliberately not abstract
        """Release what the backend holds (threads, sessions). The default holds nothing."""

    def cache_fingerprint(self) -> str:
        """The settings that change the sound (rate, pitch…), as a string for the cache key."""
        return ""

    def voice_for(self, locale: str | None = None) -> str:
        """The voice for ``locale``: settings first, then the defaults; exact locale, then its language."""
        locale = locale or self.locale
        voices = {k.lower(): v for k, v in {**self.default_voices, **self.settings.voices}.items()}
        for candidate in (locale.lower(), locale.split("-")[0].lower()):
            if candidate in voices:
                return voices[candidate]
        raise BackendError(f"voice backend {self.name!r} has no voice for locale {locale!r}; "
                           f"set [backends.voice.{self.name}] voices", backend=self.name)

    async def synthesize(self, text: str, voice: str | None = None, *, locale: str | None = None) -> Utterance:
        """``text`` as a 48 kHz utterance, from the cache when it was spoken before."""
        stream = await self.open_stream(text, voice, locale=locale)
        return await stream.whole()

    async def open_stream(self, text: str, voice: str | None = None, *,
                          locale: str | None = None) -> SpeechStream:
        """``text`` as a :class:`~hub.media.speech_stream.SpeechStream`, returned once its first audio
        is there (a voice that does not stream: once it is whole). Errors before any audio raise
        BackendError here, so a chain can try the next voice; a stream that breaks later ends early
        with ``stream.error`` set (logged and counted once)."""
        voice = voice or self.voice_for(locale)
        plain, marks = parse_marks(text)
        if not plain.strip():
            return SpeechStream.complete(Utterance(text=plain, audio=np.zeros(0, dtype=np.int16),
                                                   timing=[TimingEvent("mark", 0.0, 0.0, n) for _, n in marks],
                                                   voice=f"{self.name}:{voice}"))
        key = cache_key(self.name, self.version, self.cache_fingerprint(), voice, text)
        if self.cache is not None and (hit := await asyncio.to_thread(self.cache.get, key)) is not None:
            self._count("cached")
            return SpeechStream.complete(hit)
        stream = SpeechStream(plain, f"{self.name}:{voice}")
        marks = [] if self.supports_marks else marks
        produce = self._produce(stream, text if self.supports_marks else plain, voice, marks, key)
        name = f"voice:{self.name}:sentence:{next(_streams)}"
        task = self.hub.create_task(produce, name=name) if self.hub is not None else \
            asyncio.get_running_loop().create_task(produce, name=name)
        stream.own(task)
        try:
            await asyncio.shield(stream.first_part)
        except asyncio.CancelledError:
            await stream.aclose()
            raise
        return stream

    async def _produce(self, stream: SpeechStream, text: str, voice: str, marks: list[tuple[int, str]],
                       key: str) -> None:
        """Synthesise into ``stream`` under the sentence's timeout; cache the whole utterance."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.settings.timeout):
                raw = await self._synthesize(text, voice)
                if isinstance(raw, AsyncIterator):
                    shaper = SpeechShaper(stream.text, marks)
                    try:
                        async for piece in raw:
                            if isinstance(piece, Utterance):
                                piece = RawSpeech(np.asarray(piece.audio, dtype=np.int16), SAMPLE_RATE,
                                                  list(piece.timing))
                            first = not stream.first_part.done()
                            stream.put(shaper.push(piece.audio, piece.sample_rate, piece.timing))
                            if first and stream.first_part.done():
                                self._count_first_audio(time.perf_counter() - started)
                    finally:
                        stream.put(shaper.finish())
                        with contextlib.suppress(Exception):
                            await raw.aclose()  # type: ignore[attr-defined]
                else:
                    whole = self._finish(raw, stream.text, marks, voice)
                    stream.put(SpeechPart(whole.audio, whole.timing))
        except asyncio.CancelledError:
            stream.end(asyncio.CancelledError())
            raise
        except Exception as exc:  # every failure ends the stream with a BackendError
            error = self._backend_error(exc)
            if stream.first_part.done():
                log.warning("voice %s broke off a sentence after %.1f s of audio: %s", self.name,
                            stream.utterance().duration, error)
            stream.end(error)
            return
        utterance = stream.utterance()
        stream.end()
        self._count("ok", seconds=time.perf_counter() - started, audio=utterance.duration)
        if self.cache is not None and utterance.audio.size:
            try:
                await asyncio.to_thread(self.cache.put, key, utterance)
            except OSError as exc:
                log.warning("voice cache %s not writable: %s", self.cache.root, exc)

    def _backend_error(self, exc: BaseException) -> BackendError:
        """``exc`` as the BackendError callers see (counted)."""
        if isinstance(exc, BackendError):
            exc.backend = exc.backend or self.name
            self._count("error")
            return exc
        if isinstance(exc, TimeoutError):
            self._count("timeout")
            return BackendError(f"voice {self.name!r}: no speech within {self.settings.timeout:g} s",
                                retryable=True, backend=self.name)
        self._count("error")
        error = BackendError(f"voice {self.name!r} failed: {type(exc).__name__}: {exc}",
                             retryable=isinstance(exc, OSError), backend=self.name)
        error.__cause__ = exc
        return error

    def _finish(self, raw: Utterance | RawSpeech, plain: str, marks: list[tuple[int, str]],
                voice: str) -> Utterance:
        """Resample, fade, clamp the timing into the audio and add estimated marks."""
        if isinstance(raw, RawSpeech):
            audio = resample(raw.audio, raw.sample_rate, SAMPLE_RATE)
        else:
            audio = np.asarray(raw.audio, dtype=np.int16).reshape(-1)
        audio = fade_edges(audio)
        duration = audio.size / SAMPLE_RATE
        timing = [TimingEvent(e.kind, min(max(e.start, 0.0), duration), min(max(e.end, e.start, 0.0), duration),
                              e.value) for e in raw.timing]
        timing += place_marks(plain, marks, timing, duration)
        return Utterance(text=plain, audio=audio, timing=sort_timing(timing), voice=f"{self.name}:{voice}")

    def _count_first_audio(self, seconds: float) -> None:
        if self.hub is not None:
            from prometheus_client import Histogram

            self.hub.metric(Histogram, "livehub_voice_first_audio_seconds",
                            "Time from a sentence's request to its first streamed audio",
                            ["backend"]).labels(self.name).observe(seconds)

    def _count(self, result: str, *, seconds: float | None = None, audio: float | None = None) -> None:
        if self.hub is None:
            return
        from prometheus_client import Counter, Histogram

        self.hub.metric(Counter, "livehub_voice_requests", "Voice synthesis requests by backend and result",
                        ["backend", "result"]).labels(self.name, result).inc()
        if seconds is not None:
            self.hub.metric(Histogram, "livehub_voice_synthesis_seconds", "Time to synthesise one sentence",
                            ["backend"]).labels(self.name).observe(seconds)
        if audio is not None:
            self.hub.metric(Counter, "livehub_voice_audio_seconds", "Seconds of speech synthesised",
                            ["backend"]).labels(self.name).inc(audio)


def __getattr__(name: str) -> Any:  # VoiceChain and build_voice_chain live next door; import them lazily
    if name in ("VoiceChain", "build_voice_chain"):
        from hub.media import voice_chain

        return getattr(voice_chain, name)
    raise AttributeError(name)
