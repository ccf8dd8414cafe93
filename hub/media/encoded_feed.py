"""Simulcast: a room's host encoded once, the same packets muxed to every stream target.

Encoding H.264 is what a stream costs; muxing is almost free. :class:`EncodedFeed` reads the room's frames
once, encodes them in a worker thread of its own (:class:`PacketEncoder`: the settings every ingest asks
for, see :class:`~hub.media.encoder.EncoderSettings`) and hands each packet to every subscriber. A target
(:class:`PacketMuxer`, driven by :class:`~hub.media.encoder.ThreadedEncoder` like an encoder) opens its
own connection, starts at the next keyframe (at most ``keyframe_seconds`` away) with its timestamps
rebased to zero, and reconnects on its own: one ingest failing never touches the encoding or another
target.

A room has one feed per distinct set of encoder settings (``room.slots``: :class:`EncodedFeeds`). The
feed starts with its first subscriber and stops with its last. A subscriber that falls behind loses its
oldest packets (drop-oldest, like frame subscriptions) and resumes at the next keyframe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from hub.media.encoder import AVEncoder, EncoderSettings, Worker
from hub.media.frames import MediaFrame
from hub.media.subscribers import FrameSubscription, Subscribers

log = logging.getLogger("livehub.media.simulcast")

PACKETS_QUEUED = 250
"""Packets that may wait for one target (about 2 s of a 25 fps stream with its audio)."""


@dataclass(frozen=True, slots=True)
class EncodedPacket:
    """One encoded packet, independent of any container (each target muxes its own copy)."""

    video: bool
    data: bytes
    pts: int
    dts: int
    time_base: Fraction
    keyframe: bool


class PacketEncoder(AVEncoder):
    """An :class:`AVEncoder` whose packets are handed out instead of written: its container is a null
    sink that only gives the codecs the FLV flags (global headers) every target's muxer needs."""

    def __init__(self, settings: EncoderSettings | None = None) -> None:
        super().__init__(os.devnull, "flv", settings)
        self._out: list[EncodedPacket] = []

    def open(self) -> None:
        super().open()
        self._container.start_encoding()  # opens the codecs: their parameters (SPS/PPS) are now known

    @property
    def templates(self) -> tuple[Any, Any]:
        """The video and audio streams a target's muxer copies its stream parameters from."""
        return self._video, self._audio

    def encode(self, frame: MediaFrame) -> list[EncodedPacket]:
        """The packets of one frame (and of the silence for frames lost before it)."""
        self.write(frame)
        out, self._out = self._out, []
        return out

    def _mux(self, packets: list[Any]) -> None:
        for packet in packets:
            if packet.pts is None:
                continue
            self.bytes_muxed += packet.size
            self._out.append(EncodedPacket(packet.stream.type == "video", bytes(packet), packet.pts,
                                           packet.dts if packet.dts is not None else packet.pts,
                                           packet.time_base, bool(packet.is_keyframe)))

    def close(self, *, flush: bool = True) -> None:
        container, self._container = self._container, None
        if container is not None:
            with contextlib.suppress(Exception):
                container.close()


class PacketMuxer:
    """One target: muxes a feed's packets into ``target`` (a URL or path) in ``format``, from a keyframe,
    timestamps rebased to start at zero. The interface of :class:`AVEncoder` (``open``/``write``/``close``),
    so :class:`~hub.media.encoder.ThreadedEncoder` runs it in a thread."""

    def __init__(self, target: str, format: str, templates: tuple[Any, Any],
                 container_options: dict[str, str] | None = None) -> None:
        self.target, self.format, self.templates = target, format, templates
        self.container_options = dict(container_options or {})
        self.frames = 0
        self.bytes_muxed = 0
        self._container: Any = None
        self._streams: tuple[Any, Any] | None = None
        self._start: float | None = None  # seconds of the feed where this target began (a keyframe)
        self._waiting_keyframe = False

    def open(self) -> None:
        import av

        self._container = av.open(self.target, "w", format=self.format, options=self.container_options)
        video, audio = self.templates
        self._streams = (self._container.add_stream_from_template(video),
                         self._container.add_stream_from_template(audio))

    def resync(self) -> None:
        """Packets were lost: wait for the next keyframe before writing video again."""
        self._waiting_keyframe = True

    def write(self, packet: EncodedPacket | None) -> None:
        """Mux ``packet``; ``None`` says packets were lost (see :meth:`resync`)."""
        import av

        if packet is None:
            self.resync()
            return
        if self._container is None:
            self.open()
        assert self._streams is not None
        at = float(packet.pts * packet.time_base)
        if self._start is None:
            if not (packet.video and packet.keyframe):
                return
            self._start = at
        if packet.video and self._waiting_keyframe:
            if not packet.keyframe:
                return
            self._waiting_keyframe = False
        if at < self._start:
            return
        shift = round(self._start / packet.time_base)
        out = av.Packet(packet.data)
        out.pts, out.dts = packet.pts - shift, max(0, packet.dts - shift)
        out.time_base = packet.time_base
        out.is_keyframe = packet.keyframe
        out.stream = self._streams[0] if packet.video else self._streams[1]
        self.bytes_muxed += len(packet.data)
        self._container.mux(out)
        if packet.video:
            self.frames += 1

    def close(self, *, flush: bool = True) -> None:
        container, self._container = self._container, None
        if container is not None:
            container.close()


