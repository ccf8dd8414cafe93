"""A human voice on air: the operator talks, the host's mouth follows, the synthetic voice waits.

:class:`LiveVoice` is a small jitter buffer between audio that arrives from outside in bursts (a browser's
microphone over WebRTC, 20 ms packets at network pace) and the room timeline, which takes exactly one
frame's samples per video frame. :meth:`RoomTimeline.go_live <hub.media.timeline.RoomTimeline.go_live>`
puts it on air in place of the synthetic voice; :meth:`~hub.media.timeline.RoomTimeline.end_live` takes it
off. It knows nothing of WebRTC or ASR: whoever receives the audio :meth:`push`\\ es it, and sets
:attr:`caption` when a transcript comes back.

Latency is bounded both ways: playback starts once ``prebuffer_s`` is buffered (and again after running
dry), and audio older than ``max_delay_s`` is dropped, so a stalled network never makes the host speak
seconds late. The mouth opens with the loudness of each frame (:func:`openness`).
"""

from __future__ import annotations

import numpy as np

from hub.media.frames import SAMPLE_RATE
from hub.media.pcm import StreamResampler

SILENCE_RMS = 0.01
"""Frame loudness (RMS, 0..1 of full scale) below which the mouth is shut and nobody is speaking."""
OPEN_RMS = 0.12
"""Frame loudness at which the mouth is wide open."""


def openness(frame: np.ndarray) -> float:
    """How open the mouth is (0..1) for one frame of int16 speech, from its loudness."""
    if frame.size == 0:
        return 0.0
    rms = float(np.sqrt(np.mean(np.square(frame.astype(np.float64) / 32768.0))))
    return float(min(1.0, max(0.0, (rms - SILENCE_RMS) / (OPEN_RMS - SILENCE_RMS))))


class LiveVoice:
    """Audio pushed in, one frame's worth read out (see the module docstring). Loop-only, not thread-safe."""

    def __init__(self, *, prebuffer_s: float = 0.06, max_delay_s: float = 0.4) -> None:
        if not 0 <= prebuffer_s < max_delay_s:
            raise ValueError("need 0 <= prebuffer_s < max_delay_s")
        self.prebuffer = int(prebuffer_s * SAMPLE_RATE)
        self.max_delay = int(max_delay_s * SAMPLE_RATE)
        self.caption = ""
        self.received = 0  # samples pushed (48 kHz)
        self.played = 0  # samples read out that were real audio
        self.dropped = 0  # samples dropped as too late
        self.underruns = 0
        self._buffer = np.zeros(0, dtype=np.int16)
        self._resampler: StreamResampler | None = None
        self._playing = False
        self._mouth = 0.0

    def push(self, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
        """Mono int16 ``audio`` at ``sample_rate`` (resampled to 48 kHz, keeping the filter's state)."""
        if self._resampler is None or self._resampler.rate != sample_rate:
            self._resampler = StreamResampler(sample_rate)
        samples = self._resampler.feed(np.asarray(audio, dtype=np.int16).reshape(-1))
        self.received += samples.size
        self._buffer = np.concatenate([self._buffer, samples])
        if self._buffer.size > self.max_delay:
            late = self._buffer.size - self.max_delay
            self.dropped += late
            self._buffer = self._buffer[late:]

    @property
    def buffered(self) -> int:
        return int(self._buffer.size)

    def read(self, n: int) -> np.ndarray:
        """The next ``n`` samples to play; silence where there is none yet (counted as an underrun)."""
        if not self._playing:
            if self._buffer.size < max(self.prebuffer, 1):
                return np.zeros(n, dtype=np.int16)
            self._playing = True
        out = self._buffer[:n]
        self._buffer = self._buffer[n:]
        self.played += out.size
        if out.size < n:
            self.underruns += 1
            self._playing = False
            out = np.concatenate([out, np.zeros(n - out.size, dtype=np.int16)])
        return out

    def mouth(self, frame: np.ndarray) -> float:
        """The mouth for ``frame`` (just read): follows loudness, opening fast and closing a little slower."""
        target = openness(frame)
        self._mouth = target if target >= self._mouth else 0.5 * (self._mouth + target)
        return self._mouth
