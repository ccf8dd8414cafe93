"""The media formats every voice, avatar, timeline and output agrees on (see docs/media.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SAMPLE_RATE = 48_000
"""Timeline audio: mono, int16, 48 kHz."""
DEFAULT_FPS = 25
DEFAULT_SIZE = (1280, 720)


@dataclass(slots=True)
class TimingEvent:
    """A word, phoneme, mark or sentence boundary of an utterance, in seconds from its start."""

    kind: str  # word | phoneme | mark | sentence
    start: float
    end: float
    value: str


@dataclass(slots=True)
class Utterance:
    """Synthesised speech: 48 kHz mono int16 PCM plus its timing track."""

    text: str
    audio: np.ndarray
    timing: list[TimingEvent] = field(default_factory=list)
    voice: str = ""

    @property
    def duration(self) -> float:
        return len(self.audio) / SAMPLE_RATE


@dataclass(slots=True)
class MediaFrame:
    """One video frame and the audio that plays during it (``SAMPLE_RATE / fps`` samples)."""

    index: int
    pts: float
    video: np.ndarray
    audio: np.ndarray
    speaking: bool = False
    caption: str = ""
    made_ts: float = 0.0
    """Wall-clock time (``time.time()``) the timeline handed the frame out: what maps a recording's frames
    to the events of the show (0.0 for frames not made by a live timeline)."""


def samples_per_frame(fps: int) -> int:
    if SAMPLE_RATE % fps:
        raise ValueError(f"fps must divide {SAMPLE_RATE}: {fps}")
    return SAMPLE_RATE // fps
