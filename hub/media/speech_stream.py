"""Speech that streams: a sentence's audio goes on air while the voice is still sending the rest.

A voice backend's ``_synthesize`` may return an async iterator of :class:`~hub.media.speech.RawSpeech`
pieces instead of the whole sentence (see :mod:`hub.media.speech`). :class:`SpeechShaper` turns those
pieces, as they come, into :class:`SpeechPart`\\ s of timeline audio: resampled to 48 kHz with the filter
state kept between pieces, faded in at the true start and out at the true end (it holds back the last
few milliseconds until it knows whether more follows), with each ``{{mark:…}}`` placed as soon as the
word after it has arrived. :class:`SpeechStream` hands the parts to one consumer (the room timeline, which
plays the first part at once) and the whole :class:`~hub.media.frames.Utterance` to whoever needs it
complete (the voice cache, :meth:`~hub.media.speech.VoiceBackend.synthesize`).

Timing in pieces counts seconds from the start of the sentence, not of the piece.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hub.media.frames import SAMPLE_RATE, TimingEvent, Utterance
from hub.media.pcm import FADE_SECONDS, StreamResampler

KIND_ORDER = {"sentence": 0, "mark": 1, "word": 2, "phoneme": 3}
"""Order of timing events that start at the same instant: a mark precedes the word it is attached to."""
_END = object()


@dataclass(slots=True)
class SpeechPart:
    """The next stretch of a sentence's 48 kHz audio and the timing events learnt with it."""

    audio: np.ndarray
    timing: list[TimingEvent] = field(default_factory=list)


def word_offsets(plain: str, words: list[TimingEvent]) -> list[int | None]:
    """Where each word event's text is found in ``plain``, scanning forward (None: not found)."""
    offsets: list[int | None] = []
    cursor = 0
    for word in words:
        found = plain.find(word.value, cursor) if word.value else -1
        offsets.append(found if found >= 0 else None)
        cursor = found + len(word.value) if found >= 0 else cursor
    return offsets


def sort_timing(timing: list[TimingEvent]) -> list[TimingEvent]:
    return sorted(timing, key=lambda e: (e.start, KIND_ORDER.get(e.kind, len(KIND_ORDER))))


