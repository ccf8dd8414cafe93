"""The show runner of one hub: rooms on air, the show running on each, its start, end and resumption.

* :meth:`ShowService.open_room` puts a room on air: its media (``hub.media.rooms.open_room``: timeline and
  the room's configured outputs) plus a :class:`RoomBridge`. A room someone else opened (its timeline is
  in ``room_timelines``) gets a bridge only, and is never closed here.
* :meth:`ShowService.start_show` opens the room if needed, records the broadcast, schedules its stop
  (a ``show.stop`` job just after the end time, persisted, so the stop happens even across a restart) and runs
  a :class:`ShowRun` as the hub task ``show:<room>``. The show ends by itself at its end time; either way
  the broadcast is closed once, the action audited, and a room the show opened is closed.
* On start, broadcasts still live whose window is open are resumed for the time left
  (:mod:`plugins.show_runner.broadcasts`).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass
from typing import Any

from hub.clock import Clock, RealClock
from hub.events import HUB_PLATFORM, StreamState
from plugins.show_runner import broadcasts
from plugins.show_runner.bridge import RoomBridge, SpeechCalibration
from plugins.show_runner.jobs import schedule_stop, unschedule_stop
from plugins.show_runner.library import ShowLibrary
from plugins.show_runner.rundown import Rundown
from plugins.show_runner.settings import ShowRunnerSettings, shows_folder
from plugins.show_runner.show import ShowRun, cancel_run

log = logging.getLogger("livehub.show")

_services: weakref.WeakKeyDictionary[Any, ShowService] = weakref.WeakKeyDictionary()


def show_service(hub: Any) -> ShowService | None:
    """The running show service of ``hub`` (None when the plugin is disabled or not started)."""
    return _services.get(hub)


class ShowError(Exception):
    """An action that cannot be done now; ``status`` is the HTTP status the API answers with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(eq=False)
class LiveRoom:
    """A room on air: its media, its bridge and, maybe, its show."""

    hub: Any
    name: str
    media: Any
    bridge: RoomBridge
    opened_here: bool
    show_opened: bool = False  # put on air for a show: taken off air when the show ends
    run: ShowRun | None = None
    task: asyncio.Task[Any] | None = None
    broadcast: int | None = None
    pinned: dict[str, str] | None = None

    @property
    def timeline(self) -> Any:
        return self.media.timeline

    def engine(self) -> Any:
        from plugins.triage.service import service_for

        service = service_for(self.hub)
        return service.engines.get(self.name) if service is not None else None


