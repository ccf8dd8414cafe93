"""A chain of voice backends: fallback to the next on error, and sentence streaming with prefetch.

``[backends.voice] default = "a", fallback = ["b"]`` gives the chain a → b; with no such section it is the
default voice backend alone (the one a plugin registers with ``BackendSpec(default=True)``: the offline
voice). A backend that failed with a retryable error rests
for ``cooldown`` seconds (it is tried after the others meanwhile), so an unreachable online voice does not
cost a timeout on every sentence of a live show.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hub.errors import BackendError
from hub.media.backends import build_backend, default_backend
from hub.media.frames import Utterance
from hub.media.speech import DEFAULT_LOCALE, VoiceBackend
from hub.media.speech_stream import SpeechStream

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger("livehub.voice")

PREFETCH = 1
"""Sentences synthesised ahead of the one being consumed."""
_stream_ids = itertools.count(1)
_DONE = object()


class VoiceChain:
    """Backends tried in order. ``voices`` optionally overrides ``{backend name: {locale: voice}}``."""

    def __init__(self, backends: Sequence[VoiceBackend], voices: Mapping[str, Mapping[str, str]] | None = None,
                 *, locale: str | None = None, cooldown: float = 30.0, hub: Hub | None = None) -> None:
        if not backends:
            raise ValueError("a voice chain needs at least one backend")
        self.backends = list(backends)
        self.voices = {name: dict(table) for name, table in (voices or {}).items()}
        self.locale = locale or (hub.config.hub.locale if hub is not None else DEFAULT_LOCALE)
        self.cooldown = cooldown
        self.hub = hub
        self._resting: dict[str, float] = {}

    def voice_for(self, backend: VoiceBackend, locale: str) -> str | None:
        """The chain's override for ``backend`` and ``locale``, or None (the backend's own choice)."""
        table = {k.lower(): v for k, v in self.voices.get(backend.name, {}).items()}
        return table.get(locale.lower()) or table.get(locale.split("-")[0].lower())

    def _order(self) -> list[VoiceBackend]:
        now = time.monotonic()
        awake = [b for b in self.backends if self._resting.get(b.name, 0.0) <= now]
        return awake + [b for b in self.backends if b not in awake]

    async def synthesize(self, text: str, locale: str | None = None) -> Utterance:
        """``text`` spoken whole by the first backend that succeeds (a stream that breaks off midway
        counts as a failure). Raises BackendError when all fail."""
        return await self._first_success(
            lambda backend, voice, locale: backend.synthesize(text, voice, locale=locale), locale)

    async def open_stream(self, text: str, locale: str | None = None) -> SpeechStream:
        """``text`` as a stream from the first backend whose first audio arrives (see
        :meth:`VoiceBackend.open_stream`; a break after that ends the sentence early, there is no going
        back on audio on air). Raises BackendError when all fail."""
        return await self._first_success(
            lambda backend, voice, locale: backend.open_stream(text, voice, locale=locale), locale)

    async def _first_success(self, call: Callable[[VoiceBackend, str | None, str], Awaitable[Any]],
                             locale: str | None) -> Any:
        locale = locale or self.locale
        errors: list[BackendError] = []
        for backend in self._order():
            try:
                result = await call(backend, self.voice_for(backend, locale), locale)
            except BackendError as exc:
                errors.append(exc)
                if exc.retryable:
                    self._resting[backend.name] = time.monotonic() + self.cooldown
                log.warning("voice %s failed (%s); trying the next voice", backend.name, exc)
                self._count_fallback(backend.name)
                continue
            self._resting.pop(backend.name, None)
            return result
        raise BackendError("every voice failed: " + "; ".join(str(e) for e in errors),
                           retryable=any(e.retryable for e in errors), backend="voice")

    def speak(self, sentences: AsyncIterable[str] | Iterable[str], locale: str | None = None, *,
              skip_failed: bool = False) -> AsyncIterator[SpeechStream]:
        """Like :meth:`stream`, but each sentence as a :class:`SpeechStream` as soon as its first audio is
        there: the room timeline plays it while the rest arrives. Streams not consumed when the iterator
        closes are closed."""
        return self._prefetched(sentences, locale, skip_failed, self.open_stream)

    def stream(self, sentences: AsyncIterable[str] | Iterable[str], locale: str | None = None, *,
               skip_failed: bool = False) -> AsyncIterator[Utterance]:
        """Utterances of ``sentences`` in order; sentence *n+1* is synthesised while *n* is consumed.

        At most one sentence is synthesised ahead: synthesis of *n+2* starts when the consumer asks for
        *n+1*, so an interrupted stream wastes little work. A sentence no voice can speak raises
        BackendError at its place in the stream, or is logged and skipped with ``skip_failed``. Closing
        the iterator (or breaking out of ``async for``) cancels the prefetch.
        """
        return self._prefetched(sentences, locale, skip_failed, self.synthesize)

    async def _prefetched(self, sentences: AsyncIterable[str] | Iterable[str], locale: str | None,
                          skip_failed: bool, make: Callable[[str, str | None], Awaitable[Any]]) -> AsyncIterator[Any]:
        ready: asyncio.Queue[Any] = asyncio.Queue()
        credits = asyncio.Semaphore(1 + PREFETCH)
        task = self._start(self._produce(sentences, locale, ready, credits, skip_failed, make),
                           f"voice:prefetch:{next(_stream_ids)}")
        current: Any = None
        try:
            first = True
            while True:
                if not first:
                    credits.release()  # the consumer is done with the previous utterance
                first = False
                item = await ready.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                current = item
                yield item
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            unread = [current] if isinstance(current, SpeechStream) else []
            while not ready.empty():
                unread.append(ready.get_nowait())
            for item in unread:
                if isinstance(item, SpeechStream):
                    await item.aclose()

    async def _produce(self, sentences: AsyncIterable[str] | Iterable[str], locale: str | None,
                       ready: asyncio.Queue[Any], credits: asyncio.Semaphore, skip_failed: bool,
                       make: Callable[[str, str | None], Awaitable[Any]]) -> None:
        try:
            async for sentence in _aiter(sentences):
                if not sentence.strip():
                    continue
                await credits.acquire()
                try:
                    item: Any = await make(sentence, locale)
                except BackendError as exc:
                    if skip_failed:
                        log.error("skipping a sentence no voice could speak: %s", exc)
                        credits.release()
                        continue
                    item = exc
                await ready.put(item)
                if isinstance(item, BaseException):
                    return
        except Exception as exc:  # the sentence source itself failed: the consumer sees its error
            await ready.put(exc)
            return
        await ready.put(_DONE)

    def _start(self, coro: Any, name: str) -> asyncio.Task[Any]:
        if self.hub is not None:
            return self.hub.create_task(coro, name=name)
        return asyncio.get_running_loop().create_task(coro, name=name)

    def _count_fallback(self, backend: str) -> None:
        if self.hub is None:
            return
        from prometheus_client import Counter

        self.hub.metric(Counter, "livehub_voice_fallbacks", "Sentences a voice failed and the next one tried",
                        ["backend"]).labels(backend).inc()

    async def aclose(self) -> None:
        """Close every backend of the chain."""
        for backend in self.backends:
            await backend.aclose()


async def _aiter(sentences: AsyncIterable[str] | Iterable[str]) -> AsyncIterator[str]:
    if isinstance(sentences, str):  # one sentence, not its characters
        sentences = [sentences]
    if isinstance(sentences, AsyncIterable):
        async for sentence in sentences:
            yield sentence
    else:
        for sentence in sentences:
            yield sentence


def configured_voices(hub: Hub) -> list[str]:
    """``[backends.voice] default`` + ``fallback``; else the first voice backend registered with
    ``BackendSpec(default=True)``. BackendError when there is neither."""
    choice = hub.settings.backend_choice.get("voice")
    names = [n for n in ([choice.default, *choice.fallback] if choice else []) if n]
    return names or [default_backend(hub, "voice")]


def build_voice_chain(hub: Hub, names: Sequence[str] | None = None, *,
                      voices: Mapping[str, Mapping[str, str]] | None = None) -> VoiceChain:
    """The chain configured by ``[backends.voice]`` (or ``names``, if not empty; else the default voice
    backend), each backend built by its factory.

    A backend that cannot be built (an extra not installed, a missing system library) is reported and
    left out; BackendError if none can be built.
    """
    if not names:
        names = configured_voices(hub)
    backends: list[VoiceBackend] = []
    problems: list[str] = []
    for name in dict.fromkeys(names):
        if ("voice", name) not in hub.registry.backends:
            known = ", ".join(n for k, n in hub.registry.backends if k == "voice") or "none"
            problems.append(f"no voice backend named {name!r} (known: {known})")
            continue
        try:
            backends.append(build_backend(hub, "voice", name))
        except Exception as exc:
            problems.append(f"{name}: {exc}")
            hub.report_error(exc, f"voice:{name}:create")
    if not backends:
        raise BackendError("no voice backend could be built: " + "; ".join(problems), backend="voice")
    for problem in problems:
        log.warning("voice chain: %s", problem)
    return VoiceChain(backends, voices, hub=hub)
