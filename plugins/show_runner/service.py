"""The show runner of one hub: rooms on air, the show running on each, its start, end and resumption.

The service lives in ``hub.slots`` (under :class:`ShowService`) and provides
:class:`hub.interfaces.ShowControl` there; each room on air keeps its :class:`LiveRoom` in its own slots
(``hub.rooms[name].slots.get(LiveRoom)``), and the service moves the room's lifecycle: ``on_air`` when it
puts the room on air, ``paused``/``on_air`` when its show is paused/resumed, ``opened`` when it takes it
off air.

* :meth:`ShowService.open_room` puts a room on air: its media (``hub.media.rooms.open_room``: timeline and
  the room's configured outputs) plus a :class:`RoomBridge`. A room someone else opened (its timeline is
  ``room_timeline(hub, room)``) gets a bridge only, and its media is never closed here.
* :meth:`ShowService.start_show` opens the room if needed, records the broadcast, schedules its stop
  (a ``show.stop`` job just after the end time, persisted, so the stop happens even across a restart) and runs
  a :class:`ShowRun` as the hub task ``show:<room>``. The show ends by itself at its end time; either way
  the broadcast is closed once, the action audited, and a room the show opened is closed.
* On start, broadcasts still live whose window is open are resumed for the time left
  (:mod:`plugins.show_runner.broadcasts`).

Answers come from whoever provides :class:`hub.interfaces.AnswerQueue` (the triage plugin): the show's
pitch waits while an answer is due, and the queue's voice is paced with :class:`SpeechCalibration`.
Without it the show runs and says its own lines only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.clock import Clock, RealClock
from hub.events import HUB_PLATFORM, StreamState
from hub.interfaces import AnswerQueue, ShowControl
from hub.tenants import same_tenant
from plugins.show_runner import broadcasts
from plugins.show_runner import cluster as on_cluster
from plugins.show_runner.bridge import RoomBridge, SpeechCalibration
from plugins.show_runner.jobs import schedule_stop, unschedule_stop
from plugins.show_runner.library import ShowLibrary
from plugins.show_runner.recording import finish_recording, start_recording
from plugins.show_runner.rundown import Rundown, parse_rundown
from plugins.show_runner.settings import ShowRunnerSettings, shows_folder
from plugins.show_runner.show import ShowRun, cancel_run

log = logging.getLogger("livehub.show")
ACTOR = "show_runner"


def show_service(hub: Any) -> ShowService | None:
    """The running show service of ``hub`` (None when the plugin is disabled or not started). Other
    plugins use ``hub.slots.get(ShowControl)`` instead."""
    return hub.slots.get(ShowService)


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
    recorder: Any = None  # the file output recording the show (plugins/show_runner/recording.py)

    @property
    def timeline(self) -> Any:
        return self.media.timeline

    def voice_waiting(self) -> bool:
        """An answer is being written for the room's voice or is ready for it (the pitch waits)."""
        answers = self.hub.slots.get(AnswerQueue)
        return answers is not None and answers.voice_waiting(self.name)

    def room_status(self) -> dict[str, Any]:
        """What ``/api/v1/rooms`` adds to the room (:meth:`hub.rooms.Room.status`): the show running on it,
        whether it is paused, the product on stage and the broadcast. Cheap: no I/O."""
        run = self.run
        stage_sku = self.bridge.stage_sku
        if stage_sku is None and (answers := self.hub.slots.get(AnswerQueue)) is not None:
            stage_sku = answers.stage_sku(self.name)
        return {"show": run.rundown.name if run is not None else None,
                "paused": run is not None and run.paused, "stage_sku": stage_sku, "broadcast": self.broadcast}


