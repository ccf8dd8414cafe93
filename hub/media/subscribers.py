"""Fan-out of timeline frames: one bounded, drop-oldest queue per subscriber.

A subscriber that reads slower than the frame rate loses its oldest frames (counted), never slows the
timeline or the other subscribers. Subscriptions are held weakly: one its owner forgot is collected
with it instead of holding frames forever.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any


class FrameSubscription:
    """``async for frame in subscription`` until the timeline stops or :meth:`close` is called."""

    def __init__(self, owner: Subscribers, maxsize: int, video: bool) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self.video = video
        self.dropped = 0
        self.received = 0
        self.closed = False
        self._frames: deque[Any] = deque()
        self._ready = asyncio.Event()
        self._owner = owner

    def put(self, frame: Any) -> int:
        """Queue ``frame``; returns how many frames were dropped to make room (0 or 1)."""
        if self.closed:
            return 0
        dropped = 0
        if len(self._frames) >= self.maxsize:
            self._frames.popleft()
            self.dropped += 1
            dropped = 1
        self._frames.append(frame)
        self._ready.set()
        return dropped

    def __aiter__(self) -> FrameSubscription:
        return self

    async def __anext__(self) -> Any:
        while not self._frames:
            if self.closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        self.received += 1
        return self._frames.popleft()

    def pending(self) -> int:
        return len(self._frames)

    def close(self) -> None:
        """Stop receiving; an ``async for`` ends once the queued frames are read."""
        if not self.closed:
            self.closed = True
            self._ready.set()
            self._owner.discard(self)

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> FrameSubscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
        self._frames.clear()


class Subscribers:
    """The subscriptions of one timeline."""

    def __init__(self, on_drop: Callable[[int], None] | None = None) -> None:
        self._subs: weakref.WeakSet[FrameSubscription] = weakref.WeakSet()
        self._on_drop = on_drop

    def subscribe(self, maxsize: int, *, video: bool = True) -> FrameSubscription:
        sub = FrameSubscription(self, maxsize, video)
        self._subs.add(sub)
        return sub

    def discard(self, sub: FrameSubscription) -> None:
        self._subs.discard(sub)

    @property
    def want_video(self) -> bool:
        """True when any subscriber needs pictures (else the timeline skips drawing them)."""
        return any(sub.video for sub in list(self._subs))

    def publish(self, frame: Any) -> None:
        dropped = sum(sub.put(frame) for sub in list(self._subs))
        if dropped and self._on_drop is not None:
            self._on_drop(dropped)

    def close_all(self) -> None:
        for sub in list(self._subs):
            sub.close()

    def __len__(self) -> int:
        return len(self._subs)
