"""Build a room's media from the configuration: voice chain, avatar, compositor, timeline and outputs.

``[rooms.<room>]`` keys read here (other keys belong to other plugins and are left alone)::

    [rooms.main]
    size = "1280x720"        # or "720x1280" for phone-first platforms
    fps = 25
    locale = "zh-CN"         # default: [hub] locale
    voices = ["espeak"]      # default: [backends.voice] default + fallback
    avatar = "sprite"        # default: [backends.avatar] default, else "sprite"
    outputs = ["rtmp"]       # output backends started with the room ([backends.output.<name>])
    public = false           # true: the public viewer page may watch it without the API token

:func:`open_room` starts a room (the show runner calls it); :func:`close_room` stops it.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hub.clock import Clock
from hub.config import format_validation_error
from hub.errors import BackendError, ConfigError
from hub.media.frames import DEFAULT_FPS, DEFAULT_SIZE
from hub.media.output import OutputBackend, start_outputs
from hub.media.timeline import RoomTimeline, room_timelines

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
    """The media keys of ``[rooms.<room>]``."""

    model_config = ConfigDict(extra="ignore")

    size: tuple[int, int] = DEFAULT_SIZE
    fps: int = Field(DEFAULT_FPS, ge=1, le=60)
    locale: str | None = None
    voices: list[str] | None = None
    avatar: str | None = None
    outputs: list[str] = Field(default_factory=list)
    public: bool = False

    @field_validator("size", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        return parse_size(value) if isinstance(value, str) else value

    @field_validator("fps")
    @classmethod
    def _fps(cls, value: int) -> int:
        if 48_000 % value:
            raise ValueError("fps must divide 48000 (e.g. 24, 25, 30, 50, 60)")
        return value


def room_settings(hub: Any, room: str) -> RoomMediaSettings:
    """The validated media settings of ``room`` (defaults when it has no ``[rooms.<room>]``)."""
    try:
        return RoomMediaSettings.model_validate(hub.config.rooms.get(room, {}))
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, f"rooms.{room}"), file=hub.config.source) from None


def build_avatar(hub: Any, name: str | None = None) -> Any:
    """The avatar backend ``name`` (default: ``[backends.avatar] default``, else ``sprite``)."""
    if name is None:
        choice = hub.settings.backend_choice.get("avatar")
        name = (choice.default if choice is not None else None) or "sprite"
    entry = hub.registry.backends.get(("avatar", name))
    if entry is None:
        known = ", ".join(n for k, n in hub.registry.backends if k == "avatar") or "none"
        raise BackendError(f"no avatar backend named {name!r} (known: {known})", backend="avatar")
    spec = entry[1]
    settings = hub.settings.backends.get(("avatar", name))
    if settings is None and spec.config_model is not None:
        settings = spec.config_model()
    return spec.factory(settings, hub)


def catalog_folder(hub: Any) -> Path | None:
    """The folder of the catalog file (product images are relative to it), if the catalog is a file."""
    for connector in hub.connectors.values():
        path = getattr(connector, "path", None)
        if connector.kind == "catalog" and isinstance(path, Path):
            return path.parent
    return None


def build_timeline(hub: Any, room: str, *, size: tuple[int, int] | None = None, fps: int | None = None,
                   voices: list[str] | None = None, locale: str | None = None, clock: Clock | None = None,
                   catalog: Any = None, catalog_dir: Path | None = None) -> RoomTimeline:
    """A timeline for ``room`` with the configured voice chain, avatar and compositor (not started).

    ``catalog`` is a callable returning the Catalog (default: the hub's catalog connector)."""
    from hub.media.compositor import Compositor
    from hub.media.voice_chain import build_voice_chain

    settings = room_settings(hub, room)
    size = size or settings.size
    fps = fps or settings.fps
    locale = locale or settings.locale or hub.config.hub.locale
    chain = build_voice_chain(hub, voices or settings.voices)
    chain.locale = locale
    return RoomTimeline(room, avatar=build_avatar(hub, settings.avatar), compositor=Compositor(size, fps),
                        voice_chain=chain, clock=clock, fps=fps, size=size, locale=locale, hub=hub,
                        catalog=catalog or hub.catalog, catalog_dir=catalog_dir or catalog_folder(hub))


@dataclass
class RoomMedia:
    """A running room: its timeline and the outputs fed by it."""

    timeline: RoomTimeline
    outputs: list[OutputBackend] = field(default_factory=list)


_open: weakref.WeakKeyDictionary[Any, dict[str, RoomMedia]] = weakref.WeakKeyDictionary()


def open_rooms(hub: Any) -> dict[str, RoomMedia]:
    """The rooms :func:`open_room` started on ``hub``."""
    return _open.setdefault(hub, {})


async def open_room(hub: Any, room: str, *, outputs: list[str] | None = None, **kwargs: Any) -> RoomMedia:
    """Start ``room``'s timeline and its outputs (``outputs`` or ``[rooms.<room>] outputs``)."""
    rooms = open_rooms(hub)
    if room in rooms:
        return rooms[room]
    timeline = build_timeline(hub, room, **kwargs)
    await timeline.start(hub)
    names = outputs if outputs is not None else room_settings(hub, room).outputs
    try:
        media = RoomMedia(timeline, start_outputs(hub, timeline, names))
    except BaseException:
        await timeline.stop()
        raise
    rooms[room] = media
    return media


async def close_room(hub: Any, room: str) -> None:
    """Stop ``room``'s outputs, then its timeline (pending lines end ``cut``)."""
    media = open_rooms(hub).pop(room, None)
    if media is None:
        timeline = room_timelines(hub).get(room)
        if timeline is not None:
            await timeline.stop()
        return
    await media.timeline.stop()  # subscriptions end: each output's _run sees its frames end and returns
    for output in media.outputs:
        await output.stop(grace=5.0)


async def close_all_rooms(hub: Any) -> None:
    """Close every room :func:`open_room` started (call it before the hub stops)."""
    for room in list(open_rooms(hub)):
        await close_room(hub, room)
