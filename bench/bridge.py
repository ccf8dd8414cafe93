"""The room bridge of the reply benchmarks, and the probe that sees when an answer is first heard.

:func:`start_bridge` puts the show runner's own room bridge (:class:`plugins.show_runner.bridge.RoomBridge`:
each voice ``Reply`` of the room becomes ``timeline.say``, a stage change switches the product card) on the
room, exactly as a show on air has it. Only if that plugin is not installed does it fall back to
:class:`ReplyBridge`, a minimal bridge doing the same. Either way :class:`BridgeProbe` wraps the bridge's
``say`` to remember, for every comment a reply answers, the timeline :class:`hub.media.playback.Line`
saying it (the bridge's behaviour is unchanged).

:class:`FirstAudio` subscribes to the timeline's frames *with video* (so the host is drawn every frame,
as for an output) and notes the wall-clock time at which the frame carrying a line's first audio sample
(``frame.index == line.first_frame``) is handed to subscribers.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any


class ReplyBridge:
    """Fallback room bridge: voice replies of ``room`` → ``timeline.say``; stage changes → the card."""

    def __init__(self, hub: Any, room: str, timeline: Any) -> None:
        self.hub, self.timeline, self.room = hub, timeline, room
        self._subscription: Any = None

    async def start(self) -> None:
        self._subscription = self.hub.bus.subscribe(f"bench_bridge:{self.room}", self.handle,
                                                    types=("reply", "stage"), maxsize=10_000)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self.hub.bus.unsubscribe(self._subscription, timeout=2.0)
            self._subscription = None

    def handle(self, event: Any) -> None:
        if event.room != self.room:
            return
        if event.type == "stage":
            self.timeline.set_product(event.sku)
        elif event.channel == "voice":
            self.say(event)

    def say(self, reply: Any) -> Any:
        return self.timeline.say(reply.text, kind=reply.kind, clear_queue=False)


class BridgeProbe:
    """Wraps a bridge's ``say``: comment id → the Line answering it; ``on_line(line)`` for each line."""

    def __init__(self, bridge: Any, on_line: Any = None) -> None:
        self.bridge, self.on_line = bridge, on_line
        self.lines: dict[str, Any] = {}
        self._changed = asyncio.Event()
        say = bridge.say

        def probed_say(reply: Any, *args: Any, **kwargs: Any) -> Any:
            line = say(reply, *args, **kwargs)
            if self.on_line is not None:
                self.on_line(line)
            for answered in reply.answers:
                self.lines[answered] = line
            self._changed.set()
            return line

        bridge.say = probed_say

    async def stop(self) -> None:
        await self.bridge.stop()

    async def line_for(self, event_id: str, timeout: float) -> Any | None:
        """The line answering ``event_id`` once a voice reply lists it (None after ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while event_id not in self.lines:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                return None
        return self.lines[event_id]


async def start_bridge(hub: Any, timeline: Any, room: str, on_line: Any = None) -> tuple[BridgeProbe, str]:
    """The room's bridge, started and probed; also which bridge it is (for the report)."""
    try:
        from plugins.show_runner.bridge import RoomBridge
    except ImportError:
        bridge: Any = ReplyBridge(hub, room, timeline)
        kind = "bench fallback bridge"
    else:
        from hub.clock import RealClock

        bridge = RoomBridge(hub, room, timeline, clock=RealClock())
        kind = "show_runner RoomBridge"
    probe = BridgeProbe(bridge, on_line)
    await bridge.start()
    return probe, kind


class FirstAudio:
    """When each line's first frame left the timeline (``time.perf_counter``). Start :meth:`run` as a task."""

    def __init__(self, timeline: Any) -> None:
        self.timeline = timeline
        self.frames = 0
        self._heard: dict[int, float] = {}
        self._waiting: dict[int, Any] = {}
        self._tick = asyncio.Event()

    async def run(self) -> None:
        async for frame in self.timeline.frames(maxsize=50, video=True):
            now = time.perf_counter()
            self.frames += 1
            for line_id, line in list(self._waiting.items()):
                if line.first_frame is not None and frame.index >= line.first_frame:
                    # a later frame only if this subscriber lost the first one (then the time is late)
                    self._heard[line_id] = now
                    del self._waiting[line_id]
            self._tick.set()

    def watch(self, line: Any) -> None:
        """Note when ``line`` is first heard (call it as soon as the line is queued)."""
        if line.id not in self._heard:
            self._waiting[line.id] = line

    async def heard(self, line: Any, timeout: float) -> float | None:
        """When ``line`` was first heard (None if not within ``timeout`` s, or it ended unheard)."""
        self.watch(line)
        deadline = time.monotonic() + timeout
        while line.id not in self._heard and time.monotonic() < deadline:
            if line.finished and line.first_frame is None:
                break
            self._tick.clear()
            try:
                await asyncio.wait_for(self._tick.wait(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                break
        self._waiting.pop(line.id, None)
        return self._heard.get(line.id)
