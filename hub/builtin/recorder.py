"""Records every event the bus accepts into the database, in batches, and loses none on shutdown.

The recorder is a ``block`` bus subscriber: when the database falls behind, publishers wait rather than
events being dropped, and when the hub stops the bus drains the recorder's queue before storage closes
(see :mod:`hub.app`). Events reach :meth:`hub.storage.Storage.record_events` in batches of up to
``batch_size``, so a busy room costs one insert per batch, and duplicates are skipped by the database.

A batch that fails because the database is unreachable or busy is retried with capped exponential
backoff, never dropped: the failure is logged once, and the recovery once. A batch that fails for any
other reason (an event the database refuses) is written event by event, so only the events that cannot
be stored are reported and skipped, and the rest of the batch is kept.

The recorder provides :class:`hub.interfaces.EventStore`: a publisher that acknowledges events to the
outside world (``POST /api/v1/events``, a platform connector storing its resume cursor) waits for
:meth:`EventRecorder.stored`, answered as soon as the batch holding its events is committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc as sa_exc

from hub.bus import Subscription
from hub.events import Event
from hub.hookspecs import hookimpl
from hub.interfaces import EventStore
from hub.specs import Dependencies

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger("livehub.recorder")

SUBSCRIBER = "recorder"


class RecorderSettings(BaseModel):
    """``[plugins.recorder]``: how events are batched on their way to the database."""

    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(500, ge=1, le=10_000, description="most events written in one insert")
    queue_size: int = Field(20_000, ge=1, description="events queued before publishers wait")
    retry_max_delay: float = Field(5.0, gt=0, le=300, description="longest wait between retries, seconds")


# SQLSTATE classes of errors about the data or the statement, which no retry can fix:
# 22 data exception, 23 integrity constraint violation, 42 syntax error or access rule violation.
PERMANENT_SQLSTATE_CLASSES = frozenset({"22", "23", "42"})


def is_transient(error: BaseException) -> bool:
    """True when trying the same write again may succeed: the database is unreachable, restarting,
    locked or out of connections. False for errors about the data itself (no retry can fix those)."""
    if isinstance(error, sa_exc.IntegrityError | sa_exc.DataError | sa_exc.ProgrammingError):
        return False
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        sqlstate = getattr(error.orig, "sqlstate", None)
        return not (isinstance(sqlstate, str) and sqlstate[:2] in PERMANENT_SQLSTATE_CLASSES)
    if isinstance(error, sa_exc.StatementError):  # a value could not be bound: a data problem
        return False
    return isinstance(error, OSError | TimeoutError | sa_exc.TimeoutError | sa_exc.DisconnectionError)


def describe(error: BaseException) -> str:
    """A one-line account of ``error``: the driver's message, not SQLAlchemy's statement dump."""
    if isinstance(error, sa_exc.DBAPIError) and error.orig is not None:
        error = error.orig
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


REFUSED_REMEMBERED = 10_000
"""How many ids of refused events :meth:`EventRecorder.stored` can still name."""


class EventRecorder(EventStore):
    """Writes batches from the bus to storage; retries while the database is unavailable."""

    def __init__(self, hub: Hub, settings: RecorderSettings, *, initial_delay: float = 0.05) -> None:
        self.hub = hub
        self.settings = settings
        self.initial_delay = initial_delay
        self.written = 0
        self.skipped = 0
        self.retries = 0
        self.subscription: Subscription | None = None
        self._refused: OrderedDict[str, None] = OrderedDict()

    async def stored(self, events: Sequence[Event] = (), timeout: float | None = None) -> list[Event]:
        """See :class:`hub.interfaces.EventStore`."""
        sub = self.subscription
        if sub is None:
            raise RuntimeError("the recorder is not subscribed to the bus")
        mark = sub.mark()
        if timeout is None:
            await sub.reached(mark)
        else:
            async with asyncio.timeout(timeout):
                await sub.reached(mark)
        refused = self._refused
        return [event for event in events if event.id in refused] if refused else []

    async def write(self, item: Event | list[Event]) -> None:
        """The bus handler: store ``item`` (one event when ``batch_size`` is 1, else a list)."""
        batch = item if isinstance(item, list) else [item]
        if not all(event.persist for event in batch):  # e.g. reply sentences: their Reply is stored
            batch = [event for event in batch if event.persist]
            if not batch:
                return
        try:
            self.written += await self._with_retry(batch)
        except Exception as error:  # not transient: isolate the events the database refuses
            log.warning("a batch of %d events was refused (%s); writing them one by one",
                        len(batch), describe(error))
            await self._one_by_one(batch)

    async def _with_retry(self, batch: Sequence[Event]) -> int:
        delay, failed_since = self.initial_delay, 0
        while True:
            try:
                written = await self.hub.storage.record_events(batch)
            except Exception as error:
                if not is_transient(error):
                    raise
                if not failed_since:
                    log.error("cannot write events to the database (%s); retrying until it is back, "
                              "nothing is dropped", describe(error))
                failed_since += 1
                self.retries += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.retry_max_delay)
                continue
            if failed_since:
                log.warning("database writes recovered after %d retries", failed_since)
            return written

    async def _one_by_one(self, batch: Sequence[Event]) -> None:
        for event in batch:
            try:
                self.written += await self._with_retry([event])
            except Exception as error:
                self.skipped += 1
                self._refused[event.id] = None
                if len(self._refused) > REFUSED_REMEMBERED:
                    self._refused.popitem(last=False)
                self.hub.report_error(error, f"recorder:event:{event.type}:{event.id}")


@hookimpl
def livehub_config_models() -> dict[str, type[BaseModel]]:
    return {"recorder": RecorderSettings}


@hookimpl
def livehub_startup(hub: Hub) -> None:
    if hub.storage is None:
        raise RuntimeError("the recorder needs the hub's storage, which is not running")
    settings = hub.plugin_config("recorder") or RecorderSettings()
    recorder = EventRecorder(hub, settings)
    recorder.subscription = hub.bus.subscribe(SUBSCRIBER, recorder.write, overflow="block",
                                              batch=settings.batch_size, maxsize=settings.queue_size)
    hub.slots.set(EventRecorder, recorder)
    hub.slots.provide(EventStore, recorder)


@hookimpl
def livehub_plugin_dependencies() -> Dependencies:
    return Dependencies(provides=("EventStore",))


def recorder_of(hub: Hub) -> EventRecorder | None:
    """The hub's :class:`EventRecorder` (``hub.slots``; for status pages and tests), or None."""
    return hub.slots.get(EventRecorder)
