"""Scheduled shows: the job types ``show.start`` and ``show.stop``.

* ``show.start`` ``{show, room?, duration_min?}`` — start ``show`` on ``room`` (default: the rundown's room)
  for ``duration_min`` minutes (default: one pass of the rundown; a looping rundown runs until stopped).
  The room is put on air with its configured outputs. A show already running on the room is replaced:
  a schedule is the operator's plan. The stop at the end time is itself a persisted ``show.stop`` job.
* ``show.stop`` ``{room, broadcast?}`` — stop the room's show (only that broadcast's, when given: the
  stop a show schedules for itself never stops a later show).

Schedules persist in the scheduler's store. A start that fired while the show is still in its window
when the hub restarts is resumed by the service (the ``broadcasts`` table), not by firing again.
A one-off start missed while the hub was down fires once at the next start (see :mod:`hub.scheduler`)
and runs its full duration from then.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.scheduler_supervisor import SchedulerUnavailable
from hub.specs import JobType
from plugins.show_runner.rundown import NAME_PATTERN

log = logging.getLogger("livehub.show")

SERVICE_WAIT_S = 30.0
STOP_GRACE_S = 2.0
"""The persisted stop fires this long after a show's end time: normally the show has ended by itself
(and removed the job); the job stops it when it could not (the hub was down at the end time)."""


class StartArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    show: str = Field(pattern=NAME_PATTERN)
    room: str | None = Field(None, min_length=1)
    duration_min: float | None = Field(None, gt=0, le=7 * 24 * 60)


class StopArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    room: str = Field(min_length=1)
    broadcast: int | None = None


async def wait_for_service(hub: Any) -> Any:
    """The hub's show service; a job that fires while the hub is still starting waits for it."""
    from plugins.show_runner.service import show_service

    loop = asyncio.get_running_loop()
    deadline = loop.time() + SERVICE_WAIT_S
    while (service := show_service(hub)) is None:
        if loop.time() > deadline:
            raise RuntimeError("the show runner is not running (is the plugin disabled?)")
        await asyncio.sleep(0.05)
    return service


async def start_show_job(hub: Any, show: str, room: str | None = None,
                         duration_min: float | None = None) -> None:
    service = await wait_for_service(hub)
    await service.start_show(room, show, duration_min=duration_min, actor="scheduler", replace=True)


async def stop_show_job(hub: Any, room: str, broadcast: int | None = None) -> None:
    service = await wait_for_service(hub)
    if not await service.stop_show(room, actor="scheduler", reason="scheduled stop", broadcast=broadcast):
        log.info("scheduled stop of room %s: no show to stop", room)


async def schedule_stop(hub: Any, room: str, broadcast: int | None, ends_ts: float | None) -> None:
    """Persist the stop of broadcast ``broadcast`` (``show.stop``, id ``show-stop-<broadcast>``)."""
    scheduler = hub.scheduler
    if scheduler is None or broadcast is None or ends_ts is None:
        return
    if not scheduler.running:  # reconnecting to its database: the show's own timer still stops it
        log.warning("the stop of room %s is not stored (the scheduler is %s): the show stops on time, but "
                    "not after a restart of the hub", room, getattr(scheduler, "state", "not running"))
        return
    at = datetime.fromtimestamp(ends_ts + STOP_GRACE_S, UTC)
    try:
        await scheduler.add("show.stop", {"room": room, "broadcast": broadcast}, at=at,
                            schedule_id=f"show-stop-{broadcast}")
    except (ValueError, SchedulerUnavailable) as exc:
        log.warning("could not schedule the stop of room %s: %s", room, exc)


async def unschedule_stop(hub: Any, broadcast: int | None) -> None:
    """Remove the persisted stop of a broadcast that ended (best effort)."""
    scheduler = hub.scheduler
    if scheduler is None or not scheduler.running or broadcast is None:
        return
    try:
        await scheduler.remove(f"show-stop-{broadcast}")
    except Exception as exc:  # the job itself is running right now, or the store is gone
        log.debug("show-stop-%s not removed: %s", broadcast, exc)


JOB_TYPES = [
    JobType("show.start", start_show_job, args_model=StartArgs,
            description="Start a show on a room (its outputs too) for duration_min minutes"),
    JobType("show.stop", stop_show_job, args_model=StopArgs, description="Stop the show running on a room"),
]
