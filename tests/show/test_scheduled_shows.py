"""Scheduled shows on a real scheduler and a SQLite file: they start and stop at their times, once, also
when the hub restarts in between (before the start, or in the middle of the show)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub.storage.tables import broadcasts
from hub.testing import wait_for
from plugins.show_runner.jobs import stop_show_job
from plugins.show_runner.service import show_service

from .conftest import show_hub

ROOM = "main"
SHOW = """
name = "evening"
room = "main"
round_gap_s = 1
[[segments]]
sku = "TEA-001"
minutes = 5
lines = ["晚上好。"]
"""
DURATION_MIN = 0.1  # 6 s


@pytest.fixture
def shows(tmp_path: Path) -> Path:
    (tmp_path / "shows").mkdir()
    (tmp_path / "shows" / "evening.toml").write_text(SHOW, encoding="utf-8")
    return tmp_path


async def show_actions(hub: Any) -> list[dict[str, Any]]:
    return [e for e in reversed(await hub.storage.recent_audit(500)) if e["action"].startswith("show_")]


async def rows(hub: Any) -> list[Any]:
    async with hub.storage.engine.connect() as conn:
        return list(await conn.execute(sa.select(broadcasts).order_by(broadcasts.c.id)))


async def schedule_start(hub: Any, seconds_from_now: float) -> datetime:
    at = datetime.now(UTC) + timedelta(seconds=seconds_from_now)
    await hub.scheduler.add("show.start", {"show": "evening", "room": ROOM, "duration_min": DURATION_MIN}, at=at)
    return at


async def test_a_scheduled_show_starts_and_stops_at_its_times(shows: Path) -> None:
    async with show_hub(shows, scheduler=True) as hub:
        with pytest.raises(ValueError, match="duration_min"):
            await hub.scheduler.add("show.start", {"show": "evening", "duration_min": -1}, at=datetime.now(UTC))
        at = await schedule_start(hub, 2)
        assert [s["job_type"] for s in await hub.scheduler.list()] == ["show.start"]
        live = await wait_for(lambda: show_service(hub).rooms.get(ROOM), timeout=15)
        started = time.time()
        assert started >= at.timestamp() - 0.05
        stop_job = await wait_for(lambda: _stop_schedule(hub))
        assert stop_job["args"] == {"room": ROOM, "broadcast": live.broadcast}
        await wait_for(lambda: ROOM not in show_service(hub).rooms, timeout=30)
        assert time.time() - started >= DURATION_MIN * 60 - 0.5
        events = await show_actions(hub)
        assert [(e["actor"], e["action"]) for e in events] == [("scheduler", "show_start"), ("show", "show_stop")]
        (row,) = await rows(hub)
        assert row.status == "ended" and row.title == "evening"
        assert row.ended_ts - row.started_ts == pytest.approx(DURATION_MIN * 60, abs=1.5)
        await wait_for(lambda: _no_schedules(hub))  # the stop job was removed (or fired and found nothing)


async def test_a_show_scheduled_before_a_restart_starts_and_stops_once_after_it(shows: Path) -> None:
    async with show_hub(shows, scheduler=True) as hub:
        at = await schedule_start(hub, 2)
    assert datetime.now(UTC) < at  # the first hub stopped before the start
    async with show_hub(shows, scheduler=True) as hub:
        await wait_for(lambda: show_service(hub).rooms.get(ROOM), timeout=15)
        assert time.time() >= at.timestamp() - 0.05
        await wait_for(lambda: ROOM not in show_service(hub).rooms, timeout=30)
        await wait_for(lambda: _no_schedules(hub))
        events = await show_actions(hub)
        assert [e["action"] for e in events] == ["show_start", "show_stop"]
        assert [r.status for r in await rows(hub)] == ["ended"]


async def test_a_show_running_when_the_hub_restarts_resumes_and_stops_at_its_end_once(shows: Path) -> None:
    async with show_hub(shows, scheduler=True) as hub:
        await schedule_start(hub, 0.5)
        live = await wait_for(lambda: show_service(hub).rooms.get(ROOM), timeout=15)
        await wait_for(lambda: any(line.kind == "pitch" for line in live.bridge.history), timeout=15)
        (row,) = await rows(hub)
        ends = row.data["ends_ts"]
    assert time.time() < ends  # the hub went down in the middle of the show
    async with show_hub(shows, scheduler=True) as hub:
        live = show_service(hub).rooms.get(ROOM)
        assert live is not None and live.run is not None and live.run.rundown.name == "evening"
        assert live.run.remaining_s() <= ends - time.time() + 0.5
        await wait_for(lambda: ROOM not in show_service(hub).rooms, timeout=30)
        assert time.time() >= ends - 0.5
        await wait_for(lambda: _no_schedules(hub))
        events = await show_actions(hub)
        assert [(e["actor"], e["action"]) for e in events] == [
            ("scheduler", "show_start"), ("hub", "show_restore"), ("show", "show_stop")]
        (row,) = await rows(hub)
        assert row.status == "ended" and row.data["end_reason"] == "end"


async def test_show_stop_jobs_stop_only_their_own_broadcast(shows: Path) -> None:
    async with show_hub(shows, scheduler=True) as hub:
        service = show_service(hub)
        live = await service.start_show(ROOM, "evening")
        first = live.broadcast
        await service.stop_show(ROOM)
        live = await service.start_show(ROOM, "evening")
        await stop_show_job(hub, ROOM, broadcast=first)
        assert live.run is not None  # an old show's stop does not stop the new one
        await stop_show_job(hub, ROOM)
        assert ROOM not in service.rooms


async def _stop_schedule(hub: Any) -> dict[str, Any] | None:
    return next((s for s in await hub.scheduler.list() if s["job_type"] == "show.stop"), None)


async def _no_schedules(hub: Any) -> bool:
    return not await hub.scheduler.list()


async def test_livehub_schedule_add_show_schedules_a_show_through_the_api(shows: Path) -> None:
    from click.testing import CliRunner

    from hub.builtin.schedule_api import schedule as schedule_command

    from .conftest import TOKEN

    runner = CliRunner()

    async def livehub_schedule(*args: str) -> Any:
        return await asyncio.to_thread(runner.invoke, schedule_command, [*args, "--url", hub.web.url],
                                       env={"LIVEHUB_API_TOKEN": TOKEN})

    async with show_hub(shows, scheduler=True, web=True) as hub:
        at = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        added = await livehub_schedule("add", "--show", "evening", "--room", ROOM, "--at", at, "--duration", "45",
                                       "--id", "tonight")
        assert added.exit_code == 0, added.output
        assert added.output.startswith("tonight  show.start  next ")
        (listed,) = await hub.scheduler.list()
        assert listed["args"] == {"show": "evening", "room": ROOM, "duration_min": 45.0}
        cron = await livehub_schedule("add", "--show", "evening", "--cron", "0 20 * * 5")
        assert cron.exit_code == 0, cron.output
        assert [s["args"] for s in await hub.scheduler.list()][-1] == {"show": "evening", "room": None,
                                                                       "duration_min": None}
        wrong = await livehub_schedule("add", "audit.note", "--show", "evening", "--every", "60")
        assert wrong.exit_code == 2 and "--show schedules the job type show.start" in wrong.output
        stray = await livehub_schedule("add", "audit.note", "--room", ROOM, "--every", "60")
        assert stray.exit_code == 2 and "--room and --duration go with --show" in stray.output
        bad = await livehub_schedule("add", "--show", "evening", "--duration", "-5", "--every", "60")
        assert bad.exit_code == 1 and "duration_min" in bad.output


async def test_a_scheduled_start_replaces_the_running_show_and_keeps_the_room_on_air(shows: Path) -> None:
    from plugins.show_runner.jobs import start_show_job

    async with show_hub(shows, scheduler=True) as hub:
        service = show_service(hub)
        live = await service.start_show(ROOM, "evening")
        timeline, first = live.timeline, live.broadcast
        await start_show_job(hub, "evening", ROOM, duration_min=1)
        assert service.rooms[ROOM].timeline is timeline and timeline.running  # the stream never stopped
        assert service.rooms[ROOM].broadcast != first and service.rooms[ROOM].run is not None
        stop = next(e for e in await show_actions(hub) if e["action"] == "show_stop")
        assert stop["actor"] == "scheduler" and stop["detail"]["reason"] == "replaced by evening"
        assert [r.status for r in await rows(hub)] == ["ended", "live"]


async def test_a_resumed_show_goes_on_with_the_segment_its_schedule_says_not_from_the_start(shows: Path) -> None:
    (shows / "shows" / "two.toml").write_text("""
name = "two"
room = "main"
round_gap_s = 1
[[segments]]
sku = "TEA-001"
minutes = 1
[[segments]]
sku = "SCARF-003"
minutes = 1
[[segments]]
sku = "TEA-001"
minutes = 1
""", encoding="utf-8")
    async with show_hub(shows) as hub:
        live = await show_service(hub).start_show(ROOM, "two")
        assert live.run.segment_index in (-1, 0)
        async with hub.storage.engine.begin() as conn:  # as if it had begun 80 s ago, in another process
            await conn.execute(broadcasts.update().values(started_ts=time.time() - 80, data={
                "show": "two", "ends_ts": time.time() + 100, "actor": "operator"}))
    async with show_hub(shows) as hub:
        live = show_service(hub).rooms.get(ROOM)
        await wait_for(lambda: live.run is not None and live.run.segment_index >= 0, timeout=10)
        assert live.run.segment_index == 1 and live.run.segment.sku == "SCARF-003"  # 80 s in: the second
        left = live.run.segment_ends - live.run.clock.now()
        assert 35 <= left <= 41  # of its 60 s, about 40 are left
        assert 95 <= live.run.remaining_s() <= 101  # and of the show's 180 s, about 100