class ShowService:
    """See the module docstring."""

    def __init__(self, hub: Any, settings: ShowRunnerSettings | None = None, *,
                 clock: Clock | None = None) -> None:
        self.hub = hub
        self.settings = settings or ShowRunnerSettings()
        self.clock: Clock = clock or RealClock()
        self.library = ShowLibrary(hub, shows_folder(hub, self.settings))
        self.calibration = SpeechCalibration()
        self.rooms: dict[str, LiveRoom] = {}
        self._lock = asyncio.Lock()
        self.stopping = False
        self.watchdog: Any = None

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        _services[self.hub] = self
        from plugins.triage.service import service_for

        triage = service_for(self.hub)
        if triage is not None and triage.speech_estimator is None:
            triage.use_speech_estimator(self.calibration)
        for room in self.settings.open_rooms:
            await self.open_room(room)
        await self._resume_broadcasts()
        from plugins.show_runner.watchdog import Watchdog

        self.watchdog = Watchdog(self)
        self.hub.create_task(self.watchdog.run(), name="show_runner:watchdog")

    async def stop(self) -> None:
        """Stop every show (their broadcasts stay live: they resume at the next start) and close the
        rooms opened here."""
        self.stopping = True
        for live in list(self.rooms.values()):
            live.run = None
            await cancel_run(live.task)
            await self._close(live)
        if _services.get(self.hub) is self:
            del _services[self.hub]

    # -- rooms ----------------------------------------------------------------------------------

    async def open_room(self, room: str, **media: Any) -> LiveRoom:
        """Put ``room`` on air (media and bridge); ``media`` goes to ``open_room`` (outputs, clock...)."""
        from hub.media.rooms import RoomMedia, open_room, open_rooms
        from hub.media.timeline import room_timelines

        live = self.rooms.get(room)
        if live is not None and live.timeline.running:
            return live
        if live is not None:  # its timeline was stopped behind our back: start over
            await self._close(live)
        existing = open_rooms(self.hub).get(room)
        timeline = room_timelines(self.hub).get(room)
        if existing is not None or timeline is not None:
            media_obj, opened_here = existing or RoomMedia(timeline), False
        else:
            media_obj, opened_here = await open_room(self.hub, room, **media), True
        bridge = RoomBridge(self.hub, room, media_obj.timeline, clock=self.clock, calibration=self.calibration)
        await bridge.start()
        live = self.rooms[room] = LiveRoom(self.hub, room, media_obj, bridge, opened_here)
        return live

    async def sync_rooms(self) -> None:
        """Bridge every running timeline (a room put on air by someone else gets its replies spoken) and
        forget rooms whose timeline stopped behind our back (and that run no show)."""
        from hub.media.timeline import room_timelines

        for room, timeline in list(room_timelines(self.hub).items()):
            if room not in self.rooms and timeline.running and not self.stopping:
                await self.open_room(room)
        for live in list(self.rooms.values()):
            if not live.timeline.running and live.run is None:
                await self._close(live)

    async def close_room(self, room: str) -> None:
        """Stop the room's show (if any) and take it off air."""
        live = self.rooms.get(room)
        if live is None:
            return
        await self.stop_show(room, actor="operator", reason="room closed")
        await self._close(live)

    async def _close(self, live: LiveRoom) -> None:
        from hub.media.rooms import close_room

        if self.rooms.get(live.name) is live:
            del self.rooms[live.name]
        await live.bridge.stop()
        if live.opened_here:
            await close_room(self.hub, live.name)

    # -- shows ----------------------------------------------------------------------------------

    async def rundown(self, show: str | Rundown) -> Rundown:
        if isinstance(show, Rundown):
            return show
        rundown = await self.library.get(show)
        if rundown is None:
            raise ShowError(f"no show named {show!r}", 404)
        return rundown

    async def start_show(self, room: str | None, show: str | Rundown, *, duration_min: float | None = None,
                         actor: str = "operator", replace: bool = False, resume: broadcasts.OnAir | None = None,
                         **media: Any) -> LiveRoom:
        """Start ``show`` on ``room`` (default: the rundown's room) now; see the module docstring."""
        rundown = await self.rundown(show)
        room = room or rundown.room
        if not room:
            raise ShowError(f"show {rundown.name!r} names no room; give one", 400)
        async with self._lock:
            current = self.rooms.get(room)
            if current is not None and current.run is not None:
                if not replace:
                    raise ShowError(f"show {current.run.rundown.name!r} is running on room {room!r}; "
                                    "stop it first")
                opened_for_show, current.show_opened = current.show_opened, False  # stays on air between
                await self.stop_show(room, actor=actor, reason=f"replaced by {rundown.name}")
                current.show_opened = opened_for_show
            was_on_air = room in self.rooms
            live = await self.open_room(room, **media)
            live.show_opened = live.show_opened or not was_on_air
            if resume is not None:
                duration_s, ends_ts = resume.remaining_s(time.time()), resume.ends_ts
            else:
                duration_s = duration_min * 60 if duration_min is not None else None
                ends_ts = None if duration_s is None and rundown.loop else \
                    time.time() + (duration_s if duration_s is not None else rundown.seconds)
            run = ShowRun(live, rundown, clock=self.clock, duration_s=duration_s, tick_s=self.settings.tick_s,
                          line_timeout_s=self.settings.line_timeout_s, on_state=self._publish_state)
            if resume is not None:
                live.broadcast = resume.id
            else:
                live.broadcast = await broadcasts.record_start(self.hub, room, rundown.name, ends_ts=ends_ts,
                                                               actor=actor)
                await schedule_stop(self.hub, room, live.broadcast, ends_ts)
            live.run = run
            live.task = self.hub.create_task(self._run(live, run), name=f"show:{room}")
        await self.audit(actor, "show_restore" if resume else "show_start", room,
                          {"show": rundown.name, "duration_min": duration_min, "ends_ts": ends_ts,
                           "broadcast": live.broadcast})
        return live

    async def _run(self, live: LiveRoom, run: ShowRun) -> None:
        reason = "end"
        try:
            await run.run()
        except asyncio.CancelledError:
            raise  # stopped (the stopper closes the broadcast) or the hub is shutting down (it stays live)
        except Exception as exc:
            self.hub.report_error(exc, f"show:{live.name}")
            reason = f"failed: {type(exc).__name__}"
        if live.run is run:  # it ended by itself (a stop would have cleared live.run first)
            await self._finish(live, run, actor="show", reason=reason)

    async def stop_show(self, room: str, *, actor: str = "operator", reason: str = "stopped",
                        broadcast: int | None = None) -> bool:
        """Stop the show on ``room`` (only broadcast ``broadcast``'s, if given); False when none runs."""
        live = self.rooms.get(room)
        if live is None or live.run is None or (broadcast is not None and live.broadcast != broadcast):
            return False
        run, live.run = live.run, None
        await cancel_run(live.task)
        await self._finish(live, run, actor=actor, reason=reason)
        return True

    async def _finish(self, live: LiveRoom, run: ShowRun, *, actor: str, reason: str) -> None:
        live.run = None
        bid, live.broadcast = live.broadcast, None
        await broadcasts.record_end(self.hub, bid, reason)
        await unschedule_stop(self.hub, bid)
        await self.audit(actor, "show_stop", live.name, {"show": run.rundown.name, "reason": reason,
                                                          "broadcast": bid, "lines_said": run.lines_said})
        if live.show_opened and not self.stopping:
            await self._close(live)

    async def _resume_broadcasts(self) -> None:
        """Resume the shows still live in the database (called once, at start: before connectors and
        the web server, so a resumed show is running by the time anyone looks)."""
        for row in await broadcasts.live_rows(self.hub):
            remaining = row.remaining_s(time.time())
            current = self.rooms.get(row.room)
            if current is not None and current.run is not None:  # a newer show already runs there
                await broadcasts.record_end(self.hub, row.id, "superseded")
                continue
            if remaining is not None and remaining <= 0.5:
                await broadcasts.record_end(self.hub, row.id, "ended while the hub was down")
                continue
            try:
                await self.start_show(row.room, row.show, actor="hub", replace=True, resume=row)
                log.info("resumed show %s on room %s (%s)", row.show, row.room,
                         "open-ended" if remaining is None else f"{remaining:.0f} s left")
            except Exception as exc:
                self.hub.report_error(exc, f"show_runner:resume:{row.room}")
                await broadcasts.record_end(self.hub, row.id, f"could not resume: {exc}")

    # -- events and audit -----------------------------------------------------------------------

    def _publish_state(self, run: ShowRun) -> None:
        segment = run.segment
        detail = run.rundown.name
        if segment is not None:
            detail += f" segment {run.segment_index + 1}/{len(run.rundown.segments)} {segment.sku}"
        self.hub.publish_nowait(StreamState(platform=HUB_PLATFORM, room=run.room.name, output="show",
                                            state=run.state, detail=detail))

    async def audit(self, actor: str, action: str, room: str, detail: dict[str, Any]) -> None:
        if self.hub.storage is not None:
            await self.hub.storage.audit(actor=actor, action=action, target=room, detail=detail)
