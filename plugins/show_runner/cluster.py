"""Shows in a cluster (``[cluster] enabled``): a room's show runs in the process that holds the room's lease.

The ``broadcasts`` table is what every process agrees on: a show that should be on air has a "live" row. The
process that runs a room makes what runs there match it (:class:`ShowReconciler`, every ``reconcile_s``, and at
once when it takes the room): a live row of its room with no show running here is resumed (where its schedule
says, for the time left; an older live row of the same room is superseded), and a show running here whose row
is no longer live (stopped through another process) is stopped. A process that does not run the room, asked to
start or stop its show (the API, a scheduled ``show.start``), only writes the row (:func:`start_elsewhere`,
:func:`stop_elsewhere`) and the room's process follows within a second.

Losing a room (:func:`release_room`) stops its outputs at once and takes it off air here without ending its
broadcast: its next owner resumes it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from plugins.show_runner import broadcasts
from plugins.show_runner.jobs import schedule_stop, unschedule_stop
from plugins.show_runner.show import cancel_run

log = logging.getLogger("livehub.show")


def runs_elsewhere(hub: Any, room: str) -> bool:
    """Whether another process runs ``room`` (or none does yet): in a cluster, without the room's lease."""
    cluster = getattr(hub, "cluster", None)
    return hub.config.cluster.enabled and (cluster is None or not cluster.owns(room))


async def start_elsewhere(service: Any, room: str, rundown: Any, *, duration_min: float | None, actor: str,
                          replace: bool) -> int | None:
    """Write the live row of ``rundown`` on ``room`` for the process that runs the room; its broadcast id."""
    current = [row for row in await broadcasts.live_rows(service.hub) if row.room == room]
    if current and not replace:
        from plugins.show_runner.service import ShowError

        raise ShowError(f"show {current[-1].show!r} is running on room {room!r}; stop it first")
    for row in current:
        await broadcasts.record_end(service.hub, row.id, f"replaced by {rundown.name}")
        await unschedule_stop(service.hub, row.id)
    duration_s = duration_min * 60 if duration_min is not None else None
    ends_ts = None if duration_s is None and rundown.loop else \
        time.time() + (duration_s if duration_s is not None else rundown.seconds)
    bid = await broadcasts.record_start(service.hub, room, rundown.name, ends_ts=ends_ts, actor=actor)
    await schedule_stop(service.hub, room, bid, ends_ts)
    await service.audit(actor, "show_start", room, {"show": rundown.name, "duration_min": duration_min,
                                                   "ends_ts": ends_ts, "broadcast": bid, "runs_elsewhere": True})
    return bid


async def stop_elsewhere(service: Any, room: str, *, actor: str, reason: str, broadcast: int | None) -> bool:
    """End the live row(s) of ``room`` (only ``broadcast``'s, if given) for the process that runs the room."""
    stopped = False
    for row in await broadcasts.live_rows(service.hub):
        if row.room == room and (broadcast is None or row.id == broadcast):
            if await broadcasts.record_end(service.hub, row.id, reason):
                await unschedule_stop(service.hub, row.id)
                await service.audit(actor, "show_stop", room, {"show": row.show, "reason": reason,
                                                              "broadcast": row.id, "runs_elsewhere": True})
                stopped = True
    return stopped


async def release_room(service: Any, room: str) -> None:
    """Stop serving ``room`` here at once (its broadcast stays live for its next owner)."""
    live = service.live(room)
    if live is None:
        return
    live.run, live.broadcast = None, None
    await cancel_run(live.task)
    await service._close(live)


class ShowReconciler:
    """Keeps the shows of the rooms this process runs in step with the live rows (see the module docstring)."""

    def __init__(self, service: Any, interval_s: float = 1.0) -> None:
        self.service, self.hub, self.interval_s = service, service.hub, interval_s
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look again now (this process just took a room)."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.reconcile()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: the cluster node fences the rooms meanwhile
                log.warning("shows not reconciled: %s", exc)
            try:
                async with asyncio.timeout(self.interval_s):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def reconcile(self, only: str | None = None) -> None:
        async with self._lock:
            rows = await broadcasts.live_rows(self.hub)
            live_ids = {row.id for row in rows}
            service = self.service
            for live in list(service.rooms.values()):
                if only is not None and live.name != only:
                    continue
                if live.run is not None and live.broadcast is not None and live.broadcast not in live_ids:
                    await service.stop_show(live.name, actor="show_runner", reason="stopped through another process")
            newest: dict[str, Any] = {}
            for row in rows:  # oldest first: an older live row of a room is superseded by a newer one
                if row.room in newest:
                    await broadcasts.record_end(self.hub, newest[row.room].id, "superseded")
                newest[row.room] = row
            for room, row in newest.items():
                if (only is not None and room != only) or runs_elsewhere(self.hub, room):
                    continue
                current = service.live(room)
                if current is not None and current.run is not None and current.broadcast == row.id:
                    continue
                log.debug("resuming show %s on room %s", row.show, room)
                await service.resume_row(row)
