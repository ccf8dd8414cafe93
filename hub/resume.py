"""Resuming a platform feed without losing or repeating events: the cursor and the recent message ids.

A platform connector reads its feed from a **cursor** (the last message id, a page token, a sequence
number: whatever the platform resumes from). :class:`CursorKeeper` holds it, advances it after each
accepted message and writes it to the database (table ``connector_cursors``) at most once every
``interval`` seconds, in a task of its own so ingest never waits for the database, and once more when the
connector stops. A cursor is written only once every event published before it is **stored**
(:meth:`hub.app.Hub.events_stored`), so after ``kill -9`` the stored cursor never points past an event
that was lost in the recorder's queue: the connector resumes from it and the platform sends those events
again. What the platform sends again that was stored already is recognised by :class:`RecentIds`, which
is seeded from the message ids already stored in ``events``, and by the database's unique message ids.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger("livehub.connector")


class RecentIds:
    """The last ``size`` message ids seen, oldest forgotten first."""

    def __init__(self, size: int = 5000, ids: Iterable[str] = ()) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()
        for message_id in ids:
            self.add(message_id)

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, message_id: str) -> None:
        self._ids[message_id] = None
        self._ids.move_to_end(message_id)
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)

    def discard(self, message_id: str) -> None:
        self._ids.pop(message_id, None)


class CursorKeeper:
    """One connector's resume cursor: loaded at start, advanced in memory, stored at most once every
    ``interval`` seconds and at :meth:`flush`."""

    def __init__(self, hub: Hub, connector: str, platform: str, interval: float = 1.0) -> None:
        self.hub, self.connector, self.platform, self.interval = hub, connector, platform, interval
        self.value: str | None = None
        self.stored: str | None = None
        self.saved_at = 0.0
        self.writes = 0
        self._task: asyncio.Task[Any] | None = None

    async def load(self) -> str | None:
        storage = self.hub.storage
        self.value = self.stored = await storage.get_cursor(self.connector) if storage is not None else None
        return self.value

    def advance(self, cursor: str | int) -> None:
        """The feed is past ``cursor`` (everything before it was accepted): store it soon."""
        self.value = str(cursor)
        if self.value == self.stored or (self._task is not None and not self._task.done()):
            return
        delay = max(0.0, self.saved_at + self.interval - time.monotonic())
        self._task = self.hub.create_task(self._save_later(delay), name=f"connector:{self.connector}:cursor")

    async def _save_later(self, delay: float) -> None:
        failing = False
        while True:
            await asyncio.sleep(delay)
            try:
                await self.save()
            except Exception as exc:  # the database is not answering: keep the cursor, try again later
                if not failing:
                    log.warning("connector %s: cannot store its cursor (retrying every %.0f s): %s",
                                self.connector, self.interval, f"{type(exc).__name__}: {exc}")
                failing = True
                self.saved_at = time.monotonic()
            else:
                if failing:
                    log.info("connector %s: its cursor is stored again", self.connector)
                failing = False
                if self.value == self.stored:  # else it advanced during the write: once more, later
                    return
            delay = self.interval

    async def save(self, *, timeout: float | None = 30.0) -> None:
        """Store the cursor once the events published before it are stored (raises TimeoutError if
        they are not within ``timeout`` seconds: the database is down)."""
        value, storage = self.value, self.hub.storage
        if value is None or value == self.stored or storage is None or not storage.started:
            return
        await self.hub.events_stored(timeout=timeout)  # never a cursor past an event not yet stored
        await storage.set_cursor(self.connector, self.platform, value)
        self.stored, self.saved_at = value, time.monotonic()
        self.writes += 1

    async def flush(self) -> None:
        """Store the cursor now (the connector is stopping); a failure is logged, never raised."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        try:
            await self.save(timeout=10.0)
        except Exception as exc:  # the database went first: the next start resumes a little earlier
            log.warning("connector %s: could not store its cursor: %s", self.connector,
                        f"{type(exc).__name__}: {exc}")