class ShowService(ShowControl):
    """See the module docstring."""

    def __init__(self, hub: Any, settings: ShowRunnerSettings | None = None, *,
                 clock: Clock | None = None) -> None:
        self.hub = hub
        self.settings = settings or ShowRunnerSettings()
        self.clock: Clock = clock or RealClock()
        self.library = ShowLibrary(hub, shows_folder(hub, self.settings))
        self.calibration = SpeechCalibration()
        self._lock = asyncio.Lock()
        self.stopping = False
        self.reconciler: on_cluster.ShowReconciler | None = None  # in a cluster (plugins/show_runner/cluster.py)
        self.watchdog: Any = None

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def rooms(self) -> dict[str, LiveRoom]:
        """The rooms on air by name (a view: each room keeps its :class:`LiveRoom` in its slots)."""
        return {room.name: live for room in self.hub.rooms if (live := room.slots.get(LiveRoom)) is not None}

    def live(self, room: str) -> LiveRoom | None:
        """``room``'s :class:`LiveRoom` when it is on air here."""
        found = self.hub.rooms.get(room)
        return found.slots.get(LiveRoom) if found is not None else None

    async def start(self) -> None:
        """Provide the service, open ``open_rooms``, resume live broadcasts and start the watchdog. On any
        failure what was done is undone (the hub never calls ``livehub_shutdown`` of a plugin whose
        startup raised) and the error is raised again."""
        self.hub.slots.set(ShowService, self)
        self.hub.slots.provide(ShowControl, self)
        try:
            answers = self.hub.slots.get(AnswerQueue)
            if answers is not None and answers.speech_estimator is None:
                answers.use_speech_estimator(self.calibration)
            if self.hub.config.cluster.enabled:  # rooms open and shows resume where their lease is held
                self.reconciler = on_cluster.ShowReconciler(self)
                self.hub.create_task(self.reconciler.run(), name="show_runner:reconcile")
            else:
                for room in self.settings.open_rooms:
                    await self.open_room(room)
                await self._resume_broadcasts()
            from plugins.show_runner.watchdog import Watchdog

            self.watchdog = Watchdog(self)
            self.hub.create_task(self.watchdog.run(), name="show_runner:watchdog")
        except BaseException:
            try:
                await self.stop()
            except Exception as exc:  # the startup error is the one worth raising
                self.hub.report_error(exc, "show_runner:start:undo")
            raise

    async def stop(self) -> None:
        """Stop every show (their broadcasts stay live: they resume at the next start) and close the
        rooms opened here."""
        self.stopping = True
        self.hub.slots.discard(ShowControl, self)
        for live in list(self.rooms.values()):
            live.run = None
            await cancel_run(live.task)
            await self._close(live)
        answers = self.hub.slots.get(AnswerQueue)
        if answers is not None and answers.speech_estimator is self.calibration:
            answers.use_speech_estimator(None)
        self.hub.slots.discard(ShowService, self)

    # -- rooms ----------------------------------------------------------------------------------

    async def open_room(self, room: str, **media: Any) -> LiveRoom:
        """Put ``room`` on air (media and bridge); ``media`` goes to ``open_room`` (outputs, clock...)."""
        from hub.media.rooms import RoomMedia, open_room, room_media, room_timeline

        try:
            hub_room = self.hub.rooms.ensure(room)
        except ValueError as exc:
            raise ShowError(str(exc), 400) from None
        live = hub_room.slots.get(LiveRoom)
        if live is not None and live.timeline.running:
            return live
        if live is not None:  # its timeline was stopped behind our back: start over
            await self._close(live)
        existing = room_media(self.hub, room)
        timeline = room_timeline(self.hub, room)
        if existing is not None or timeline is not None:
            media_obj, opened_here = existing or RoomMedia(timeline), False
        else:
            media_obj, opened_here = await open_room(self.hub, room, **media), True
        bridge = RoomBridge(self.hub, room, media_obj.timeline, clock=self.clock, calibration=self.calibration)
        try:
            await bridge.start()
        except BaseException:
            if opened_here:  # nothing else holds the media we just opened
                from hub.media.rooms import close_room

                await close_room(self.hub, room)
            raise
        live = hub_room.slots.set(LiveRoom, LiveRoom(self.hub, room, media_obj, bridge, opened_here))
        hub_room.set_state("on_air", by=ACTOR)
        return live

    async def sync_rooms(self) -> None:
        """Bridge every running timeline (a room put on air by someone else gets its replies spoken) and
        forget rooms whose timeline stopped behind our back (and that run no show)."""
        from hub.media.rooms import room_timeline

        for room in list(self.hub.rooms):
            timeline = room_timeline(self.hub, room.name)
            if (timeline is not None and timeline.running and room.slots.get(LiveRoom) is None
                    and not self.stopping):
                await self.open_room(room.name)
        for live in list(self.rooms.values()):
            if not live.timeline.running and live.run is None:
                await self._close(live)

    async def close_room(self, room: str) -> None:
        """Stop the room's show (if any) and take it off air."""
        live = self.live(room)
        if live is None:
            return
        await self.stop_show(room, actor="operator", reason="room closed")
        await self._close(live)

    async def _close(self, live: LiveRoom) -> None:
        from hub.media.rooms import close_room

        hub_room = self.hub.rooms.get(live.name)
        if hub_room is not None and hub_room.slots.get(LiveRoom) is live:
            hub_room.slots.discard(LiveRoom, live)
            if hub_room.state in ("on_air", "paused"):
                hub_room.set_state("opened", by=ACTOR)
        await finish_recording(live)
        await live.bridge.stop()
        if live.opened_here:
            await close_room(self.hub, live.name)

    # -- shows ----------------------------------------------------------------------------------

    def parse_show(self, data: Mapping[str, Any], source: str = "api") -> Rundown:
        """A rundown from data (raises :class:`plugins.show_runner.rundown.RundownError`, a ValueError)."""
        return parse_rundown(dict(data) if isinstance(data, Mapping) else data, source)

    async def define_show(self, show: Rundown) -> bool:
        """Save ``show`` in the library (listed by ``GET /api/v1/shows``); True when it is new."""
        return await self.library.save(show)

    def show_on(self, room: str) -> str | None:
        live = self.live(room)
        return live.run.rundown.name if live is not None and live.run is not None else None

    async def rundown(self, show: str | Rundown) -> Rundown:
        if isinstance(show, Rundown):
            return show
        rundown = await self.library.get(show)
        if rundown is None:
            raise ShowError(f"no show named {show!r}", 404)
        return rundown

    async def start_show(self, room: str | None, show: str | Rundown, *, duration_min: float | None = None,
                         actor: str = "operator", replace: bool = False, resume: broadcasts.OnAir | None = None,
                         **media: Any) -> LiveRoom | None:
        """Start ``show`` on ``room`` (default: the rundown's room) now; see the module docstring. None when
        another process of the cluster runs the room (it starts the show within a second)."""
        rundown = await self.rundown(show)
        room = room or rundown.room
        if not room:
            raise ShowError(f"show {rundown.name!r} names no room; give one", 400)
        if rundown.room and not same_tenant(self.hub.config, rundown.room, room):  # hub/tenants.py
            raise ShowError(f"show {rundown.name!r} is for another tenant's room; not on {room!r}", 403)
        if resume is None and on_cluster.runs_elsewhere(self.hub, room):  # the process that runs the room starts it
            await on_cluster.start_elsewhere(self, room, rundown, duration_min=duration_min, actor=actor, replace=replace)
            return None
        async with self._lock:
            current = self.live(room)
            if current is not None and current.run is not None:
                if not replace:
                    raise ShowError(f"show {current.run.rundown.name!r} is running on room {room!r}; "
                                    "stop it first")
                opened_for_show, current.show_opened = current.show_opened, False  # stays on air between
                await self.stop_show(room, actor=actor, reason=f"replaced by {rundown.name}")
                current.show_opened = opened_for_show
            was_on_air = self.live(room) is not None
            live = await self.open_room(room, **media)
            live.show_opened = live.show_opened or not was_on_air
            if resume is not None:
                duration_s, ends_ts = resume.remaining_s(time.time()), resume.ends_ts
            else:
                duration_s = duration_min * 60 if duration_min is not None else None
                ends_ts = None if duration_s is None and rundown.loop else \
                    time.time() + (duration_s if duration_s is not None else rundown.seconds)
            offset_s = max(0.0, time.time() - resume.started_ts) if resume is not None and resume.started_ts else 0.0
            run = ShowRun(live, rundown, clock=self.clock, duration_s=duration_s, tick_s=self.settings.tick_s,
                          line_timeout_s=self.settings.line_timeout_s, on_state=self._publish_state, offset_s=offset_s)
            if resume is not None:
                live.broadcast = resume.id
            else:
                live.broadcast = await broadcasts.record_start(self.hub, room, rundown.name, ends_ts=ends_ts,
                                                               actor=actor)
                await schedule_stop(self.hub, room, live.broadcast, ends_ts)
            if self.settings.record:
                live.recorder = await start_recording(self.hub, live, self.settings.record_path)
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
        if on_cluster.runs_elsewhere(self.hub, room):
            return await on_cluster.stop_elsewhere(self, room, actor=actor, reason=reason, broadcast=broadcast)
        live = self.live(room)
        if live is None or live.run is None or (broadcast is not None and live.broadcast != broadcast):
            return False
        run, live.run = live.run, None
        await cancel_run(live.task)
        await self._finish(live, run, actor=actor, reason=reason)
        return True

    async def _finish(self, live: LiveRoom, run: ShowRun, *, actor: str, reason: str) -> None:
        live.run = None
        bid, live.broadcast = live.broadcast, None
        await finish_recording(live)
        await broadcasts.record_end(self.hub, bid, reason)
        await unschedule_stop(self.hub, bid)
        await self.audit(actor, "show_stop", live.name, {"show": run.rundown.name, "reason": reason,
                                                          "broadcast": bid, "lines_said": run.lines_said})
        if live.show_opened and not self.stopping:
            await self._close(live)
        elif (hub_room := self.hub.rooms.get(live.name)) is not None and hub_room.state == "paused":
            hub_room.set_state("on_air", by=actor)  # the room stays on air without its show

    async def _resume_broadcasts(self) -> None:
        """Resume the shows still live in the database (called once, at start: before connectors and
        the web server, so a resumed show is running by the time anyone looks)."""
        for row in await broadcasts.live_rows(self.hub):
            current = self.live(row.room)
            if current is not None and current.run is not None:  # a newer show already runs there
                await broadcasts.record_end(self.hub, row.id, "superseded")
                continue
            await self.resume_row(row)

    async def resume_row(self, row: broadcasts.OnAir) -> None:
        """Resume the live broadcast ``row`` here (where its schedule says), or close it when its time is up."""
        remaining = row.remaining_s(time.time())
        if remaining is not None and remaining <= 0.5:
            await broadcasts.record_end(self.hub, row.id, "ended while no process ran it")
            return
        try:
            await self.start_show(row.room, row.show, actor="hub", replace=True, resume=row)
            log.info("resumed show %s on room %s (%s)", row.show, row.room,
                     "open-ended" if remaining is None else f"{remaining:.0f} s left")
        except Exception as exc:
            self.hub.report_error(exc, f"show_runner:resume:{row.room}")
            await broadcasts.record_end(self.hub, row.id, f"could not resume: {exc}")

    # -- a cluster's rooms (plugins/show_runner/cluster.py) ----------------------------------------------

    async def room_acquired(self, room: str) -> None:
        """This process runs ``room`` now: open it if it opens with the hub, resume its live broadcast."""
        if room in self.settings.open_rooms:
            await self.open_room(room)
        if self.reconciler is not None:
            self.reconciler.wake()  # its task resumes the room's live broadcast now

    async def room_released(self, room: str) -> None:
        await on_cluster.release_room(self, room)

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
