"""The scheduler's API: jobs stored as job-type name + JSON args, firing once or repeatedly, checked."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, text

from tests.scheduler.helpers import idle, soon, wait_for


async def test_a_job_scheduled_ahead_fires_exactly_once(make_scheduler):
    fires = []
    scheduler = await make_scheduler(fires)
    schedule_id = await scheduler.add("record", {"label": "once"}, at=soon(1.5))
    assert [s["id"] for s in await scheduler.list()] == [schedule_id]
    assert fires == []
    await wait_for(lambda: fires)
    await idle(1.0)
    assert fires == [("once", 1)]
    assert await scheduler.list() == []


async def test_a_time_in_the_past_fires_at_once(make_scheduler):
    fires = []
    scheduler = await make_scheduler(fires)
    await scheduler.add("record", {"label": "late"}, at=datetime.now(UTC) - timedelta(hours=1))
    await wait_for(lambda: fires, timeout=5)
    await idle(1)
    assert fires == [("late", 1)]


async def test_an_interval_job_fires_repeatedly_until_removed(make_scheduler):
    fires = []
    scheduler = await make_scheduler(fires)
    schedule_id = await scheduler.add("free", {"n": 1}, interval_s=0.3)
    await wait_for(lambda: len(fires) >= 3)
    assert all(f == ("free", {"n": 1}) for f in fires)
    assert await scheduler.remove(schedule_id) is True
    assert await scheduler.list() == []
    await idle(0.5)  # a fire already under way when removed may still finish
    count = len(fires)
    await idle(1.5)  # five intervals
    assert len(fires) == count
    assert await scheduler.remove(schedule_id) is False


async def test_a_cron_job_with_seconds_fires_repeatedly(make_scheduler):
    fires = []
    scheduler = await make_scheduler(fires)
    await scheduler.add("record", {"label": "tick"}, cron="* * * * * *")
    [entry] = await scheduler.list()
    assert entry["trigger"] == "cron * * * * * * (UTC)"
    await wait_for(lambda: len(fires) >= 2, timeout=10)
    assert set(fires) == {("tick", 1)}


async def test_list_describes_each_pending_schedule(make_scheduler):
    scheduler = await make_scheduler([])
    at = datetime(2999, 1, 2, 3, 4, 5, tzinfo=UTC)
    await scheduler.add("record", {"label": "x"}, at=at, schedule_id="far")
    await scheduler.add("record", {"label": "y"}, cron="0 9 * * mon", schedule_id="weekly")
    await scheduler.add("free", None, interval_s=3600, schedule_id="hourly")
    listed = {s["id"]: s for s in await scheduler.list()}
    assert listed["far"] == {"id": "far", "job_type": "record", "args": {"label": "x", "times": 1},
                             "trigger": "once at 2999-01-02T03:04:05+00:00",
                             "next_fire_time": "2999-01-02T03:04:05+00:00"}
    assert listed["weekly"]["trigger"] == "cron 0 9 * * mon (UTC)"
    weekly = datetime.fromisoformat(listed["weekly"]["next_fire_time"])
    assert (weekly.weekday(), weekly.hour, weekly.minute) == (0, 9, 0)
    assert listed["hourly"]["trigger"] == "every 3600 s"
    assert await scheduler.get("far") == listed["far"]
    assert await scheduler.get("nope") is None
    assert [s["id"] for s in await scheduler.list()][-1] == "far"  # soonest first


async def test_naive_times_are_in_the_configured_time_zone(make_scheduler):
    scheduler = await make_scheduler([], timezone_name="Asia/Shanghai")
    await scheduler.add("record", {"label": "x"}, at=datetime(2999, 1, 1, 8, 0), schedule_id="cn")
    assert (await scheduler.get("cn"))["next_fire_time"] == "2999-01-01T00:00:00+00:00"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"job_type": "nope", "args": {}, "interval_s": 5}, "unknown job type 'nope' (known: boom, free, record)"),
    ({"job_type": "record", "args": {}, "interval_s": 5}, "args.label: Field required"),
    ({"job_type": "record", "args": {"label": "x", "extra": 1}, "interval_s": 5}, "args.extra: unknown key"),
    ({"job_type": "record", "args": {"label": "x", "times": "many"}, "interval_s": 5}, "args.times"),
    ({"job_type": "record", "args": ["x"], "interval_s": 5}, "args: must be a JSON object"),
    ({"job_type": "free", "args": {"when": datetime.now()}, "interval_s": 5}, "not JSON-serializable"),
    ({"job_type": "free"}, "give exactly one of at, cron or interval_s"),
    ({"job_type": "free", "interval_s": 5, "cron": "* * * * *"}, "(got cron, interval_s)"),
    ({"job_type": "free", "interval_s": 0}, "interval_s: must be a number of seconds from 0.1"),
    ({"job_type": "free", "interval_s": True}, "interval_s: must be a number"),
    ({"job_type": "free", "cron": "* * *"}, "cron: expected 5 fields"),
    ({"job_type": "free", "cron": "99 * * * *"}, "cron: "),
    ({"job_type": "free", "interval_s": 5, "schedule_id": "no spaces"}, "id: use 1-128 letters"),
])
async def test_bad_schedules_are_rejected_with_a_clear_message(make_scheduler, kwargs, message):
    scheduler = await make_scheduler([])
    kwargs = dict(kwargs)  # the same dict serves the sqlite and the postgres run
    job_type, args = kwargs.pop("job_type"), kwargs.pop("args", None)
    with pytest.raises(ValueError) as caught:
        await scheduler.add(job_type, args, **kwargs)
    assert message in str(caught.value)
    assert await scheduler.list() == []


async def test_an_id_in_use_is_rejected_but_a_finished_one_can_be_reused(make_scheduler):
    fires = []
    scheduler = await make_scheduler(fires)
    await scheduler.add("record", {"label": "a"}, interval_s=3600, schedule_id="dup")
    with pytest.raises(ValueError, match="already exists"):
        await scheduler.add("record", {"label": "b"}, interval_s=3600, schedule_id="dup")
    await scheduler.add("record", {"label": "c"}, at=soon(0), schedule_id="again")
    await wait_for(lambda: fires)
    await wait_for(lambda: scheduler._aps.data_store.holding_schedules is False)
    assert await scheduler.add("record", {"label": "d"}, at=soon(0), schedule_id="again") == "again"
    await wait_for(lambda: len(fires) == 2)
    assert fires == [("c", 1), ("d", 1)]


async def test_a_failing_job_is_reported_and_the_scheduler_goes_on(make_scheduler):
    fires = []
    scheduler = await make_scheduler(fires)
    await scheduler.add("boom", {}, at=soon(0))
    await wait_for(lambda: scheduler.hub.caught.errors)
    [(where, error)] = scheduler.hub.caught.errors
    assert where == "job:boom" and str(error) == "the job failed on purpose"
    await scheduler.add("record", {"label": "after"}, at=soon(0))
    await wait_for(lambda: fires)
    assert fires == [("after", 1)]


async def test_schedules_are_plain_json_in_prefixed_tables(make_scheduler):
    scheduler = await make_scheduler([])
    await scheduler.add("record", {"label": "数据"}, interval_s=60, schedule_id="json")
    engine = scheduler.hub.storage.engine
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        row = (await conn.execute(text("SELECT kwargs, trigger FROM apscheduler_schedules "
                                       "WHERE id = 'json'"))).one()
    assert {"apscheduler_schedules", "apscheduler_jobs", "apscheduler_tasks"} <= set(names)
    assert not {"jobs", "tasks", "metadata", "job_results"} & set(names)
    assert json.loads(bytes(row.kwargs)) == {"job_type": "record", "args": {"label": "数据", "times": 1}}
    assert json.loads(bytes(row.trigger))["__livehub_trigger__"] == "IntervalTrigger"


async def test_an_in_memory_hub_database_works(make_memory_scheduler):
    """A ``:memory:`` hub (tests, demos) has one shared connection; the scheduler must not break it."""
    fires = []
    scheduler = await make_memory_scheduler(fires)
    for n in range(20):
        await scheduler.add("record", {"label": f"m{n}"}, at=soon(n * 0.05))
    await scheduler.add("free", {}, interval_s=0.1, schedule_id="tick")
    await wait_for(lambda: len([f for f in fires if f[0] != "free"]) == 20)
    await wait_for(lambda: len([f for f in fires if f[0] == "free"]) >= 3)
    assert [s["id"] for s in await scheduler.list()] == ["tick"]
    assert not scheduler.hub.caught.errors
