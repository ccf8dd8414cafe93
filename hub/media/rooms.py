"""Build a room's media from the configuration: voice chain, avatar, scene, timeline and outputs.

``[rooms.<room>]`` keys read here (:class:`RoomMediaSettings`; the core keys ``title``, ``locale`` and
``public`` are :class:`hub.rooms.RoomSettings`, other keys belong to other plugins)::

    [rooms.main]
    scene = "a-scene"        # the on-screen design; default: [backends.scene] default, else the default scene
    size = "1280x720"        # default: the scene's preferred size
    fps = 25
    voices = ["a-voice"]     # default: [backends.voice] default + fallback, else the default voice backend
    avatar = "an-avatar"     # default: [backends.avatar] default, else the default avatar backend
    outputs = ["an-output"]  # output backends started with the room ([backends.output.<name>])

    # or, one table per stream target (simulcast: targets of one type and the same encoding settings
    # share one encoder; each reconnects on its own):
    [[rooms.main.outputs]]
    type = "rtmp"            # an output backend; the other keys are its settings
    name = "douyin"          # shown in the console, /api/v1/status and /metrics (default: type-N)
    url = {env = "DOUYIN_RTMP_URL"}

The default voice, avatar and scene backends are the ones whose plugin registers them with
``BackendSpec(default=True)``; the core names none. A scene names its preferred size
(:attr:`hub.media.scene.Scene.preferred_size`): a room that sets no ``size`` gets it.

What runs lives on the room (``hub.rooms[room].slots``): its :class:`RoomMedia` (timeline plus outputs)
once :func:`open_room` started it, and its running :class:`~hub.media.timeline.RoomTimeline` whoever
started it. :func:`room_media`, :func:`room_timeline` and :func:`media_rooms` read them;
:func:`close_room` stops them. Opening media does not change the room's lifecycle state: the show runner
owns ``on_air``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hub.clock import Clock
from hub.media.backends import build_backend, default_backend, flagged_default
from hub.media.frames import DEFAULT_FPS
from hub.media.output import OutputBackend, start_outputs
from hub.media.timeline import RoomTimeline

_SIZE = re.compile(r"^\s*(\d{2,5})\s*[x×]\s*(\d{2,5})\s*$")


def parse_size(text: str) -> tuple[int, int]:
    """``"1280x720"`` → ``(1280, 720)``; even sides of 160 to 3840 pixels (H.264 needs even sides)."""
    found = _SIZE.match(text)
    if not found:
        raise ValueError(f"size must look like 1280x720, not {text!r}")
    width, height = int(found.group(1)), int(found.group(2))
    if not (160 <= width <= 3840 and 160 <= height <= 3840) or width % 2 or height % 2:
        raise ValueError(f"size {width}x{height}: sides must be even, 160 to 3840 pixels")
    return width, height


class RoomMediaSettings(BaseModel):
    """The media keys of ``[rooms.<room>]`` (validated with the hub's room settings at build)."""

    model_config = ConfigDict(extra="forbid")

    size: tuple[int, int] | None = Field(None, description='picture size, e.g. "1280x720" or "1080x1920"; '
                                                           "default: the scene's preferred size")
    fps: int = Field(DEFAULT_FPS, ge=1, le=60, description="frames per second; must divide 48000")
    voices: list[str] | None = Field(None, description="voice backends in order; default: [backends.voice]",
                                     json_schema_extra={"backend": "voice"})
    avatar: str | None = Field(None, description="avatar backend; default: [backends.avatar] default",
                               json_schema_extra={"backend": "avatar"})
    scene: str | None = Field(None, description="scene backend (the on-screen design); default: "
                                                "[backends.scene] default", json_schema_extra={"backend": "scene"})
    outputs: list[str | dict[str, Any]] = Field(
        default_factory=list, description="output backends started with the room: a backend name "
                                          "([backends.output.<name>]) or a table with type, name and settings")

    @field_validator("size", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        return parse_size(value) if isinstance(value, str) else value

    @field_validator("outputs")
    @classmethod
    def _outputs(cls, value: list[str | dict[str, Any]]) -> list[str | dict[str, Any]]:
        names: set[str] = set()
        for index, entry in enumerate(value):
            if isinstance(entry, str):
                name = entry
            else:
                kind = entry.get("type")
                if not isinstance(kind, str) or not kind:
                    raise ValueError(f"outputs[{index}]: a table needs type = \"<output backend>\"")
                name = entry.get("name") or f"{kind}-{index + 1}"
                if not isinstance(name, str):
                    raise ValueError(f"outputs[{index}]: name must be text")
            if name in names:
                raise ValueError(f"outputs[{index}]: two outputs named {name!r}; give each a name")
            names.add(name)
        return value

    @field_validator("fps")
    @classmethod
    def _fps(cls, value: int) -> int:
        if 48_000 % value:
            raise ValueError("fps must divide 48000 (e.g. 24, 25, 30, 50, 60)")
        return value


def room_settings(hub: Any, room: str) -> RoomMediaSettings:
    """The media settings of ``room`` (validated at hub build; defaults when it has no ``[rooms.<room>]``)."""
    return hub.rooms.ensure(room).settings(RoomMediaSettings)


def build_avatar(hub: Any, name: str | None = None) -> Any:
    """The avatar backend ``name`` (default: ``[backends.avatar] default``, else the flagged default); any other
    than the flagged default falls back to it while it fails (:class:`hub.media.avatar.FallbackAvatar`)."""
    from hub.media.avatar import AvatarBackend, FallbackAvatar

    chosen = name or default_backend(hub, "avatar")
    avatar = build_backend(hub, "avatar", chosen)
    builtin = flagged_default(hub, "avatar")
    if builtin is None or builtin == chosen or not isinstance(avatar, AvatarBackend):
        return avatar
    fallback = build_backend(hub, "avatar", builtin)
    return FallbackAvatar(avatar, fallback) if isinstance(fallback, AvatarBackend) else avatar


def build_scene(hub: Any, room: str | None = None, *, size: tuple[int, int] | None = None, fps: int | None = None,
                name: str | None = None) -> Any:
    """The scene backend ``name`` (default: ``room``'s ``scene``, else ``[backends.scene] default``, else the
    flagged default) drawing ``size`` (default: the room's ``size``, else the scene's preferred size) at
    ``fps`` frames per second."""
    settings = room_settings(hub, room) if room is not None else RoomMediaSettings()
    chosen = name or settings.scene or default_backend(hub, "scene")
    return build_backend(hub, "scene", chosen, size=size or settings.size, fps=fps or settings.fps)


def catalog_folder(hub: Any) -> Path | None:
    """The folder of the catalog file (product images are relative to it), if the catalog is a file."""
    for connector in hub.connectors.values():
        path = getattr(connector, "path", None)
        if connector.kind == "catalog" and isinstance(path, Path):
            return path.parent
    return None


def build_timeline(hub: Any, room: str, *, size: tuple[int, int] | None = None, fps: int | None = None,
                   voices: list[str] | None = None, locale: str | None = None, clock: Clock | None = None,
                   catalog: Any = None, pictures: Any = None, scene: str | None = None) -> RoomTimeline:
    """A timeline for ``room`` with the configured voice chain, avatar and scene (not started); its size is
    ``size``, else the room's, else the scene's preferred size.

    ``catalog`` is a callable returning the Catalog (default: the room's shop); ``pictures`` the card's picture
    source (default: the room's shop, :class:`hub.media.pictures.ShopPictures`); ``scene`` a scene backend's name
    (default: the one chosen on air, else the room's)."""
    from hub.media.pictures import ShopPictures
    from hub.media.voice_chain import build_voice_chain

    settings = room_settings(hub, room)
    fps = fps or settings.fps
    locale = locale or hub.rooms.ensure(room).locale
    chain = build_voice_chain(hub, voices or settings.voices)
    chain.locale = locale
    from hub.media.appearance import RoomAppearance

    chosen = hub.rooms.ensure(room).slots.get(RoomAppearance) or RoomAppearance()  # switched at run time
    drawn = build_scene(hub, room, size=size, fps=fps, name=scene or chosen.scene)
    return RoomTimeline(room, avatar=build_avatar(hub, chosen.avatar or settings.avatar), scene=drawn,
                        voice_chain=chain, clock=clock, fps=fps, size=drawn.size, locale=locale, hub=hub,
                        catalog=catalog or (lambda: hub.catalog(room)), pictures=pictures or ShopPictures(hub, room))


@dataclass
class RoomMedia:
    """A room's running media (``room.slots.get(RoomMedia)``): its timeline and the outputs fed by it."""

    timeline: RoomTimeline
    outputs: list[OutputBackend] = field(default_factory=list)


def room_media(hub: Any, room: str) -> RoomMedia | None:
    """The media :func:`open_room` started for ``room``, or None."""
    found = hub.rooms.get(room)
    return found.slots.get(RoomMedia) if found is not None else None


def room_timeline(hub: Any, room: str) -> RoomTimeline | None:
    """``room``'s running timeline, whoever started it (:func:`open_room`, the show runner, a page), or None."""
    found = hub.rooms.get(room)
    return found.slots.get(RoomTimeline) if found is not None else None


def media_rooms(hub: Any) -> dict[str, RoomMedia]:
    """The rooms with media :func:`open_room` started, by name."""
    return {r.name: media for r in hub.rooms if (media := r.slots.get(RoomMedia)) is not None}


async def open_room(hub: Any, room: str, *, outputs: list[str | dict[str, Any]] | None = None,
                    **kwargs: Any) -> RoomMedia:
    """Start ``room``'s timeline and its outputs (``outputs`` or ``[rooms.<room>] outputs``).

    The media is kept in the room's slots; the room's lifecycle state is left to whoever puts it on air."""
    slots = hub.rooms.ensure(room).slots
    existing = slots.get(RoomMedia)
    if existing is not None:
        return existing
    timeline = build_timeline(hub, room, **kwargs)
    await timeline.start(hub)
    names = outputs if outputs is not None else room_settings(hub, room).outputs
    try:
        media = RoomMedia(timeline, start_outputs(hub, timeline, names, where=f"rooms.{room}.outputs"))
    except BaseException:
        await timeline.stop()
        raise
    return slots.set(RoomMedia, media)


async def close_room(hub: Any, room: str) -> None:
    """Stop ``room``'s outputs, then its timeline (pending lines end ``cut``)."""
    found = hub.rooms.get(room)
    if found is None:
        return
    media = found.slots.pop(RoomMedia)
    if media is None:
        timeline = found.slots.get(RoomTimeline)
        if timeline is not None:
            await timeline.stop()
        return
    await media.timeline.stop()  # subscriptions end: each output's _run sees its frames end and returns
    for output in media.outputs:
        await output.stop(grace=5.0)


async def close_all_rooms(hub: Any) -> None:
    """Close every room :func:`open_room` started (call it before the hub stops)."""
    for room in list(media_rooms(hub)):
        await close_room(hub, room)