class SpeechShaper:
    """Raw pieces in, timeline parts out (see the module docstring). ``marks``: ``(offset in plain, name)``
    of marks the backend does not place itself."""

    def __init__(self, plain: str, marks: list[tuple[int, str]] | None = None,
                 fade_seconds: float = FADE_SECONDS) -> None:
        self.plain = plain
        self.pending = list(marks or [])
        self.fade = int(SAMPLE_RATE * fade_seconds)
        self.resampler: StreamResampler | None = None
        self.emitted = 0  # samples handed out
        self.held = np.zeros(0, dtype=np.int16)  # the newest samples: the fade-out if nothing follows
        self.words: list[TimingEvent] = []
        self.timing: list[TimingEvent] = []  # every event, for the whole utterance

    def push(self, audio: np.ndarray, sample_rate: int, timing: list[TimingEvent]) -> SpeechPart:
        """One raw piece (mono int16 at ``sample_rate``); the part ready to play (maybe empty)."""
        if self.resampler is None:
            self.resampler = StreamResampler(sample_rate)
        elif sample_rate != self.resampler.rate:
            raise ValueError(f"the voice changed its sample rate mid-sentence ({self.resampler.rate} → "
                             f"{sample_rate} Hz)")
        fresh = [TimingEvent(e.kind, max(e.start, 0.0), max(e.end, e.start, 0.0), e.value) for e in timing]
        self.words += [e for e in fresh if e.kind == "word"]
        fresh += self._resolved_marks()
        self.timing += fresh
        ready = np.concatenate([self.held, self.resampler.feed(audio)])
        cut = max(0, ready.size - self.fade)
        self.held = ready[cut:]
        return SpeechPart(self._fade_in(ready[:cut]), sort_timing(fresh))

    def finish(self) -> SpeechPart:
        """The rest of the audio, faded out, and the marks no word placed (at the end, or in proportion
        to the text when the voice reports no words)."""
        tail = np.concatenate([self.held, self.resampler.flush()]) if self.resampler is not None else self.held
        self.held = np.zeros(0, dtype=np.int16)
        total = self.emitted + tail.size
        tail = self._fade_in(tail)
        n = min(self.fade, total // 2, tail.size)
        if n > 0:
            ramp = np.linspace(0.0, 1.0, n, endpoint=False)[::-1]
            tail[-n:] = (tail[-n:] * ramp).astype(np.int16)
        duration = total / SAMPLE_RATE
        rest = []
        for position, name in self.pending:
            at = duration if self.words else duration * position / max(len(self.plain), 1)
            rest.append(TimingEvent("mark", at, at, name))
        self.pending = []
        self.timing += rest
        return SpeechPart(tail, rest)

    def _fade_in(self, audio: np.ndarray) -> np.ndarray:
        audio = np.array(audio, dtype=np.int16, copy=True)
        if self.emitted < self.fade and audio.size:
            n = min(self.fade - self.emitted, audio.size)
            ramp = np.arange(self.emitted, self.emitted + n) / self.fade
            audio[:n] = (audio[:n] * ramp).astype(np.int16)
        self.emitted += audio.size
        return audio

    def _resolved_marks(self) -> list[TimingEvent]:
        """Marks whose following word has now arrived, at that word's start."""
        if not self.pending or not self.words:
            return []
        offsets = word_offsets(self.plain, self.words)
        out, left = [], []
        for position, name in self.pending:
            start = next((w.start for w, off in zip(self.words, offsets, strict=True)
                          if off is not None and off >= position), None)
            if start is None:
                left.append((position, name))
            else:
                out.append(TimingEvent("mark", start, start, name))
        self.pending = left
        return out


class SpeechStream:
    """One sentence's speech for one consumer: ``async for part in stream`` yields :class:`SpeechPart`\\ s
    as they arrive; :meth:`whole` gives the complete utterance. ``error`` says why a stream ended early
    (what arrived before still plays, faded out)."""

    def __init__(self, text: str, voice: str) -> None:
        self.text, self.voice = text, voice
        self.error: BaseException | None = None
        self.first_part = asyncio.get_running_loop().create_future()  # set when audio (or the end) arrives
        self._parts: asyncio.Queue[Any] = asyncio.Queue()
        self._audio: list[np.ndarray] = []
        self._timing: list[TimingEvent] = []
        self._task: asyncio.Task[Any] | None = None
        self._done = asyncio.Event()
        self._taken = False

    @classmethod
    def complete(cls, utterance: Utterance) -> SpeechStream:
        """A stream of an utterance that is already whole (a cache hit, a voice that does not stream)."""
        stream = cls(utterance.text, utterance.voice)
        stream.put(SpeechPart(np.asarray(utterance.audio, dtype=np.int16).reshape(-1), list(utterance.timing)))
        stream.end()
        return stream

    # -- producer side ----------------------------------------------------------------------------

    def put(self, part: SpeechPart) -> None:
        if part.audio.size == 0 and not part.timing:
            return
        self._audio.append(part.audio)
        self._timing += part.timing
        self._parts.put_nowait(part)
        if part.audio.size and not self.first_part.done():
            self.first_part.set_result(None)

    def end(self, error: BaseException | None = None) -> None:
        """No more parts; ``error`` if the voice failed before the end."""
        self.error = error
        self._parts.put_nowait(_END)
        self._done.set()
        if not self.first_part.done():
            if isinstance(error, asyncio.CancelledError):
                self.first_part.cancel()
            elif error is not None:
                self.first_part.set_exception(error)
                self.first_part.exception()  # retrieved here: the opener re-raises it, or nobody waits
            else:
                self.first_part.set_result(None)

    def own(self, task: asyncio.Task[Any]) -> None:
        """The task producing the parts: :meth:`aclose` cancels it."""
        self._task = task

    # -- consumer side ----------------------------------------------------------------------------

    def __aiter__(self) -> SpeechStream:
        if self._taken:
            raise RuntimeError("a speech stream has one consumer")
        self._taken = True
        return self

    async def __anext__(self) -> SpeechPart:
        item = await self._parts.get()
        if item is _END:
            self._parts.put_nowait(_END)  # iterating again ends at once
            raise StopAsyncIteration
        return item

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    def utterance(self) -> Utterance:
        """Everything received so far as one utterance (the whole sentence once :attr:`finished`)."""
        audio = np.concatenate(self._audio) if self._audio else np.zeros(0, dtype=np.int16)
        duration = audio.size / SAMPLE_RATE
        timing = [TimingEvent(e.kind, min(e.start, duration), min(e.end, duration), e.value) for e in self._timing]
        return Utterance(text=self.text, audio=audio, timing=sort_timing(timing), voice=self.voice)

    async def whole(self) -> Utterance:
        """The complete utterance; raises the voice's error if it failed before the end."""
        await self._done.wait()
        if self._task is not None and not self._task.done():
            await asyncio.wait({self._task})  # it is storing the utterance in the voice cache
        if self.error is not None:
            raise self.error
        return self.utterance()

    async def aclose(self) -> None:
        """Stop the producer (the consumer no longer wants the rest)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if not self._done.is_set():
            self.end(asyncio.CancelledError())
