"""The hub events of every process, for watchers connected to any process (the console's live log, the events
WebSocket): a Redis stream ``livehub:events`` every process appends its bus events to and reads the others'.

Each process subscribes to its own bus (a ``drop_oldest`` queue: a slow Redis loses feed entries, it never slows
the room) and appends what it sees in batches every ``flush_s`` (one pipeline round trip); it reads the stream
from the moment it starts and hands the other processes' events to its listeners (``listen``). They never go on
this process's bus: nothing here acts on another process's room (no triage, no reply), they are only shown. The
stream is capped (``MAXLEN ~``): it is a live feed, not a store (the database is).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from hub.events import Event, to_dict

log = logging.getLogger("livehub.cluster")

FEED_KEY = "livehub:events"
FEED_MAXLEN = 10_000
Listener = Callable[[dict[str, Any]], None]


class EventFeed:
    def __init__(self, redis: Any, node: str, *, flush_s: float = 0.05) -> None:
        self.redis, self.node, self.flush_s = redis, node, flush_s
        self.listeners: list[Listener] = []
        self.sent = self.received = 0
        self._pending: list[str] = []
        self._last = "$"

    async def begin(self) -> None:
        """Read from the stream's end as it is now (what other processes add from here on is delivered)."""
        self._last = await stream_end(self.redis, FEED_KEY)

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event_dict)`` for every event another process publishes; returns the way to stop."""
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener) if listener in self.listeners else None

    async def take(self, event: Event) -> None:
        """A bus subscriber's handler: queue ``event`` for the stream."""
        self._pending.append(json.dumps(to_dict(event), ensure_ascii=False, default=str))

    async def flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.flush_s)
            if not self._pending:
                continue
            batch, self._pending = self._pending, []
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for item in batch:
                        pipe.xadd(FEED_KEY, {"node": self.node, "event": item}, maxlen=FEED_MAXLEN, approximate=True)
                    await pipe.execute()
                self.sent += len(batch)
            except Exception as exc:  # a live feed: what Redis missed is gone, the database has it
                log.debug("event feed: %d events not sent: %s", len(batch), exc)

    async def read_loop(self) -> None:
        await follow(self.redis, FEED_KEY, self._last, self.node, self._deliver, label="event feed")

    def _deliver(self, entry_id: str, fields: dict[str, str]) -> None:
        try:
            event = json.loads(fields.get("event") or "{}")
        except ValueError:
            return
        self.received += 1
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception as exc:  # one watcher's failure is its own
                log.debug("event feed listener failed: %s", exc)


async def stream_end(redis: Any, key: str) -> str:
    """The id of the newest entry of stream ``key`` ("0-0" when empty; "$" when Redis cannot say)."""
    try:
        newest = await redis.xrevrange(key, count=1)
        return newest[0][0] if newest else "0-0"
    except Exception as exc:
        log.debug("%s: no start position: %s", key, exc)
        return "$"


async def follow(redis: Any, key: str, last: str, node: str, handle: Callable[[str, dict[str, str]], None], *,
                 label: str, block_ms: int = 1000) -> None:
    """Read stream ``key`` after entry ``last`` for ever, calling ``handle(entry_id, fields)`` for each entry
    another process (not ``node``) appended; Redis away: tried again every second."""
    while True:
        try:
            found = await redis.xread({key: last}, count=500, block=block_ms)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.debug("%s: not read: %s", label, exc)
            await asyncio.sleep(1.0)
            continue
        for _, entries in found or []:
            for entry_id, fields in entries:
                last = entry_id
                if fields.get("node") != node:
                    handle(entry_id, fields)
