"""Campaigns that run before shows: ``before_show: {hours, room?}`` puts a one-off ``campaign.run`` on the
scheduler ``hours`` before each scheduled ``show.start`` (of that room, or any).

An owned task looks at the scheduler's schedules every ``plan_interval_s`` (and when a campaign is saved):
for each upcoming show start it adds the campaign's run at the start time less ``hours``, with an id made of
the campaign, the show's schedule and the start time, so planning again adds nothing twice (a plan that ran
is known by its run's trigger, ``before_show:<id>``); a run whose time has passed while the show has not
started yet is added for now. The runs are ordinary
persisted schedules: they fire on the scheduler's clock, after a restart too.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from plugins.campaigns import store
from plugins.campaigns.model import Campaign

log = logging.getLogger("livehub.campaigns")


def run_id_for(campaign: str, show_schedule: str, start: datetime) -> str:
    digest = hashlib.sha256(f"{campaign}|{show_schedule}|{start.isoformat()}".encode()).hexdigest()[:20]
    return f"campaign-before-show.{digest}"


class CampaignPlanner:
    def __init__(self, hub: Any, interval_s: float) -> None:
        self.hub, self.interval_s = hub, interval_s
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.planned = 0

    def start(self) -> None:
        if self.hub.scheduler is not None:
            self._task = self.hub.create_task(self._loop(), name="campaigns:before-show")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                await self.plan()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the scheduler is away: planned on the next round
                log.warning("campaigns: shows not looked at: %s", exc)
            self._wake.clear()
            try:
                async with asyncio.timeout(self.interval_s):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def plan(self) -> int:
        """Add the runs of every before-show campaign for every upcoming show start; how many were added."""
        scheduler = self.hub.scheduler
        if scheduler is None or not scheduler.running:
            return 0
        campaigns = [(row["name"], Campaign.model_validate(row["definition"]))
                     for row in await store.listed(self.hub.storage)]
        campaigns = [(name, c) for name, c in campaigns if c.before_show is not None]
        if not campaigns:
            return 0
        schedules = await scheduler.list()
        existing = {s["id"] for s in schedules}
        shows = [s for s in schedules if s["job_type"] == "show.start"]
        now = datetime.now(UTC)
        added = 0
        for name, campaign in campaigns:
            rule = campaign.before_show
            assert rule is not None
            ran = {t.split(":", 1)[1] for t in await store.triggers(self.hub.storage, name)
                   if t.startswith("before_show:")}
            for show in shows:
                if rule.room is not None and show["args"].get("room") not in (None, rule.room):
                    continue
                start = datetime.fromisoformat(show["next_fire_time"])
                schedule_id = run_id_for(name, show["id"], start)
                if schedule_id in existing or schedule_id in ran:
                    continue  # planned, or planned and run already
                at = max(start - timedelta(hours=rule.hours), now)
                await scheduler.add("campaign.run", {"campaign": name, "plan": schedule_id}, at=at,
                                    schedule_id=schedule_id)
                existing.add(schedule_id)
                added += 1
                log.info("campaigns: %s runs at %s, %g h before show %s", name, at.isoformat(), rule.hours,
                         show["args"].get("show"))
        self.planned += added
        return added
