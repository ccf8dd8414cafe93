"""What plays at each video frame: the sample-accurate core of the room timeline.

:class:`Playback` holds the synthesised sentences waiting to be heard and, asked for frame ``i``, hands
out exactly ``48000 / fps`` samples of audio together with everything that must match them: the mouth
openness at that instant, the caption of the sentence being heard, the product card and the comment
being answered. Because every value comes from the same sample position, sound, mouth, card and
captions cannot drift apart.

Sentences are joined sample to sample (a sentence that ends mid-frame is followed by the next one in the
same frame), so there is no gap between them. When nothing is buffered the frame is silent and the host
idles: blinks and breathing are pure functions of time (:func:`hub.media.avatar.blink_at`), seeded.

It is synchronous and knows nothing of voices, clocks or drawing, so it is cheap to test exactly.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from hub.media.avatar import blink_at, breath_at
from hub.media.frames import SAMPLE_RATE, MediaFrame, TimingEvent, Utterance, samples_per_frame
from hub.media.linefeed import LineFeed
from hub.media.live_voice import LiveVoice

MARK_CARD_PREFIXES = ("sku:", "card:")
"""A mark named ``sku:A001`` (``{{mark:sku:A001}}`` in the text, see :func:`hub.media.speech.mark`) switches
the product card to A001 at that word; a bare ``sku:`` takes the card down."""
CAPTION_HOLD = 1.0
"""Seconds a caption stays up after the host stops speaking."""

_TAGS = re.compile(r"<[^>]*>|\{\{mark:[^{}]*\}\}")
_line_ids = itertools.count(1)
_segment_ids = itertools.count(1)


def plain_text(text: str) -> str:
    """``text`` without mark placeholders or tags (what a caption shows)."""
    return re.sub(r"\s+", " ", _TAGS.sub("", text)).strip()


@dataclass(eq=False)
class Line:
    """One ``say`` request: its text, what it is, and what happened to it.

    ``state`` goes ``queued`` → ``speaking`` → ``spoken``, or ends ``cut`` (interrupted or cleared) or
    ``failed`` (no voice could say it). ``queued_frame``, ``first_frame`` and ``last_frame`` are timeline
    frame indexes; ``done`` resolves with the final state.
    """

    text: str
    kind: str = "answer"
    urgent: bool = False
    sku: str | None = None
    comment: tuple[str, str] | None = None
    """The viewer comment being answered: (author, text)."""
    id: int = field(default_factory=lambda: next(_line_ids))
    state: str = "queued"
    queued_frame: int | None = None
    first_frame: int | None = None
    last_frame: int | None = None
    error: str = ""
    done: asyncio.Future[str] | None = field(default=None, repr=False)
    feed: LineFeed | None = field(default=None, repr=False)
    """For a line still being written (``say(..., more=True)``): where its next sentences arrive."""

    @property
    def finished(self) -> bool:
        return self.state in ("spoken", "cut", "failed")


@dataclass(eq=False)
class _Segment:
    """One synthesised sentence of a line, being played from ``pos``."""

    line: Line
    audio: np.ndarray
    mouth: list[float]
    caption: str
    marks: list[tuple[int, str]]
    words: list[tuple[int, float]]
    pos: int = 0
    open: bool = False  # its speech is still streaming in: more audio may follow
    utterance: Utterance | None = None  # what arrived so far (streaming segments)
    id: int = field(default_factory=lambda: next(_segment_ids))

    def progress(self, at: int) -> float:
        """How much of the caption has been said at sample ``at`` (0..1), from word timing if any."""
        done = 0.0
        for start, share in self.words:
            if start > at:
                break
            done = share
        if self.words:
            return done
        return min(1.0, at / max(1, len(self.audio)))

    @property
    def left(self) -> int:
        return len(self.audio) - self.pos


@dataclass(slots=True)
class FrameState:
    """Everything about frame ``index`` except its picture."""

    index: int
    t: float
    audio: np.ndarray
    mouth: float
    blink: float
    breath: float
    speaking: bool
    caption: str
    caption_progress: float
    sku: str | None
    comment: tuple[str, str] | None
    countdown: float | None = None
    started: list[Line] = field(default_factory=list)
    finished: list[Line] = field(default_factory=list)
    speech: tuple[int, float] | None = None
    """The sentence heard most in this frame and where in it the frame's middle is: ``(sentence id, seconds)``
    (an avatar that gets each sentence's audio ahead, :attr:`Playback.on_sentence`, finds its video by it)."""


@dataclass(slots=True)
class TimelineFrame(MediaFrame):
    """A :class:`MediaFrame` plus the scene it shows, for outputs that draw it themselves (the overlay).

    ``video`` is empty (shape ``(0, 0, 3)``) when no subscriber asked for pictures.
    """

    mouth: float = 0.0
    blink: float = 0.0
    breath: float = 0.0
    caption_progress: float = 0.0
    sku: str | None = None
    comment: tuple[str, str] | None = None
    countdown: float | None = None


def to_frame(state: FrameState, picture: np.ndarray) -> TimelineFrame:
    """The frame of ``state`` with its ``picture``."""
    return TimelineFrame(index=state.index, pts=state.t, video=picture, audio=state.audio, speaking=state.speaking,
                         caption=state.caption, caption_progress=state.caption_progress, mouth=state.mouth,
                         blink=state.blink, breath=state.breath, sku=state.sku, comment=state.comment,
                         countdown=state.countdown)


def word_progress(caption: str, utterance: Utterance) -> list[tuple[int, float]]:
    """``(sample where a word starts, share of the caption said once it is said)`` per word found."""
    out: list[tuple[int, float]] = []
    cursor = 0
    for event in sorted((e for e in utterance.timing if e.kind == "word" and e.value.strip()),
                        key=lambda e: e.start):
        found = caption.find(event.value.strip(), cursor)
        if found < 0:
            continue
        cursor = found + len(event.value.strip())
        out.append((int(event.start * SAMPLE_RATE), cursor / max(1, len(caption))))
    return out


class Playback:
    """The audio waiting to be heard and the scene that goes with it, stepped one frame at a time."""

    def __init__(self, fps: int, mouth_track: Callable[[Utterance, int], list[float]], *, seed: int = 0) -> None:
        self.fps = fps
        self.spf = samples_per_frame(fps)
        self._mouth_track = mouth_track
        self._segments: deque[_Segment] = deque()
        self.seed = seed
        self.sku: str | None = None
        self.countdown_until: float | None = None
        self._caption = ""
        self._caption_until = -1.0
        self._progress = 0.0
        self._comment: tuple[str, str] | None = None
        self.pinned: tuple[str, str] | None = None
        self._closing: dict[Line, str] = {}  # lines whose every sentence was added: their final state
        self._finished_pending: list[Line] = []
        self._last_index = -1
        self.live: LiveVoice | None = None
        """A human voice on air in place of the synthetic one (:meth:`RoomTimeline.go_live`)."""
        self.on_sentence: Callable[[int, str, np.ndarray], None] | None = None
        """Called with ``(sentence id, text, whole 48 kHz audio)`` as soon as a sentence's speech is complete, before
        it is heard (an avatar that renders video from speech starts on it then)."""

    # -- feeding --------------------------------------------------------------------------------

    def add(self, line: Line, utterance: Utterance) -> None:
        """Queue one synthesised sentence of ``line`` behind what is already buffered."""
        audio = np.asarray(utterance.audio, dtype=np.int16).reshape(-1)
        marks = sorted((int(e.start * SAMPLE_RATE), e.value) for e in utterance.timing if e.kind == "mark")
        caption = plain_text(utterance.text)
        segment = _Segment(line, audio, list(self._mouth_track(utterance, self.fps)), caption, marks,
                           word_progress(caption, utterance))
        self._segments.append(segment)
        self._complete(segment)

    def _complete(self, segment: _Segment) -> None:
        if self.on_sentence is not None and len(segment.audio):
            self.on_sentence(segment.id, segment.caption, segment.audio)

    def open(self, line: Line, text: str, voice: str = "") -> _Segment:
        """Queue a sentence of ``line`` whose speech is still arriving: :meth:`extend` it with each part
        and :meth:`close` it at the end. Until closed, running out of its audio plays silence in its
        place rather than moving on to what follows."""
        caption = plain_text(text)
        segment = _Segment(line, np.zeros(0, dtype=np.int16), [], caption, [], [], open=True,
                           utterance=Utterance(text=text, audio=np.zeros(0, dtype=np.int16), voice=voice))
        self._segments.append(segment)
        return segment

    def extend(self, segment: _Segment, audio: np.ndarray, timing: list[TimingEvent]) -> None:
        """More audio (and timing: seconds from the sentence's start) of an open segment."""
        if segment.utterance is None or not segment.open:
            raise ValueError("only an open segment can be extended")
        spoken = segment.utterance
        spoken.audio = np.concatenate([spoken.audio, np.asarray(audio, dtype=np.int16).reshape(-1)])
        spoken.timing = spoken.timing + list(timing)
        segment.audio = spoken.audio
        segment.mouth = list(self._mouth_track(spoken, self.fps))
        segment.marks = sorted((int(e.start * SAMPLE_RATE), e.value) for e in spoken.timing if e.kind == "mark")
        segment.words = word_progress(segment.caption, spoken)

    def close(self, segment: _Segment) -> None:
        """No more audio for ``segment``: once played, the next one follows."""
        segment.open = False
        if any(s is segment for s in self._segments):
            self._complete(segment)

    def end_line(self, line: Line, state: str = "spoken") -> None:
        """No more sentences will come for ``line``; it finishes once its buffered audio has played."""
        if any(s.line is line for s in self._segments):
            self._closing[line] = state
        elif not line.finished:
            self._finish(line, state)

    def cut(self, *, keep_unheard: bool = False) -> list[Line]:
        """Drop everything buffered at once (an urgent line interrupts).

        Lines being heard end ``cut``. Lines buffered but not heard yet end ``cut`` too, unless
        ``keep_unheard``: then they are returned, untouched, for the caller to queue again.
        """
        lines = list(dict.fromkeys(s.line for s in self._segments))
        self._segments.clear()
        kept: list[Line] = []
        for line in lines:
            self._closing.pop(line, None)
            if keep_unheard and line.state == "queued":
                kept.append(line)
            else:
                if line.state == "speaking":
                    line.last_frame = self._last_index
                self._finish(line, "cut")
        self._caption_until = -1.0
        return kept

    def take_finished(self) -> list[Line]:
        """Lines finished since the last :meth:`step` (for a caller that stops stepping)."""
        finished, self._finished_pending = self._finished_pending, []
        return finished

    def set_product(self, sku: str | None) -> None:
        self.sku = sku

    def set_countdown(self, until: float | None) -> None:
        """Show a countdown to timeline time ``until`` (seconds; None: no countdown)."""
        self.countdown_until = until

    @property
    def buffered(self) -> int:
        """Samples waiting to be played."""
        return sum(s.left for s in self._segments)

    @property
    def idle(self) -> bool:
        """Nothing to play: no segment, or only open ones that have no audio left yet."""
        return all(s.left == 0 and s.open for s in self._segments)

    # -- stepping -------------------------------------------------------------------------------

    def step(self, index: int) -> FrameState:
        """The state of frame ``index``: its audio slice, mouth, caption, card and line events."""
        t = index / self.fps
        self._last_index = index
        if self.live is not None:
            return self._step_live(index, t, self.live)
        audio = np.zeros(self.spf, dtype=np.int16)
        filled, best, best_n, best_mid = 0, None, 0, 0
        started: list[Line] = []
        while filled < self.spf and self._segments:
            seg = self._segments[0]
            if seg.open and seg.left == 0:
                break  # its next part has not arrived: silence until it does, never the next sentence early
            if seg.pos == 0 and seg.line.state == "queued":
                seg.line.state, seg.line.first_frame = "speaking", index
                started.append(seg.line)
                if seg.line.sku is not None:
                    self.sku = seg.line.sku
                self._comment = seg.line.comment
            n = min(self.spf - filled, seg.left)
            audio[filled:filled + n] = seg.audio[seg.pos:seg.pos + n]
            self._apply_marks(seg, seg.pos, seg.pos + n)
            if n > best_n:
                best, best_n, best_mid = seg, n, seg.pos + n // 2
            seg.pos += n
            filled += n
            if seg.left == 0 and not seg.open:
                self._segments.popleft()
                if seg.line in self._closing and not any(s.line is seg.line for s in self._segments):
                    seg.line.last_frame = index
                    self._finish(seg.line, self._closing.pop(seg.line))
        mouth = 0.0
        if best is not None:
            local = min(best_mid // self.spf, len(best.mouth) - 1)
            mouth = float(best.mouth[local]) if local >= 0 else 0.0
            self._caption, self._caption_until = best.caption, t + CAPTION_HOLD
            self._progress = best.progress(best_mid)
        elif t >= self._caption_until:
            self._caption, self._comment = "", None
        blink, breath = blink_at(t, self.seed), breath_at(t)
        finished, self._finished_pending = self._finished_pending, []
        return FrameState(index=index, t=t, audio=audio, mouth=min(1.0, max(0.0, mouth)), blink=blink,
                          breath=breath, speaking=best is not None, caption=self._caption,
                          caption_progress=self._progress if self._caption else 0.0, sku=self.sku,
                          comment=self._comment or self.pinned, started=started, finished=finished,
                          countdown=None if self.countdown_until is None else max(0.0, self.countdown_until - t),
                          speech=None if best is None else (best.id, best_mid / SAMPLE_RATE))

    def _step_live(self, index: int, t: float, live: LiveVoice) -> FrameState:
        """A frame of the human voice: its audio, the mouth from its loudness, its transcript as caption."""
        audio = live.read(self.spf)
        mouth = live.mouth(audio)
        speaking = mouth > 0.0
        if live.caption and live.caption != self._caption:
            self._caption, self._progress = live.caption, 1.0
        if live.caption:
            self._caption_until = t + CAPTION_HOLD
        elif t >= self._caption_until:
            self._caption = ""
        finished, self._finished_pending = self._finished_pending, []
        return FrameState(index=index, t=t, audio=audio, mouth=mouth, blink=blink_at(t, self.seed),
                          breath=breath_at(t), speaking=speaking, caption=self._caption,
                          caption_progress=1.0 if self._caption else 0.0, sku=self.sku, comment=self.pinned,
                          finished=finished,
                          countdown=None if self.countdown_until is None else max(0.0, self.countdown_until - t))

    def _apply_marks(self, seg: _Segment, start: int, end: int) -> None:
        for pos, name in seg.marks:
            if start <= pos < end or (not seg.open and pos >= len(seg.audio) and end == len(seg.audio)):
                for prefix in MARK_CARD_PREFIXES:
                    if name.startswith(prefix):
                        self.sku = name[len(prefix):].strip() or None

    def _finish(self, line: Line, state: str) -> None:
        line.state = state
        self._finished_pending.append(line)
