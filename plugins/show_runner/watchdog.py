"""The watchdog: every few seconds, restart what stopped that should be running.

* **Rooms**: a timeline someone else started gets a room bridge (its voice replies are spoken); a room
  whose timeline stopped is forgotten (this runs even with ``watchdog = false``).
* **Outputs** of every room on air: one in state ``failed`` (an error retrying cannot fix) or
  ``stopped`` (its task ended, e.g. killed) while the room's timeline still runs is started again on the
  timeline. Outputs retry network trouble themselves (``retrying``); those are left alone.
* **Connectors**: one in state ``stopped`` while the hub is running (its supervisor task ended) is
  supervised again. ``auth_failed`` is left alone: new credentials need a reconfigured hub.

Each restart is counted (``livehub_watchdog_restarts_total{kind,name}``) and audited (actor
``watchdog``). It is logged once per failure streak: the first restart warns, later ones of the same
streak are debug lines, and a thing that keeps failing is retried less and less often (the wait
doubles up to ``watchdog_max_delay_s``). Nothing is restarted while the hub is stopping.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter

if TYPE_CHECKING:
    from plugins.show_runner.service import ShowService

log = logging.getLogger("livehub.show.watchdog")

DEAD_OUTPUT_STATES = ("failed", "stopped")


@dataclass
class Streak:
    """Restarts of one thing since it last worked."""

    count: int = 0
    next_at: float = 0.0


class Watchdog:
    """See the module docstring; :meth:`run` is the hub task ``show_runner:watchdog``."""

    def __init__(self, service: ShowService) -> None:
        self.service = service
        self.hub = service.hub
        self.interval = service.settings.watchdog_s
        self.max_delay = service.settings.watchdog_max_delay_s
        self.streaks: dict[tuple[str, str], Streak] = {}
        self.restarts = 0
        self.rounds = 0

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
                self.rounds += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug here must not end the watchdog
                self.hub.report_error(exc, "show_runner:watchdog")

    async def check(self) -> int:
        """One round; returns how many things were restarted."""
        if not self.hub.ready or self.service.stopping:
            return 0
        from hub.media.rooms import media_rooms

        await self.service.sync_rooms()
        if not self.service.settings.watchdog:
            return 0
        media = {room: live.media for room, live in self.service.rooms.items()} | media_rooms(self.hub)
        restarted = 0
        for room, on_air in list(media.items()):
            timeline = on_air.timeline
            for output in on_air.outputs:
                key = ("output", f"{room}/{output.label}")
                dead = output.state in DEAD_OUTPUT_STATES and (output.task is None or output.task.done())
                if dead and timeline.running and self._due(key):
                    await self._restart(key, f"{output.state}: {output.detail}",
                                        lambda o=output, t=timeline: o.start(t), room)
                    restarted += 1
                elif output.state == "live":
                    self.streaks.pop(key, None)
        for name, connector in list(self.hub.connectors.items()):
            key = ("connector", name)
            if str(connector.state) == "stopped" and self._due(key):
                try:
                    why = f"stopped: {connector.last_error or 'its task ended'}"
                    await self._restart(key, why, lambda c=connector, n=name: self._supervise(c, n), "")
                    restarted += 1
                except ValueError:  # its supervisor task is still finishing; next round
                    continue
            elif str(connector.state) == "ready":
                self.streaks.pop(key, None)
        return restarted

    def _supervise(self, connector: Any, name: str) -> None:
        self.hub.create_task(connector.supervise(), name=f"connector:{name}")

    def _due(self, key: tuple[str, str]) -> bool:
        streak = self.streaks.get(key)
        return streak is None or asyncio.get_running_loop().time() >= streak.next_at

    async def _restart(self, key: tuple[str, str], why: str, start: Any, room: str) -> None:
        kind, name = key
        start()
        streak = self.streaks.setdefault(key, Streak())
        streak.count += 1
        delay = min(self.max_delay, self.interval * 2 ** min(streak.count - 1, 16))
        streak.next_at = asyncio.get_running_loop().time() + delay
        self.restarts += 1
        level = logging.WARNING if streak.count == 1 else logging.DEBUG
        log.log(level, "watchdog: restarting %s %s (%s)%s", kind, name, why,
                "" if streak.count == 1 else f", restart {streak.count} of this streak")
        self.hub.metric(Counter, "livehub_watchdog_restarts", "Outputs and connectors the watchdog restarted",
                        ["kind", "name"]).labels(kind, name).inc()
        await self.service.audit("watchdog", f"restart_{kind}", room or name, {"name": name, "why": why,
                                                                             "streak": streak.count})
