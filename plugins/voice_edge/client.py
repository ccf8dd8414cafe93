"""Microsoft Edge's online read-aloud voices through the ``edge-tts`` package: the MP3 stream is decoded
to PCM as it arrives (PyAV), and word boundaries become timed words. Knows nothing of the hub.

A stream that stops before the service's ``turn.end`` is an error (:class:`EdgeStreamIncomplete`), not a
short sentence: edge-tts itself ends quietly when the socket closes mid-stream, so the audio bytes it
confirmed at ``turn.end`` are compared with the bytes received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TICKS_PER_SECOND = 10_000_000
"""The service times word boundaries in 100 ns ticks."""


class EdgeStreamIncomplete(ConnectionError):
    """The service's stream ended before its end-of-turn message."""


@dataclass(slots=True)
class EdgeWord:
    start: float
    end: float
    text: str


@dataclass(slots=True)
class EdgeSpeech:
    pcm: np.ndarray  # mono int16
    sample_rate: int
    words: list[EdgeWord] = field(default_factory=list)


class Mp3Decoder:
    """Incremental MP3 → mono int16 decoder: feed bytes as they arrive, then :meth:`finish`."""

    def __init__(self) -> None:
        import av

        self._av = av
        self._codec = av.CodecContext.create("mp3", "r")
        self._resampler: Any = None
        self._input: tuple[str, str, int] | None = None  # the format, layout and rate the resampler takes
        self._chunks: list[np.ndarray] = []
        self.sample_rate = 0

    def feed(self, data: bytes) -> np.ndarray:
        """Decode ``data``; the PCM it completed (maybe none: MP3 frames span chunks)."""
        before = len(self._chunks)
        for packet in self._codec.parse(data):
            self._decode(packet)
        return _joined(self._chunks[before:])

    def flush(self) -> np.ndarray:
        """Decode what the decoder still holds; the PCM that gave."""
        before = len(self._chunks)
        for packet in self._codec.parse(b""):
            self._decode(packet)
        self._decode(None)
        return _joined(self._chunks[before:])

    def finish(self) -> np.ndarray:
        """Flush the decoder and return all PCM decoded so far."""
        self.flush()
        return _joined(self._chunks)

    def _decode(self, packet: Any) -> None:
        for frame in self._codec.decode(packet):
            if self._resampler is None:
                self.sample_rate = frame.sample_rate
            shape = (frame.format.name, frame.layout.name, frame.sample_rate)
            if shape != self._input:  # the first frame, or one that changed (a damaged stream): same output
                self._input = shape
                self._resampler = self._av.AudioResampler(format="s16", layout="mono", rate=self.sample_rate)
            for out in self._resampler.resample(frame):
                self._chunks.append(out.to_ndarray().reshape(-1))


def _joined(chunks: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, dtype=np.int16)


async def iter_speech(text: str, voice: str, *, rate: str = "+0%", pitch: str = "+0Hz", volume: str = "+0%",
                      connect_timeout: int = 10, receive_timeout: int = 30) -> AsyncIterator[EdgeSpeech]:
    """Speak ``text`` with ``voice`` (e.g. ``zh-CN-XiaoxiaoNeural``): each piece of PCM as soon as it is
    decoded, with the words announced since the last piece (times from the start of the sentence).

    Raises edge-tts's exceptions, aiohttp's, :class:`EdgeStreamIncomplete` (after the last piece), or
    ValueError for bad options.
    """
    import edge_tts

    communicate = edge_tts.Communicate(text, voice, rate=rate, pitch=pitch, volume=volume,
                                       boundary="WordBoundary", connect_timeout=connect_timeout,
                                       receive_timeout=receive_timeout)
    decoder = Mp3Decoder()
    words: list[EdgeWord] = []
    received = 0
    async for chunk in communicate.stream():
        if chunk["type"] == "audio":
            data = chunk["data"]
            received += len(data)
            pcm = decoder.feed(data)
            if pcm.size:
                yield EdgeSpeech(pcm=pcm, sample_rate=decoder.sample_rate, words=words)
                words = []
        elif chunk["type"] == "WordBoundary":
            start = chunk["offset"] / TICKS_PER_SECOND
            words.append(EdgeWord(start, start + chunk["duration"] / TICKS_PER_SECOND, chunk["text"]))
    pcm = decoder.flush()
    if pcm.size or words:
        yield EdgeSpeech(pcm=pcm, sample_rate=decoder.sample_rate or 24_000, words=words)
    confirmed = getattr(communicate, "state", {}).get("cumulative_audio_bytes")
    if confirmed is not None and confirmed != received:
        raise EdgeStreamIncomplete(f"the voice stream ended early ({received - confirmed} bytes of audio "
                                   f"after the last end-of-turn)")


async def stream_speech(text: str, voice: str, **options: Any) -> EdgeSpeech:
    """The whole of :func:`iter_speech` at once."""
    pieces = [piece async for piece in iter_speech(text, voice, **options)]
    words = [w for piece in pieces for w in piece.words]
    rate = next((p.sample_rate for p in pieces if p.pcm.size), 24_000)
    return EdgeSpeech(pcm=_joined([p.pcm for p in pieces]), sample_rate=rate, words=words)
