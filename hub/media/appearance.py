"""A room's appearance: which avatar draws its host and which scene lays out its frames, and switching either
while the room is on air.

``[rooms.<room>] avatar`` and ``scene`` choose them at start. The console (``PUT /api/v1/rooms/{room}/appearance``)
changes them at run time: the choice is kept on the room (:class:`RoomAppearance` in its slots, so a timeline
started later in this process uses it too) and handed to the running timeline, which takes it at the next line
(or at once while the host is silent), never in the middle of a sentence. The new avatar is built and its
pictures drawn ahead before it is handed over, so the switch costs the stream no frame; the one it replaces is
closed afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from hub.errors import BackendError

log = logging.getLogger("livehub.media.appearance")

PARTS = ("avatar", "scene")


@dataclass
class RoomAppearance:
    """The avatar and scene chosen for a room at run time (``room.slots``); None: the room's configured one."""

    avatar: str | None = None
    scene: str | None = None


class Switcher:
    """What a timeline will show from its next line on: new drawer parts waiting to be taken (see the module)."""

    def __init__(self, drawer: Any) -> None:
        self.drawer = drawer
        self.pending: dict[str, Any] = {}

    def request(self, part: str, value: Any) -> None:
        if part not in PARTS:
            raise ValueError(f"no part {part!r} to switch (known: {', '.join(PARTS)})")
        self.pending[part] = value

    def due(self, line_starts: bool, speaking: bool) -> bool:
        """A switch is taken when a line starts or while the host is silent."""
        return bool(self.pending) and (line_starts or not speaking)

    def apply(self) -> list[Any]:
        """Put the pending parts in place; return the ones they replace (for closing)."""
        retired = []
        for part, value in self.pending.items():
            old = getattr(self.drawer, part)
            setattr(self.drawer, part, value)
            retired.append(old)
            log.info("%s switched to %s", part, getattr(value, "name", type(value).__name__))
        self.pending.clear()
        return retired


def known(hub: Any, kind: str) -> list[str]:
    """The names of the registered backends of ``kind``."""
    return [name for k, name in hub.registry.backends if k == kind]


def appearance(hub: Any, room: str) -> dict[str, Any]:
    """The room's appearance as the API shows it: what is chosen, what draws now, the choices."""
    from hub.media.rooms import room_settings, room_timeline

    chosen = hub.rooms.ensure(room).slots.get(RoomAppearance) or RoomAppearance()
    settings = room_settings(hub, room)
    timeline = room_timeline(hub, room)
    out: dict[str, Any] = {"room": room, "on_air": timeline is not None and timeline.running}
    for part in PARTS:
        configured = getattr(settings, part, None)
        out[part] = {"chosen": getattr(chosen, part) or configured, "configured": configured,
                     "choices": known(hub, part)}
    if timeline is not None:
        out["avatar"]["status"] = timeline.drawer.avatar.status()
        out["scene"]["now"] = getattr(getattr(timeline.drawer, "scene", None), "name", None)
        out["pending"] = sorted(timeline.switcher.pending)
    return out


async def switch_appearance(hub: Any, room: str, *, avatar: str | None = None, scene: str | None = None) -> None:
    """Choose ``avatar`` and/or ``scene`` for ``room`` (BackendError naming the known ones for an unknown name) and
    hand them to its running timeline, built and drawn ahead first."""
    from hub.media.rooms import build_avatar, build_scene, room_timeline

    for part, name in (("avatar", avatar), ("scene", scene)):
        if name is not None and name not in known(hub, part):
            raise BackendError(f"no {part} named {name!r} (known: {', '.join(known(hub, part)) or 'none'})",
                               backend=part)
    timeline = room_timeline(hub, room)
    running = timeline is not None and timeline.running
    built_scene = None
    if scene is not None:  # built first: a scene that cannot draw the room's stream is refused, not recorded
        size = timeline.size if timeline is not None and running else None
        built_scene = build_scene(hub, room, name=scene, size=size, fps=timeline.fps if running else None)
    slots = hub.rooms.ensure(room).slots
    chosen = slots.get(RoomAppearance) or slots.set(RoomAppearance, RoomAppearance())
    chosen.avatar = avatar or chosen.avatar
    chosen.scene = scene or chosen.scene
    if timeline is None or not running:
        return
    if built_scene is not None:
        timeline.switch("scene", built_scene)  # the stream keeps its size
    if avatar is not None:
        host = build_avatar(hub, avatar)
        scene_now = timeline.switcher.pending.get("scene") or timeline.drawer.scene
        await asyncio.get_running_loop().run_in_executor(timeline.drawing_pool, host.prepare, scene_now.host_size)
        timeline.switch("avatar", host)