class EncodedFeed:
    """A room's shared encoding for one set of settings (see the module docstring)."""

    def __init__(self, timeline: Any, settings: EncoderSettings, owner: Any = None) -> None:
        self.timeline, self.settings, self.owner = timeline, settings, owner
        self.subscribers = Subscribers()
        self.templates: tuple[Any, Any] | None = None
        self.ready = asyncio.Event()  # the codecs are open: templates are known
        self.frames = 0
        self.error: BaseException | None = None
        self._task: asyncio.Task[Any] | None = None

    def subscribe(self, maxsize: int = PACKETS_QUEUED) -> FrameSubscription:
        """A drop-oldest queue of this feed's packets; starts the encoding if it is not running."""
        subscription = self.subscribers.subscribe(maxsize, video=False)
        if self._task is None or self._task.done():
            self.error = None
            self.ready.clear()
            coro, name = self._run(), f"simulcast:{self.timeline.room}:encode"
            self._task = self.owner.create_task(coro, name=name) if self.owner is not None else \
                asyncio.get_running_loop().create_task(coro, name=name)
        return subscription

    async def packets(self, subscription: FrameSubscription) -> AsyncIterator[EncodedPacket | None]:
        """The subscription's packets; ``None`` where packets were lost (resync at a keyframe). Ends when
        the feed stops; raises the encoder's error if it failed."""
        seen_drops = 0
        async for packet in subscription:
            if subscription.dropped != seen_drops:
                seen_drops = subscription.dropped
                yield None
            yield packet
        if self.error is not None:
            raise self.error

    def unsubscribe(self, subscription: FrameSubscription) -> None:
        """End ``subscription``; the last one out stops the encoding."""
        subscription.close()
        if not len(self.subscribers) and self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        worker = Worker(f"simulcast-{self.timeline.room}")
        frames = self.timeline.frames(25, video=True)
        encoder = PacketEncoder(self.settings)
        try:
            await asyncio.wrap_future(worker.submit(encoder.open))
            self.templates = encoder.templates
            self.ready.set()
            async for frame in frames:
                packets = await asyncio.wrap_future(worker.submit(encoder.encode, frame))
                self.frames += 1
                for packet in packets:
                    self.subscribers.publish(packet)
        except Exception as exc:  # every target sees it and retries on its own
            self.error = exc
            log.warning("room %s: the shared stream encoder failed: %s: %s", self.timeline.room,
                        type(exc).__name__, exc)
        finally:
            frames.close()
            self.ready.set()  # waiters see the error (or the end) instead of waiting forever
            self.subscribers.close_all()
            worker.submit(encoder.close)
            worker.shutdown()


@dataclass
class EncodedFeeds:
    """A room's feeds by encoder settings (``room.slots``)."""

    feeds: dict[str, EncodedFeed] = field(default_factory=dict)

    def get(self, timeline: Any, settings: EncoderSettings, owner: Any = None) -> EncodedFeed:
        key = repr(settings)  # the settings hold a dict: not hashable
        feed = self.feeds.get(key)
        if feed is None or feed.timeline is not timeline:
            feed = self.feeds[key] = EncodedFeed(timeline, settings, owner)
        return feed


def encoded_feed(hub: Any, timeline: Any, settings: EncoderSettings) -> EncodedFeed:
    """The feed of ``timeline``'s room for ``settings``, shared by every target of the room that encodes
    the same way (a new, unshared feed without a hub)."""
    if hub is None:
        return EncodedFeed(timeline, settings)
    return hub.rooms.ensure(timeline.room).slots.setdefault(EncodedFeeds, EncodedFeeds).get(timeline, settings,
                                                                                           hub)



async def push_feed(feed: EncodedFeed, make: Callable[[tuple[Any, Any]], PacketMuxer], *, name: str,
                    write_timeout: float, on_video: Callable[[], None]) -> None:
    """Mux ``feed`` into the muxer ``make(templates)`` builds (in a thread of its own) until the feed ends;
    ``on_video`` after each video packet written. What every simulcast target's ``_run`` does."""
    from hub.errors import BackendError
    from hub.media.encoder import ThreadedEncoder

    subscription = feed.subscribe()
    try:
        await feed.ready.wait()
        templates = feed.templates
        if templates is None:
            raise feed.error or BackendError("the room's stream encoder stopped", retryable=True)
        async with ThreadedEncoder(lambda: make(templates), name=name, write_timeout=write_timeout) as muxer:
            async for packet in feed.packets(subscription):
                await muxer.write(packet)  # type: ignore[arg-type]  # a PacketMuxer takes packets
                if packet is not None and packet.video:
                    on_video()
    finally:
        feed.unsubscribe(subscription)
