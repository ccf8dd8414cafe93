"""H.264 + AAC encoding of timeline frames with PyAV, into FLV (RTMP ingest) or MP4 (files).

:class:`AVEncoder` is plain synchronous code that one thread owns. :class:`ThreadedEncoder` runs it in a
worker thread of its own, so encoding (the costly part of a stream) never blocks the event loop, the
timeline or the web server; a write that hangs (an ingest that stopped reading) is abandoned after
``write_timeout`` and reported as a retryable ``TimeoutError``.

Timestamps come from the frame index: video pts = frames since the first one, audio pts = samples since
the first one. Frames a slow encoder lost in the fan-out leave a gap in the video timestamps and are
filled with silence in the audio, so sound and picture stay in step however many are lost.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from hub.media.frames import DEFAULT_FPS, DEFAULT_SIZE, SAMPLE_RATE, MediaFrame, samples_per_frame

log = logging.getLogger("livehub.media.encoder")


@dataclass(frozen=True, slots=True)
class EncoderSettings:
    """What the encoder produces. ``cbr`` gives the constant bitrate ingests ask for (x264 NAL HRD)."""

    fps: int = DEFAULT_FPS
    size: tuple[int, int] = DEFAULT_SIZE
    video_bitrate: int = 2_500_000
    audio_bitrate: int = 128_000
    preset: str = "veryfast"
    tune: str | None = "zerolatency"
    keyframe_seconds: float = 2.0
    cbr: bool = True
    threads: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    def x264_options(self) -> dict[str, str]:
        gop = str(max(1, round(self.keyframe_seconds * self.fps)))
        rate = str(self.video_bitrate)
        options = {"preset": self.preset, "g": gop, "keyint_min": gop, "sc_threshold": "0", "bf": "0",
                   "forced-idr": "1",
                   "maxrate": rate, "bufsize": str(self.video_bitrate), "threads": str(self.threads)}
        if self.tune:
            options["tune"] = self.tune
        if self.cbr:
            options.update(minrate=rate, **{"x264-params": "nal-hrd=cbr:force-cfr=1"})
        return {**options, **self.extra}


class AVEncoder:
    """Encodes frames into ``target`` (a URL or a path) in container ``format`` (``flv``, ``mp4``)."""

    def __init__(self, target: str, format: str, settings: EncoderSettings | None = None,
                 container_options: dict[str, str] | None = None) -> None:
        self.target = target
        self.format = format
        self.settings = settings or EncoderSettings()
        self.container_options = dict(container_options or {})
        self.spf = samples_per_frame(self.settings.fps)
        self.frames = 0
        self.bytes_muxed = 0
        self._container: Any = None
        self._video: Any = None
        self._audio: Any = None
        self._first: int | None = None
        self._gop: int | None = None  # the keyframe period the last keyframe was forced in
        self._next_audio = 0

    def open(self) -> None:
        """Create the container and streams (network outputs connect at the first :meth:`write`)."""
        import av

        s = self.settings
        self._container = av.open(self.target, "w", format=self.format, options=self.container_options)
        video = self._container.add_stream("libx264", rate=s.fps)
        video.width, video.height = s.size
        video.pix_fmt = "yuv420p"
        video.bit_rate = s.video_bitrate
        video.time_base = Fraction(1, s.fps)
        video.options = s.x264_options()
        audio = self._container.add_stream("aac", rate=SAMPLE_RATE)
        audio.layout = "mono"
        audio.bit_rate = s.audio_bitrate
        self._video, self._audio = video, audio

    def write(self, frame: MediaFrame) -> None:
        """Encode and mux one frame (and silence for any frames lost before it)."""
        import av

        if self._container is None:
            self.open()
        if self._first is None:
            self._first = frame.index
        position = frame.index - self._first
        if position < 0:
            return  # an older frame than one already written: never go back in time
        missing = position * self.spf - self._next_audio
        if missing > 0:
            self._write_audio(np.zeros(missing, dtype=np.int16))
        picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame.video), format="rgb24")
        picture.pts = position
        gop = position // max(1, round(self.settings.keyframe_seconds * self.settings.fps))
        if gop != self._gop:  # keyframes by time, not by frames encoded: lost frames do not stretch a GOP
            self._gop = gop
            picture.pict_type = av.video.frame.PictureType.I
        self._mux(self._video.encode(picture))
        self._write_audio(np.asarray(frame.audio, dtype=np.int16))
        self.frames += 1

    def _write_audio(self, samples: np.ndarray) -> None:
        import av

        if samples.size == 0:
            return
        chunk = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        chunk.sample_rate = SAMPLE_RATE
        chunk.pts = self._next_audio
        chunk.time_base = Fraction(1, SAMPLE_RATE)
        self._next_audio += samples.size
        self._mux(self._audio.encode(chunk))

    def _mux(self, packets: list[Any]) -> None:
        for packet in packets:
            self.bytes_muxed += packet.size
            self._container.mux(packet)

    def close(self, *, flush: bool = True) -> None:
        """Flush the encoders (unless the connection is already broken) and close the container."""
        container, self._container = self._container, None
        if container is None:
            return
        try:
            if flush and self.frames:
                self._container = container
                self._mux(self._video.encode(None))
                self._mux(self._audio.encode(None))
        finally:
            self._container = None
            container.close()


class _Worker:
    """One daemon thread running calls in order. Daemon: a call stuck in the network for good never keeps
    the process from exiting (a thread pool's threads are joined at exit)."""

    def __init__(self, name: str) -> None:
        self._calls: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, func: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._calls.put((future, func, args))
        return future

    def _loop(self) -> None:
        while (item := self._calls.get()) is not None:
            future, func, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(func(*args))
            except BaseException as exc:  # handed to the awaiting coroutine
                future.set_exception(exc)

    def shutdown(self) -> None:
        """End the thread after the calls already submitted."""
        self._calls.put(None)


Worker = _Worker
"""One daemon thread running calls in order (the shared encoder of a simulcast uses it too)."""


class ThreadedEncoder:
    """An :class:`AVEncoder` driven from asyncio, in a thread of its own (``async with`` it)."""

    def __init__(self, make: Callable[[], AVEncoder], *, name: str = "encoder",
                 write_timeout: float = 10.0) -> None:
        self._make = make
        self.name = name
        self.write_timeout = write_timeout
        self.encoder: AVEncoder | None = None
        self._worker: _Worker | None = None
        self._broken = False

    async def _call(self, func: Callable[..., Any], *args: Any) -> Any:
        assert self._worker is not None
        future = asyncio.wrap_future(self._worker.submit(func, *args))
        try:
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation that arrives
            # just as the write finishes, and the output would never stop
            async with asyncio.timeout(self.write_timeout):
                return await future
        except TimeoutError:
            self._broken = True  # the thread is stuck in the network: leave it, never wait on it again
            raise TimeoutError(f"{self.name}: a write took longer than {self.write_timeout:g} s") from None
        except BaseException:
            self._broken = True
            raise

    async def __aenter__(self) -> ThreadedEncoder:
        self._worker = _Worker(self.name)
        try:
            self.encoder = await self._call(self._make)
            await self._call(self.encoder.open)
        except BaseException:
            self._worker.shutdown()
            raise
        return self

    async def write(self, frame: MediaFrame) -> None:
        assert self.encoder is not None
        await self._call(self.encoder.write, frame)

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        worker, encoder = self._worker, self.encoder
        if worker is None:
            return
        self._worker = None
        stuck = self._broken and isinstance(exc, TimeoutError)
        if encoder is not None and stuck:
            # Queued behind the stuck call: if the far end ever wakes up, the connection is closed (an
            # ingest would otherwise keep the stale publisher and refuse the new one).
            worker.submit(lambda: encoder.close(flush=False))
        elif encoder is not None:
            flush = exc is None or isinstance(exc, asyncio.CancelledError)
            closing = asyncio.wrap_future(worker.submit(lambda: encoder.close(flush=flush)))
            try:
                async with asyncio.timeout(self.write_timeout):
                    await asyncio.shield(closing)
            except Exception as error:  # closing a broken connection fails too; the first error counts
                log.debug("%s: close after %s: %s", self.name, type(exc).__name__, type(error).__name__)
        worker.shutdown()
