"""Stand-ins and measuring tools for the media tests: a tone voice, a manual clock, stream readers."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hub.errors import BackendError
from hub.media.frames import SAMPLE_RATE, TimingEvent, Utterance
from hub.testing import StepClock  # noqa: F401  (the timeline tests import it from here)


class Recorder:
    """Keeps every frame a subscription delivers."""

    def __init__(self, timeline: Any, maxsize: int = 100_000, video: bool = False,
                 on_frame=None) -> None:
        self.frames: list = []
        self.on_frame = on_frame
        self.sub = timeline.frames(maxsize, video=video)
        self.task = asyncio.get_running_loop().create_task(self._read(), name="test-recorder")

    async def _read(self) -> None:
        async for frame in self.sub:
            self.frames.append(frame)
            if self.on_frame is not None:
                self.on_frame(frame)

    def audio_from(self, index: int) -> np.ndarray:
        return np.concatenate([f.audio for f in self.frames if f.index >= index])


def tone(seconds: float, freq: float = 220.0, amplitude: int = 8000) -> np.ndarray:
    """A tone whose loudness rises and falls 4 times a second, like syllables."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    envelope = 0.5 - 0.5 * np.cos(2 * np.pi * 4 * t)
    return (np.sin(2 * np.pi * freq * t) * envelope * amplitude).astype(np.int16)


class ToneVoice:
    """A voice chain stand-in: each sentence becomes ``seconds_per_char`` of tone per character, with one
    word event per character and a mark at the middle if the text has ``{{mark:NAME}}``."""

    def __init__(self, seconds_per_char: float = 0.05, delay: float = 0.0, fail: str | None = None) -> None:
        self.seconds_per_char = seconds_per_char
        self.delay = delay
        self.fail = fail
        self.spoken: list[Utterance] = []
        self.requested: list[str] = []

    def utterance(self, text: str) -> Utterance:
        import re

        marks = re.findall(r"\{\{mark:([^{}]+)\}\}", text)
        plain = re.sub(r"\{\{mark:[^{}]+\}\}", "", text)
        audio = tone(max(0.2, len(plain) * self.seconds_per_char), freq=200 + 10 * (len(self.spoken) % 7))
        duration = audio.size / SAMPLE_RATE
        step = duration / max(1, len(plain))
        timing = [TimingEvent("word", i * step, (i + 1) * step, ch) for i, ch in enumerate(plain)]
        timing += [TimingEvent("mark", duration / 2, duration / 2, name) for name in marks]
        return Utterance(text=plain, audio=audio, timing=timing, voice="tone")

    async def stream(self, sentences: AsyncIterable[str] | Iterable[str],
                     locale: str | None = None) -> AsyncIterator[Utterance]:
        if not isinstance(sentences, AsyncIterable):
            sentences = _async(sentences)
        async for sentence in sentences:
            self.requested.append(sentence)
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.fail and self.fail in sentence:
                raise BackendError("every voice failed: tone voice told to fail", backend="voice")
            utterance = self.utterance(sentence)
            self.spoken.append(utterance)
            yield utterance


async def _async(items: Iterable[str]) -> AsyncIterator[str]:
    for item in items:
        yield item


def loudness(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples.astype(np.float64))))) if samples.size else 0.0


def ffprobe(target: str) -> dict[str, Any]:
    """ffprobe's JSON for ``target`` (streams and format)."""
    binary = shutil.which("ffprobe")
    assert binary, "ffprobe is needed (apt-get install ffmpeg)"
    result = subprocess.run([binary, "-v", "error", "-show_streams", "-show_format", "-of", "json", target],
                            capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout)


@dataclass
class Session:
    """One connection of :class:`StreamReader`: packet times in seconds and the decoded audio."""

    video_pts: list[float] = field(default_factory=list)
    keyframes: list[float] = field(default_factory=list)
    audio_pts: list[float] = field(default_factory=list)
    audio: list[np.ndarray] = field(default_factory=list)


@dataclass
class StreamCapture:
    """What :class:`StreamReader` saw of a live stream."""

    codecs: dict[str, str] = field(default_factory=dict)
    fps: float = 0.0
    sample_rate: int = 0
    sessions: list[Session] = field(default_factory=list)
    error: str = ""

    def frames_seen(self) -> int:
        return sum(len(s.video_pts) for s in self.sessions)


class StreamReader(threading.Thread):
    """Reads an RTMP stream with PyAV in a thread, reconnecting when it ends, until :meth:`stop`."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True, name="stream-reader")
        self.url = url
        self.capture = StreamCapture()
        self._halt = threading.Event()

    def stop(self) -> StreamCapture:
        self._halt.set()
        self.join(30)
        return self.capture

    def run(self) -> None:
        import av

        while not self._halt.is_set():
            try:
                with av.open(self.url, timeout=(10.0, 3.0)) as container:
                    self._read(container)
            except (OSError, av.FFmpegError) as exc:
                self.capture.error = f"{type(exc).__name__}: {exc}"
                time.sleep(0.2)

    def _read(self, container: Any) -> None:
        cap = self.capture
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        if video is not None:
            cap.codecs["video"] = video.codec_context.name
            cap.fps = float(video.average_rate or video.guessed_rate or 0)
        if audio is not None:
            cap.codecs["audio"] = audio.codec_context.name
            cap.sample_rate = audio.codec_context.sample_rate
        session = Session()
        cap.sessions.append(session)
        for packet in container.demux():
            if self._halt.is_set():
                return
            if packet.pts is None or packet.stream.type not in ("video", "audio"):
                continue
            at = float(packet.pts * packet.time_base)
            if packet.stream.type == "video":
                session.video_pts.append(at)
                if packet.is_keyframe:
                    session.keyframes.append(at)
            else:
                session.audio_pts.append(at)
                for frame in packet.decode():
                    session.audio.append(frame.to_ndarray().reshape(-1))
