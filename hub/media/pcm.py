"""Small PCM helpers shared by voice backends, lip-sync and tests: resample, fade, loudness per frame.

All audio here is mono ``int16``. Resampling goes through PyAV's libswresample, which keeps the signal's
timing exact (no lag) and has proper anti-imaging filtering, so 22.05 or 24 kHz speech sounds clean on
the 48 kHz timeline.
"""

from __future__ import annotations

import numpy as np

from hub.media.frames import SAMPLE_RATE

FADE_SECONDS = 0.004
"""Length of the ramp applied to both ends of an utterance, so back-to-back utterances never click."""


def resample(audio: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """``audio`` (mono int16 at ``rate`` Hz) resampled to ``target`` Hz, exactly ``round(n * target / rate)``
    samples long."""
    audio = np.ascontiguousarray(audio, dtype=np.int16).reshape(-1)
    if rate == target or audio.size == 0:
        return audio.copy()
    expected = int(round(audio.size * target / rate))
    out = _resample_av(audio, rate, target)
    if out.size == 0:  # inputs shorter than the filter: linear interpolation is good enough
        positions = np.arange(expected) * (rate / target)
        out = np.interp(positions, np.arange(audio.size), audio.astype(np.float64)).astype(np.int16)
    if out.size < expected:
        out = np.concatenate([out, np.zeros(expected - out.size, dtype=np.int16)])
    return out[:expected]


def _resample_av(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    import av

    resampler = av.AudioResampler(format="s16", layout="mono", rate=target)
    frame = av.AudioFrame.from_ndarray(audio.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate
    frame.pts = 0
    chunks = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, dtype=np.int16)


def fade_edges(audio: np.ndarray, rate: int = SAMPLE_RATE, seconds: float = FADE_SECONDS) -> np.ndarray:
    """A copy of ``audio`` ramped in and out over ``seconds`` (no step at either end)."""
    out = np.array(audio, dtype=np.int16, copy=True).reshape(-1)
    n = min(int(rate * seconds), out.size // 2)
    if n > 0:
        ramp = np.linspace(0.0, 1.0, n, endpoint=False)
        out[:n] = (out[:n] * ramp).astype(np.int16)
        out[-n:] = (out[-n:] * ramp[::-1]).astype(np.int16)
    return out


def frame_rms(audio: np.ndarray, fps: float, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Root-mean-square level (0..1 of full scale) of each video frame's slice of ``audio``.

    Frame ``i`` covers ``[i / fps, (i + 1) / fps)``; the last partial frame is included.
    """
    samples = np.asarray(audio, dtype=np.float64).reshape(-1) / 32768.0
    per_frame = rate / fps
    count = int(np.ceil(samples.size / per_frame)) if samples.size else 0
    out = np.zeros(count)
    for i in range(count):
        chunk = samples[int(round(i * per_frame)):int(round((i + 1) * per_frame))]
        if chunk.size:
            out[i] = float(np.sqrt(np.mean(chunk * chunk)))
    return out


def pcm_from_bytes(data: bytes) -> np.ndarray:
    """Native-endian int16 PCM bytes as an array (what C libraries hand over)."""
    return np.frombuffer(data, dtype=np.int16).copy()


class StreamResampler:
    """:func:`resample` for audio that arrives in pieces: :meth:`feed` each piece, then :meth:`flush`.

    libswresample keeps its filter state between pieces, so the joined output equals what resampling the
    whole at once gives (to the filter's rounding), and the total is exactly ``round(n * target / rate)``
    samples for the ``n`` fed: :meth:`flush` pads or trims the last piece to that length.
    """

    def __init__(self, rate: int, target: int = SAMPLE_RATE) -> None:
        self.rate, self.target = rate, target
        self.fed = 0
        self.out = 0
        self._resampler = None
        if rate != target:
            import av

            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=target)

    def feed(self, audio: np.ndarray) -> np.ndarray:
        """The resampled samples available after ``audio`` (mono int16 at ``rate``); may be few or none."""
        audio = np.ascontiguousarray(audio, dtype=np.int16).reshape(-1)
        if audio.size == 0:
            return np.zeros(0, dtype=np.int16)
        if self._resampler is None:
            self.fed += audio.size
            self.out += audio.size
            return audio.copy()
        import av

        frame = av.AudioFrame.from_ndarray(audio.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.rate
        frame.pts = self.fed
        self.fed += audio.size
        return self._take(self._resampler.resample(frame))

    def flush(self) -> np.ndarray:
        """What the filter still holds, padded or trimmed so the whole output has its exact length."""
        tail = np.zeros(0, dtype=np.int16)
        if self._resampler is not None:
            tail = self._take(self._resampler.resample(None))
        expected = int(round(self.fed * self.target / self.rate))
        missing = expected - self.out
        if missing > 0:
            tail = np.concatenate([tail, np.zeros(missing, dtype=np.int16)])
            self.out += missing
        elif missing < 0:
            tail = tail[:max(0, tail.size + missing)]
            self.out = expected
        return tail

    def _take(self, frames: list) -> np.ndarray:
        chunks = [f.to_ndarray().reshape(-1) for f in frames]
        out = np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, dtype=np.int16)
        self.out += out.size
        return out
