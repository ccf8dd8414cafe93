"""The sentences of a line that is still being written: a voice answer spoken while the LLM writes it.

:meth:`hub.media.timeline.RoomTimeline.say` with ``more=True`` returns a :class:`~hub.media.playback.Line`
whose ``feed`` is a :class:`LineFeed`. Whoever writes the answer :meth:`~LineFeed.add`\\ s sentences as
they are ready and :meth:`~LineFeed.close`\\ s the feed at the end; the timeline speaks each sentence as it
arrives, back to back with the one before (the voice chain synthesises the next while this one plays).

A feed keeps every sentence it was given, so the line can be spoken again from its start (an urgent line
that cut it, keeping it queued, re-reads it). A writer that disappears without closing the feed cannot
hold the voice forever: after ``idle_timeout`` seconds without a new sentence the feed ends by itself
(counted in :attr:`LineFeed.timed_out`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

IDLE_TIMEOUT = 30.0
"""Seconds a feed waits for its next sentence before it ends the line by itself."""


class LineFeed:
    """Sentences added over time, read (possibly more than once) by :meth:`sentences`."""

    def __init__(self, first: str = "", *, joiner: str = "", idle_timeout: float = IDLE_TIMEOUT) -> None:
        self.parts: list[str] = [first] if first.strip() else []
        self.joiner = joiner
        self.idle_timeout = idle_timeout
        self.closed = False
        self.timed_out = False
        self._changed = asyncio.Event()

    @property
    def text(self) -> str:
        """Everything added so far."""
        return self.joiner.join(self.parts)

    def add(self, sentence: str) -> None:
        """Append one sentence (ignored once the feed is closed, and when blank)."""
        if self.closed or not sentence.strip():
            return
        self.parts.append(sentence)
        self._changed.set()

    def close(self) -> None:
        """No more sentences: the line ends after the last one added."""
        self.closed = True
        self._changed.set()

    async def sentences(self) -> AsyncIterator[str]:
        """Every sentence from the first, waiting for new ones until the feed is closed (or idle too long)."""
        position = 0
        while True:
            if position < len(self.parts):
                position += 1
                yield self.parts[position - 1]
                continue
            if self.closed:
                return
            self._changed.clear()
            try:
                async with asyncio.timeout(self.idle_timeout):
                    await self._changed.wait()
            except TimeoutError:
                self.timed_out = True
                self.close()
