"""How the scheduler keeps its schedules in the hub's database: APScheduler 4's SQLAlchemy data store,
with prefixed table names, a JSON-only serializer and a drain switch for clean stops.

Why not the stock data store as is:

* **Table names.** APScheduler names its tables ``metadata``, ``tasks``, ``schedules``, ``jobs`` and
  ``job_results`` (the hub has a ``schedules`` table of its own), and only offers a *schema* to keep
  them apart. SQLite has no schemas (only attached
  files) and a PostgreSQL schema needs the ``CREATE`` privilege, so the tables get a name prefix instead,
  which works the same on both.
* **Serializer.** The default pickles triggers and arguments, so whoever can write the database could
  run code in the hub. APScheduler's own JSON serializer does not restore the triggers' datetimes
  (4.0.0a6). :class:`ScheduleSerializer` writes plain JSON and rebuilds only the three trigger classes
  the hub uses.
* **SQLite.** APScheduler runs transactions from several tasks at once; on SQLite they would fight
  over the single write lock (``database is locked``), and on a shared ``:memory:`` connection they
  would interleave. The store runs its own transactions one at a time there.
* **Draining.** ``AsyncScheduler.stop()`` cancels everything at once. Cancelled between queueing a
  due job and releasing its schedule, the schedule would fire again once its lease ran out (a double
  run); cancelled between acquiring a job and starting it, the job would wait out its lease and
  could be dropped as abandoned. While :attr:`HubDataStore.draining` is set the store hands out no
  more schedules or jobs, and :attr:`HubDataStore.busy` says when nothing is half-way, so stopping
  can wait for that moment (no transaction open either: one cancelled while connecting can leak its
  connection). The scheduler reports each job it starts through ``unstarted_jobs``.
* **Retries.** APScheduler retries a query whose connection is refused for up to a minute; here
  :data:`STORE_RETRY_S`. Longer outages, and errors it does not retry, are the supervisor's
  (:mod:`hub.scheduler_supervisor`): it starts a new store on the same engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
from apscheduler import DeserializationError, RetrySettings, SerializationError
from apscheduler.abc import EventBroker, Serializer
from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore
from apscheduler.eventbrokers.local import LocalEventBroker
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Enum, MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool
from tenacity import stop_after_delay, wait_exponential

TABLE_PREFIX = "apscheduler_"
TRIGGER_CLASSES: dict[str, type] = {cls.__name__: cls for cls in (DateTrigger, IntervalTrigger, CronTrigger)}
_DATETIME, _TIMEZONE, _TIMEDELTA, _TRIGGER = "__livehub_datetime__", "__livehub_tz__", "__livehub_td__", \
    "__livehub_trigger__"


def timezone_name(tz: tzinfo) -> str:
    """The IANA name of ``tz`` (``UTC`` for :data:`datetime.timezone.utc`); raises for other offsets."""
    if isinstance(tz, ZoneInfo):
        return tz.key
    if tz is UTC:
        return "UTC"
    raise SerializationError(f"only named (IANA) time zones can be stored, not {tz!r}")


@attrs.define(eq=False)
class ScheduleSerializer(Serializer):
    """JSON for schedule triggers and job arguments; never unpickles anything read from the database."""

    def _encode(self, obj: Any) -> Any:
        if isinstance(obj, datetime):
            return {_DATETIME: obj.isoformat()}
        if isinstance(obj, timedelta):
            return {_TIMEDELTA: obj.total_seconds()}
        if isinstance(obj, tzinfo):
            return {_TIMEZONE: timezone_name(obj)}
        name = type(obj).__name__
        if TRIGGER_CLASSES.get(name) is type(obj):
            return {_TRIGGER: name, "state": obj.__getstate__()}
        raise TypeError(f"cannot store an object of type {name} in a schedule")

    def _decode(self, obj: dict[str, Any]) -> Any:
        if _DATETIME in obj:
            return datetime.fromisoformat(obj[_DATETIME])
        if _TIMEDELTA in obj:
            return timedelta(seconds=obj[_TIMEDELTA])
        if _TIMEZONE in obj:
            return ZoneInfo(obj[_TIMEZONE])
        if _TRIGGER in obj:
            cls = TRIGGER_CLASSES.get(obj[_TRIGGER])
            if cls is None:
                raise ValueError(f"unknown trigger class {obj[_TRIGGER]!r}")
            trigger = cls.__new__(cls)
            trigger.__setstate__(obj["state"])
            return trigger
        return obj

    def serialize(self, obj: object) -> bytes:
        try:
            return json.dumps(obj, default=self._encode, ensure_ascii=False).encode("utf-8")
        except Exception as exc:
            raise SerializationError(str(exc)) from exc

    def deserialize(self, serialized: bytes) -> Any:
        try:
            return json.loads(serialized, object_hook=self._decode)
        except Exception as exc:
            raise DeserializationError(str(exc)) from exc


@attrs.define(eq=False, repr=False)
class HubDataStore(SQLAlchemyDataStore):
    """APScheduler's SQLAlchemy data store with prefixed tables, serial SQLite transactions and a drain
    switch (see the module doc)."""

    table_prefix: str = attrs.field(kw_only=True, default=TABLE_PREFIX)
    draining: bool = attrs.field(init=False, default=False)
    holding_schedules: bool = attrs.field(init=False, default=False)
    acquiring_jobs: bool = attrs.field(init=False, default=False)
    unstarted_jobs: set[UUID] = attrs.field(init=False, factory=set)
    transactions: int = attrs.field(init=False, default=0)
    _sqlite_lock: asyncio.Lock | None = attrs.field(init=False, default=None)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        renamed = MetaData(schema=self.schema)
        for table in self._metadata.sorted_tables:
            copy = table.to_metadata(renamed, name=self.table_prefix + table.name)
            for column in copy.columns:
                if isinstance(column.type, Enum):  # PostgreSQL enum types share the tables' namespace
                    column.type.name = self.table_prefix + str(column.type.name)
        self._metadata = renamed
        key = f"{self.schema}." if self.schema else ""
        for name in ("metadata", "tasks", "schedules", "jobs", "job_results"):
            setattr(self, f"_t_{name}", renamed.tables[f"{key}{self.table_prefix}{name}"])
        if self._engine.dialect.name == "sqlite":
            self._sqlite_lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def _begin_transaction(self) -> AsyncGenerator[Any, None]:
        self.transactions += 1  # cancelled while opening one, a connection can leak: stop waits
        try:
            async with contextlib.AsyncExitStack() as stack:
                if self._sqlite_lock is not None:
                    await stack.enter_async_context(self._sqlite_lock)
                yield await stack.enter_async_context(super()._begin_transaction())
        finally:
            self.transactions -= 1

    async def acquire_schedules(self, scheduler_id: str, lease_duration: timedelta, limit: int) -> list[Any]:
        if self.draining:
            return []
        self.holding_schedules = True  # from the query on: a stop now must wait for the release
        try:
            schedules = await super().acquire_schedules(scheduler_id, lease_duration, limit)
        except BaseException:
            self.holding_schedules = False
            raise
        self.holding_schedules = bool(schedules)
        return schedules

    async def release_schedules(self, scheduler_id: str, results: Sequence[Any]) -> None:
        try:
            await super().release_schedules(scheduler_id, results)
        finally:
            self.holding_schedules = False

    async def acquire_jobs(self, scheduler_id: str, lease_duration: timedelta,
                           limit: int | None = None) -> list[Any]:
        if self.draining:
            return []
        self.acquiring_jobs = True
        try:
            jobs = await super().acquire_jobs(scheduler_id, lease_duration, limit)
            self.unstarted_jobs.update(job.id for job in jobs)
        finally:
            self.acquiring_jobs = False
        return jobs

    @property
    def busy(self) -> bool:
        """True while a schedule is half-processed, an acquired job has not started or a transaction runs."""
        return self.holding_schedules or self.acquiring_jobs or bool(self.unstarted_jobs) or self.transactions > 0

    async def release_job(self, scheduler_id: str, job: Any, result: Any) -> None:
        self.unstarted_jobs.discard(job.id)  # released without starting (e.g. missed its deadline)
        await super().release_job(scheduler_id, job, result)


STORE_RETRY_S = 10.0
"""How long one data store operation retries a refused connection before it fails (APScheduler: 60 s).
A scheduler operation that fails then makes the supervisor restart the scheduler, and an API call
fails with a clear error instead of hanging for a minute (see :mod:`hub.scheduler_supervisor`)."""


def scheduler_engine(engine: AsyncEngine) -> tuple[AsyncEngine, AsyncEngine | None]:
    """The engine the scheduler keeps its schedules on, and that engine again if it is private (to dispose).

    A shared ``:memory:`` SQLite connection cannot carry the hub's and the scheduler's transactions at
    once; schedules in memory die with the process anyway, so they get an in-memory database of their
    own, kept across the scheduler's restarts.
    """
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        private = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)
        return private, private
    return engine, None


def open_store_on(engine: AsyncEngine, *, retry_s: float = STORE_RETRY_S) -> tuple[HubDataStore, EventBroker]:
    """A new data store and event broker on ``engine`` (one pair per run of APScheduler).

    On PostgreSQL with asyncpg, schedulers in other hub processes hear of new schedules at once
    (``LISTEN/NOTIFY``).
    """
    broker: EventBroker = LocalEventBroker()
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg":
        from apscheduler.eventbrokers.asyncpg import AsyncpgEventBroker

        broker = AsyncpgEventBroker.from_async_sqla_engine(engine, channel="livehub_scheduler")
    retry = RetrySettings(stop=stop_after_delay(retry_s), wait=wait_exponential(min=0.2, max=2))
    return HubDataStore(engine, serializer=ScheduleSerializer(), retry_settings=retry), broker


def open_store(engine: AsyncEngine) -> tuple[HubDataStore, EventBroker, AsyncEngine | None]:
    """The data store and event broker for the hub's ``engine``, and a private engine to dispose, if any
    (:func:`scheduler_engine` and :func:`open_store_on` in one)."""
    engine, private = scheduler_engine(engine)
    store, broker = open_store_on(engine)
    return store, broker, private
