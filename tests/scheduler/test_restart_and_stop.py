"""The scheduler across restarts and stops: missed jobs fire once, nothing is lost or run twice."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from tests.scheduler.helpers import idle, no_new_tasks, soon, wait_for


async def test_a_job_due_while_the_hub_was_down_fires_once_after_restart(make_scheduler):
    fires = []
    first = await make_scheduler(fires)
    due = soon(1.5)
    await first.add("record", {"label": "missed", "times": 2}, at=due, schedule_id="restart-me")
    await first.stop()
    await asyncio.sleep((due - datetime.now(UTC)).total_seconds() + 0.5)  # the hub is down at fire time
    assert fires == []

    second = await make_scheduler(fires)  # a new hub, a new engine, the same database
    await wait_for(lambda: fires)
    await idle(1.0)
    assert fires == [("missed", 2)]
    assert await second.list() == []


async def test_a_job_scheduled_before_a_restart_fires_once_on_the_new_scheduler(make_scheduler):
    fires = []
    first = await make_scheduler(fires)
    await first.add("record", {"label": "later"}, at=soon(2.5))
    await first.stop()
    second = await make_scheduler(fires)
    assert [s["job_type"] for s in await second.list()] == ["record"]
    await wait_for(lambda: fires)
    await idle(1.0)
    assert fires == [("later", 1)]


async def test_a_job_type_gone_after_a_restart_is_reported_not_crashing(make_scheduler):
    fires = []
    first = await make_scheduler(fires)
    await first.add("record", {"label": "orphan"}, at=soon(1))
    await first.stop()
    second = await make_scheduler(fires)
    del second.job_types["record"]
    await wait_for(lambda: second.hub.caught.errors)
    [(where, error)] = second.hub.caught.errors
    assert where == "job:record" and "no longer registered" in str(error)
    assert fires == []


async def test_stop_is_clean_and_leaves_no_task(make_scheduler):
    with no_new_tasks():
        scheduler = await make_scheduler([])
        await scheduler.add("free", {}, interval_s=0.2)
        await asyncio.sleep(0.5)
        begun = time.monotonic()
        await scheduler.stop()
        assert time.monotonic() - begun < 5
        assert "scheduler" not in scheduler.hub._tasks
        await scheduler.stop()  # twice is fine
    with pytest.raises(RuntimeError, match="not running"):
        await scheduler.list()


async def test_stop_lets_a_running_job_finish(make_scheduler):
    fires = []
    scheduler = await make_scheduler(fires)
    gate = asyncio.Event()

    async def slow(hub, **args):
        fires.append("started")
        await gate.wait()
        fires.append("finished")

    scheduler.job_types["free"] = scheduler.job_types["free"].__class__("free", slow)
    await scheduler.add("free", {}, at=soon(0))
    await wait_for(lambda: fires == ["started"])
    stopping = asyncio.ensure_future(scheduler.stop())
    await asyncio.sleep(0.1)
    assert not stopping.done()
    gate.set()
    await asyncio.wait_for(stopping, 10)
    assert fires == ["started", "finished"]


async def test_two_schedulers_on_one_database_run_each_job_once(make_scheduler, db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("APScheduler does not support sharing a SQLite store between schedulers")
    fires = []
    one, two = await make_scheduler(fires), await make_scheduler(fires)
    due = soon(1)
    for n in range(10):
        await (one if n % 2 else two).add("record", {"label": f"job{n}"}, at=due)
    await wait_for(lambda: len(fires) >= 10)
    await idle(1.0)
    assert sorted(fires) == sorted((f"job{n}", 1) for n in range(10))


async def test_stopping_while_a_due_schedule_is_processed_neither_loses_nor_repeats_it(make_scheduler,
                                                                                       monkeypatch):
    """Stop lands between "job queued" and "schedule released": the fire must happen once, later."""
    fires = []
    first = await make_scheduler(fires)
    store_class = type(first._store)
    queueing, gate = asyncio.Event(), asyncio.Event()
    original = store_class.add_job

    async def slow_add_job(self, job):
        queueing.set()
        await gate.wait()
        await original(self, job)

    monkeypatch.setattr(store_class, "add_job", slow_add_job)
    await first.add("record", {"label": "edge"}, at=soon(0))
    await asyncio.wait_for(queueing.wait(), 10)
    stopping = asyncio.ensure_future(first.stop())
    await asyncio.sleep(0.2)
    assert not stopping.done(), "stop must wait for the schedule being processed"
    gate.set()
    await asyncio.wait_for(stopping, 10)
    monkeypatch.undo()
    assert fires == []  # queued while stopping: left for the next start, not run half-way
    second = await make_scheduler(fires)
    await wait_for(lambda: fires)
    await idle(1.0)
    assert fires == [("edge", 1)]
    assert await second.list() == []


async def test_a_store_of_a_newer_version_fails_start_and_leaves_nothing(db_url):
    """A database written by a newer APScheduler: start fails with the reason, leaving no task behind."""
    from types import SimpleNamespace

    from sqlalchemy import text

    from hub.app import Hub
    from hub.config import load_config
    from hub.scheduler import Scheduler
    from hub.storage.db import create_engine

    engine = create_engine(db_url)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE apscheduler_metadata (schema_version INTEGER NOT NULL)"))
        await conn.execute(text("INSERT INTO apscheduler_metadata VALUES (99)"))
    hub = Hub(load_config(data={}, env=False), builtins=(), autoload=False)
    hub.storage = SimpleNamespace(engine=engine)
    scheduler = Scheduler(hub, {})
    try:
        with no_new_tasks(), pytest.raises(RuntimeError, match="Unexpected schema version"):
            await scheduler.start()
        assert hub._tasks == {} and not scheduler.running
        await scheduler.stop()  # nothing to stop: fine
    finally:
        await engine.dispose()


async def test_a_paused_start_holds_missed_jobs_until_resume(make_scheduler):
    """The hub can start plugins (owners of job types) between ``start(paused=True)`` and ``resume``."""
    fires = []
    first = await make_scheduler(fires)
    await first.add("record", {"label": "held"}, at=soon(0.2))
    await first.stop()
    await asyncio.sleep(0.5)
    second = await make_scheduler(fires, paused=True)
    await second.add("record", {"label": "also held"}, at=soon(0))
    assert sorted(s["job_type"] for s in await second.list()) == ["record", "record"]
    await idle(1.0)
    assert fires == []
    await second.resume()
    await wait_for(lambda: len(fires) >= 2)
    await idle(1.0)
    assert sorted(fires) == [("also held", 1), ("held", 1)]


async def test_a_scheduler_stopped_while_paused_stops_cleanly(make_scheduler):
    with no_new_tasks():
        scheduler = await make_scheduler([], paused=True)
        await scheduler.add("free", {}, interval_s=60)
        await scheduler.stop()
        assert "scheduler" not in scheduler.hub._tasks


@pytest.mark.parametrize("step", ["acquire_schedules", "acquire_jobs"])
async def test_stopping_during_a_database_step_neither_loses_nor_repeats_a_fire(make_scheduler, monkeypatch,
                                                                                 step):
    """Stop lands while due work is being taken from the database: it must still fire once, soon."""
    from apscheduler.datastores.sqlalchemy import SQLAlchemyDataStore

    fires = []
    first = await make_scheduler(fires)
    inside, gate = asyncio.Event(), asyncio.Event()
    original = getattr(SQLAlchemyDataStore, step)

    async def slow_step(self, *args, **kwargs):
        taken = await original(self, *args, **kwargs)
        if taken:  # the database says "yours" and the answer is still on its way back
            inside.set()
            await gate.wait()
        return taken

    monkeypatch.setattr(SQLAlchemyDataStore, step, slow_step)
    await first.add("record", {"label": step}, at=soon(0))
    await asyncio.wait_for(inside.wait(), 10)
    stopping = asyncio.ensure_future(first.stop())
    await asyncio.sleep(0.2)
    gate.set()
    await asyncio.wait_for(stopping, 10)
    monkeypatch.undo()
    await make_scheduler(fires)  # within APScheduler's 30 s lease: only a clean hand-over fires it now
    await wait_for(lambda: fires, timeout=10)
    await idle(1.0)
    assert fires == [(step, 1)]
