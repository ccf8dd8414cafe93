"""The hub's scheduler: APScheduler 4 behind a small API of job-type names and JSON arguments.

A schedule is stored as *which registered job type* plus *its JSON arguments*, never as a pickled
function, so schedules survive restarts and code changes. APScheduler itself knows one task only,
:func:`run_job`; it looks up the job type on the :class:`Scheduler` running it (through a ContextVar
that APScheduler's job tasks inherit from the scheduler's own task) and awaits ``func(hub, **args)``.

Why APScheduler 4 (``AsyncScheduler`` with the SQLAlchemy data store on the hub's engine): several hub
processes can share one PostgreSQL and every due job still runs once; schedules are leased, not
copied. A one-off job missed while the hub was down, or while the scheduler was reconnecting to its
database (see :mod:`hub.scheduler_supervisor`), runs once when it is back; a recurring one that missed
several times runs once (``misfire_grace_time=None``, coalesce ``latest``). The policy: docs/scheduler.md.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import platform
import re
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler import AsyncScheduler, CoalescePolicy, ConflictPolicy, current_job
from apscheduler.abc import Trigger
from apscheduler.executors.async_ import AsyncJobExecutor
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.config import format_validation_error
from hub.connector import State
from hub.scheduler_store import STORE_RETRY_S, HubDataStore, open_store_on, scheduler_engine
from hub.scheduler_supervisor import APSCHEDULER_LOG, SchedulerSupervisor, SchedulerUnavailable

if TYPE_CHECKING:
    from hub.specs import JobType

__all__ = ["Scheduler", "SchedulerUnavailable", "State", "run_job"]

TASK_ID = "livehub.job"  # the one APScheduler task; stored schedules refer to it by this id
SCHEDULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")  # used with fullmatch: no trailing newline
MIN_INTERVAL_S = 0.1
_CRON_FIELDS = ("second", "minute", "hour", "day", "month", "day_of_week")
_running: ContextVar[Scheduler | None] = ContextVar("livehub_scheduler", default=None)


async def run_job(job_type: str, args: dict[str, Any]) -> None:
    """The APScheduler task behind every schedule: run ``job_type`` on the scheduler that fired it."""
    scheduler = _running.get()
    if scheduler is None:
        raise RuntimeError("run_job() called outside a running livehub Scheduler")
    await scheduler.run(job_type, args)


class Scheduler:
    """Schedules registered job types. Built by the hub as ``Scheduler(hub, job_types)``; started once.

    ``stop_grace_s`` is how long :meth:`stop` lets running jobs finish before cancelling them (a job
    cancelled that way is not run again). When APScheduler fails after the start (its database went
    away) the supervisor (:mod:`hub.scheduler_supervisor`) starts it again after a jittered delay
    between ``retry_initial_s`` and ``retry_max_s``; :attr:`state` and :meth:`status` show where it is.
    """

    def __init__(self, hub: Any, job_types: dict[str, JobType], *, timezone_name: str | None = None,
                 stop_grace_s: float = 5.0, retry_initial_s: float = 1.0, retry_max_s: float = 30.0,
                 store_retry_s: float = STORE_RETRY_S) -> None:
        self.hub = hub
        self.job_types = dict(job_types)
        config = getattr(getattr(hub, "config", None), "scheduler", None)
        name = timezone_name or getattr(config, "timezone", None) or "UTC"
        try:
            self.timezone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"scheduler.timezone: unknown time zone {name!r}") from None
        self.stop_grace_s = stop_grace_s
        self.store_retry_s = store_retry_s
        self.supervisor = SchedulerSupervisor(hub, retry_initial_s=retry_initial_s, retry_max_s=retry_max_s)
        self.running_jobs = 0
        # one identity for every restart: a new run releases what the failed one held at once
        self.identity = f"livehub-{platform.node()}-{os.getpid()}-{id(self):x}"
        self._aps: AsyncScheduler | None = None
        self._store: HubDataStore | None = None
        self._engine: AsyncEngine | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = asyncio.Event()
        self._stopping = asyncio.Event()
        self._fire = asyncio.Event()
        self._start_error: BaseException | None = None
        self._private_engine: AsyncEngine | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self, *, paused: bool = False) -> None:
        """Create the tables if needed and start firing due schedules (missed ones included).

        ``paused``: add, list and remove work at once, but nothing fires before :meth:`resume`, so
        a hub can start its plugins (which own job types) before their missed jobs run.
        """
        self._engine, self._private_engine = scheduler_engine(self.hub.storage.engine)
        if not paused:
            self._fire.set()
        self._task = self.hub.create_task(self._serve(), name="scheduler")
        started = asyncio.ensure_future(self._started.wait())
        try:
            await asyncio.wait({started, self._task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            started.cancel()
            await asyncio.wait({started})
        if not self._started.is_set():
            self._task = None
            await self._dispose_private_engine()
            raise self._start_error or RuntimeError("the scheduler stopped while starting")

    async def resume(self) -> None:
        """Begin firing after ``start(paused=True)``; a no-op otherwise."""
        self._fire.set()

    async def _serve(self) -> None:
        """The scheduler's task: runs APScheduler under the supervisor, restarting it after failures."""
        _running.set(self)
        try:
            await self.supervisor.run(self._run_once, stopping=self._stopping, started=self._started)
        except Exception as exc:  # the first start failed: start() raises it
            while isinstance(exc, ExceptionGroup) and len(exc.exceptions) == 1:  # anyio's task groups
                exc = exc.exceptions[0]
            self._start_error = exc

    async def _run_once(self) -> None:
        """One run of APScheduler, on a new data store and event broker; returns when stopping.

        APScheduler's task group lives here, so it is entered and left in the scheduler's task.
        """
        assert self._engine is not None
        self._store, broker = open_store_on(self._engine, retry_s=self.store_retry_s)
        self._aps = AsyncScheduler(self._store, broker, identity=self.identity,
                                   cleanup_interval=timedelta(minutes=15),
                                   job_executors={"async": AsyncJobExecutor()}, logger=APSCHEDULER_LOG)
        async with self._aps:
            await self._aps.configure_task(TASK_ID, func=run_job, misfire_grace_time=None,
                                           max_running_jobs=None)
            if not self._fire.is_set():  # paused: the API works, nothing fires yet
                self._ready()
            await self._fire.wait()
            if not self._stopping.is_set():
                await self._aps.start_in_background()
                self._ready()
            await self._stopping.wait()

    def _ready(self) -> None:
        self.supervisor.set_state(State.READY)
        self._started.set()

    async def stop(self) -> None:
        """Stop taking due work, let running jobs finish (up to ``stop_grace_s``), then stop."""
        task, self._task = self._task, None
        if task is None:
            return
        if self._store is not None and self.state == State.READY:  # no new work; let a half-processed
            self._store.draining = True                               # schedule and running jobs finish
            for _ in range(int(self.stop_grace_s / 0.02)):  # polled: the store's flags have no event
                if not (self._store.busy or self.running_jobs):
                    break
                await asyncio.sleep(0.02)
        self._stopping.set()
        self._fire.set()
        # asyncio.wait raises neither the task's error (the hub reported it) nor its cancellation.
        done, _ = await asyncio.wait({task}, timeout=max(self.stop_grace_s, 5.0))
        if not done:
            task.cancel()
            await asyncio.wait({task})
        self._started.clear()
        self.supervisor.set_state(State.STOPPED)
        await self._dispose_private_engine()

    async def _dispose_private_engine(self) -> None:
        if self._private_engine is not None:
            await self._private_engine.dispose()
            self._private_engine = None

    @property
    def state(self) -> State:
        """``starting``, ``ready``, ``retrying`` (reconnecting to its database) or ``stopped``."""
        return self.supervisor.state

    def status(self) -> dict[str, Any]:
        """The scheduler's part of ``GET /api/v1/status``: running, state, since, last_error, restarts."""
        return {"running": self.running, **self.supervisor.status()}

    async def run(self, job_type: str, args: dict[str, Any]) -> None:
        """Run one fire of ``job_type``. Failures go to ``hub.report_error(exc, "job:<type>")``."""
        self.running_jobs += 1
        if self._store is not None:
            self._store.unstarted_jobs.discard(current_job.get().id)
        try:
            job = self.job_types.get(job_type)
            if job is None:
                raise LookupError(f"job type {job_type!r} is no longer registered; the schedule cannot run")
            result = job.func(self.hub, **job.validate_args(args))
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            self.hub.report_error(exc, f"job:{job_type}")
        finally:
            self.running_jobs -= 1

    # -- the API --------------------------------------------------------------------------------

    async def add(self, job_type: str, args: dict[str, Any] | None = None, *, at: datetime | None = None,
                  cron: str | None = None, interval_s: float | None = None,
                  schedule_id: str | None = None) -> str:
        """Schedule ``job_type`` with ``args``; return the schedule id. Raises ValueError on bad input.

        Exactly one of ``at`` (once; naive means the scheduler's time zone; past means now), ``cron``
        (5 fields, or 6 with seconds first) or ``interval_s`` (first run one interval from now).
        """
        added = await self.add_described(job_type, args, at=at, cron=cron, interval_s=interval_s,
                                         schedule_id=schedule_id)
        return str(added["id"])

    async def add_described(self, job_type: str, args: dict[str, Any] | None = None, *,
                            at: datetime | None = None, cron: str | None = None,
                            interval_s: float | None = None, schedule_id: str | None = None) -> dict[str, Any]:
        """Like :meth:`add`, returning the schedule as :meth:`list` shows it (for the HTTP API).

        ``next_fire_time`` is None when a one-off job for a past time has already fired.
        """
        aps = self._require_started()
        clean = self.validate(job_type, args)
        trigger, description = self.make_trigger(at=at, cron=cron, interval_s=interval_s)
        if schedule_id is not None:
            if not isinstance(schedule_id, str) or not SCHEDULE_ID.fullmatch(schedule_id):
                raise ValueError("id: use 1-128 letters, digits, '.', '_', ':' or '-' (starting with a "
                                 "letter or digit)")
            async with self.supervisor.database_call():
                existing = await aps.data_store.get_schedules({schedule_id})
            if existing and existing[0].next_fire_time is not None:
                raise ValueError(f"id: a schedule with id {schedule_id!r} already exists")
        async with self.supervisor.database_call():
            new_id = await aps.add_schedule(
                TASK_ID, trigger, id=schedule_id, kwargs={"job_type": job_type, "args": clean},
                coalesce=CoalescePolicy.latest, misfire_grace_time=None,
                conflict_policy=ConflictPolicy.replace, metadata={"job_type": job_type, "trigger": description})
        return await self.get(new_id) or {"id": new_id, "job_type": job_type, "args": clean,
                                          "trigger": description, "next_fire_time": None}

    def validate(self, job_type: str, args: dict[str, Any] | None) -> dict[str, Any]:
        """``args`` checked against the job type's model; ValueError naming the problem otherwise."""
        job = self.job_types.get(job_type)
        if job is None:
            known = ", ".join(sorted(self.job_types)) or "none"
            raise ValueError(f"job_type: unknown job type {job_type!r} (known: {known})")
        if args is not None and not isinstance(args, dict):
            raise ValueError("args: must be a JSON object")
        try:
            clean = job.validate_args(args or {})
            json.dumps(clean)
        except ValidationError as exc:
            raise ValueError("; ".join(format_validation_error(exc, "args"))) from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"args: not JSON-serializable ({exc})") from None
        return clean

    def make_trigger(self, *, at: datetime | None = None, cron: str | None = None,
                     interval_s: float | None = None) -> tuple[Trigger, str]:
        """The APScheduler trigger and a human description for exactly one of the three options."""
        given = [name for name, value in (("at", at), ("cron", cron), ("interval_s", interval_s))
                 if value is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of at, cron or interval_s"
                             + (f" (got {', '.join(given)})" if given else ""))
        now = datetime.now(UTC)
        if at is not None:
            if not isinstance(at, datetime):
                raise ValueError("at: must be a datetime")
            when = at if at.tzinfo is not None else at.replace(tzinfo=self.timezone)
            return DateTrigger(when), f"once at {when.isoformat()}"
        if cron is not None:
            fields = cron.split() if isinstance(cron, str) else []
            if len(fields) not in (5, 6):
                raise ValueError("cron: expected 5 fields (minute hour day month day-of-week) or 6 "
                                 "(second first)")
            names = _CRON_FIELDS[6 - len(fields):]
            try:
                trigger = CronTrigger(**dict(zip(names, fields, strict=True)), start_time=now,
                                      timezone=self.timezone)
                first = trigger.next()
            except (ValueError, IndexError, OverflowError) as exc:  # IndexError: a day of week above 7
                raise ValueError(f"cron: not a valid expression ({type(exc).__name__}: {exc})") from None
            if first is None:
                raise ValueError("cron: never fires (no date matches it, e.g. February 31st)")
            trigger = CronTrigger(**dict(zip(names, fields, strict=True)), start_time=now,
                                  timezone=self.timezone)  # a fresh one: next() advanced the first
            return trigger, f"cron {' '.join(fields)} ({self.timezone.key})"
        if isinstance(interval_s, bool) or not isinstance(interval_s, (int, float)) \
                or not MIN_INTERVAL_S <= interval_s <= 366 * 86400:
            raise ValueError(f"interval_s: must be a number of seconds from {MIN_INTERVAL_S:g} to a year")
        return (IntervalTrigger(seconds=interval_s, start_time=now + timedelta(seconds=interval_s)),
                f"every {interval_s:g} s")

    async def remove(self, schedule_id: str) -> bool:
        """Remove a schedule; False if there was no pending schedule with that id."""
        aps = self._require_started()
        async with self.supervisor.database_call():
            found = await aps.data_store.get_schedules({schedule_id})
            if not found:
                return False
            await aps.remove_schedule(schedule_id)
        return found[0].next_fire_time is not None

    async def get(self, schedule_id: str) -> dict[str, Any] | None:
        """One pending schedule as :meth:`list` shows it, or None."""
        aps = self._require_started()
        async with self.supervisor.database_call():
            found = await aps.data_store.get_schedules({schedule_id})
        described = [_describe(s) for s in found if s.task_id == TASK_ID and s.next_fire_time is not None]
        return described[0] if described else None

    async def list(self) -> list[dict[str, Any]]:
        """Pending schedules (finished one-offs excluded), soonest first."""
        aps = self._require_started()
        async with self.supervisor.database_call():
            schedules = await aps.get_schedules()
        pending = [s for s in schedules if s.task_id == TASK_ID and s.next_fire_time is not None]
        return [_describe(s) for s in sorted(pending, key=lambda s: s.next_fire_time)]

    @property
    def running(self) -> bool:
        """True while the scheduler can serve: started (paused or not), not stopped and not retrying."""
        return (self._started.is_set() and self._task is not None and not self._task.done()
                and self.state == State.READY)

    def _require_started(self) -> AsyncScheduler:
        """The running APScheduler; :class:`SchedulerUnavailable` (HTTP 503) when stopped or retrying."""
        if not self.running or self._aps is None:
            raise self.supervisor.unavailable()
        return self._aps


def _describe(schedule: Any) -> dict[str, Any]:
    return {
        "id": schedule.id,
        "job_type": schedule.kwargs.get("job_type"),
        "args": schedule.kwargs.get("args", {}),
        "trigger": schedule.metadata.get("trigger") or repr(schedule.trigger),
        "next_fire_time": schedule.next_fire_time.astimezone(UTC).isoformat(),
    }
