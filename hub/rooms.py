"""Rooms: the hub's first-class live rooms, their validated settings, lifecycle, bindings and slots.

A room is one show's home: ``hub.rooms["main"]``. The hub makes one :class:`Room` for every
``[rooms.<name>]`` table and for every room a platform connector is bound to (``[connectors.<x>]
room = "main"``); an event for a room nobody configured gets one with default settings
(:meth:`Rooms.ensure`).

**Settings.** ``[rooms.<name>]`` is validated like every other table: the core declares
:class:`RoomSettings` and plugins declare the room-level models they read (``livehub_room_models``).
Every key must be a field of at least one model; a key no model knows, or a value a model refuses, stops
the hub with the file, the key path and the reason. ``room.settings(Model)`` returns the validated model.

**Lifecycle.** ``opened`` (the hub knows it, nothing on air) → ``on_air`` ⇄ ``paused`` → ``closed`` (the
hub stopped). Whoever puts a room on air (the show runner) moves it with :meth:`Room.set_state`; every
change is logged once and visible in ``/api/v1/rooms``.

**Slots.** ``room.slots`` holds what plugins keep per room (triage engine, media, show, outputs,
bindings' state), keyed by class (:mod:`hub.slots`): no module-level side tables.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Iterator
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.config import format_validation_error
from hub.errors import ConfigError
from hub.slots import Slots

log = logging.getLogger("livehub.rooms")

M = TypeVar("M", bound=BaseModel)
RoomState = Literal["opened", "on_air", "paused", "closed"]
ROOM_STATES: tuple[str, ...] = ("opened", "on_air", "paused", "closed")
ROOM_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class RoomSettings(BaseModel):
    """The core keys of ``[rooms.<name>]``, read by every plugin that serves a room."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field("", max_length=80, description="the room's title; default: the shop's name")
    locale: str | None = Field(None, description="the room's language; default: [hub] locale")
    public: bool = Field(False, description="true: the public viewer page may watch it without the API token")
    shop: str | None = Field(None, description="the catalog connector the room sells from; default: the first "
                                               "catalog connector")


class Room:
    """One hub room. Plugins read ``settings(Model)``, keep their state in ``slots``."""

    def __init__(self, name: str, models: dict[type[BaseModel], BaseModel], *, configured: bool,
                 hub_locale: str = "zh-CN") -> None:
        self.name = name
        self.configured = configured  # it has a [rooms.<name>] table
        self.state: str = "opened"
        self.since = time.time()
        self.state_by = ""
        self.slots = Slots(owner=f"room {name!r}")
        self.bindings: list[str] = []  # names of the platform connectors that feed it, in config order
        self._models = models
        self._hub_locale = hub_locale

    def __repr__(self) -> str:
        return f"<Room {self.name} {self.state}>"

    # -- settings -------------------------------------------------------------------------------

    def settings(self, model: type[M]) -> M:
        """The room's validated settings for ``model`` (a model registered through the hooks)."""
        try:
            return cast(M, self._models[model])
        except KeyError:
            value = self._models[model] = model.model_validate({})  # unregistered: defaults only
            return value

    @property
    def core(self) -> RoomSettings:
        return self.settings(RoomSettings)

    @property
    def locale(self) -> str:
        """The room's language: ``[rooms.<name>] locale``, else ``[hub] locale``."""
        return self.core.locale or self._hub_locale

    @property
    def public(self) -> bool:
        return self.core.public

    @property
    def shop(self) -> str | None:
        """The catalog connector the room names (``[rooms.<name>] shop``), or None for the hub's default."""
        return self.core.shop

    # -- lifecycle --------------------------------------------------------------------------------

    def set_state(self, state: str, *, by: str = "") -> bool:
        """Move the room to ``state`` (one of :data:`ROOM_STATES`); False when it already was there."""
        if state not in ROOM_STATES:
            raise ValueError(f"unknown room state {state!r} (known: {', '.join(ROOM_STATES)})")
        if state == self.state:
            return False
        log.info("room %s: %s -> %s%s", self.name, self.state, state, f" ({by})" if by else "")
        self.state, self.since, self.state_by = state, time.time(), by
        return True

    @property
    def on_air(self) -> bool:
        return self.state in ("on_air", "paused")

    def status(self) -> dict[str, Any]:
        """What ``/api/v1/rooms`` shows of the room: the core's view, then what each slot object with a
        ``room_status() -> dict`` method adds (the show runner adds the show; keys of the core win)."""
        out: dict[str, Any] = {
            "name": self.name, "state": self.state, "since": self.since, "by": self.state_by,
            "configured": self.configured, "public": self.public, "locale": self.locale,
            "title": self.core.title, "bindings": list(self.bindings), "slots": self.slots.names()}
        for key in self.slots:
            contribute = getattr(self.slots.get(key), "room_status", None)
            if callable(contribute):
                try:
                    extra = contribute()
                except Exception as exc:  # one plugin's bad status never hides the room
                    log.warning("room %s: %s.room_status() failed: %s", self.name, key.__name__, exc)
                    continue
                for name, value in (extra or {}).items():
                    out.setdefault(name, value)
        return out


class Rooms:
    """The hub's rooms by name (``hub.rooms``). Iterates in name order."""

    def __init__(self, models: Iterable[type[BaseModel]] = (RoomSettings,), *, hub_locale: str = "zh-CN") -> None:
        self.models: tuple[type[BaseModel], ...] = tuple(dict.fromkeys([RoomSettings, *models]))
        self._rooms: dict[str, Room] = {}
        self._hub_locale = hub_locale

    def __getitem__(self, name: str) -> Room:
        try:
            return self._rooms[name]
        except KeyError:
            known = ", ".join(sorted(self._rooms)) or "none"
            raise KeyError(f"no room named {name!r} (rooms: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._rooms

    def __iter__(self) -> Iterator[Room]:
        return iter([self._rooms[n] for n in sorted(self._rooms)])

    def __len__(self) -> int:
        return len(self._rooms)

    def names(self) -> list[str]:
        return sorted(self._rooms)

    def get(self, name: str) -> Room | None:
        return self._rooms.get(name)

    def ensure(self, name: str) -> Room:
        """The room ``name``, made with default settings when the hub did not know it yet."""
        room = self._rooms.get(name)
        if room is None:
            if not ROOM_NAME.match(name):
                raise ValueError(f"room names are 1-64 letters, digits, '-' or '_', not {name!r}")
            defaults = {model: model.model_validate({}) for model in self.models}
            room = self._rooms[name] = Room(name, defaults, configured=False, hub_locale=self._hub_locale)
        return room

    def add(self, room: Room) -> Room:
        self._rooms[room.name] = room
        return room

    def close_all(self) -> None:
        for room in self:
            room.set_state("closed", by="hub stopped")


def known_keys(models: Iterable[type[BaseModel]]) -> dict[str, list[type[BaseModel]]]:
    """Each key a ``[rooms.<name>]`` table may hold, with the models that read it."""
    keys: dict[str, list[type[BaseModel]]] = {}
    for model in models:
        for key, info in model.model_fields.items():
            keys.setdefault(info.alias or key, []).append(model)
    return keys


def build_rooms(tables: dict[str, dict[str, Any]], models: Iterable[type[BaseModel]], *,
                bound: Iterable[str] = (), hub_locale: str = "zh-CN", source: str = "<defaults>",
                backends: Iterable[tuple[str, str]] | None = None) -> Rooms:
    """Validate every ``[rooms.<name>]`` table against ``models`` and make the rooms (plus the ``bound``
    ones, with defaults); with ``backends`` (the registered ``(kind, name)`` pairs), check the settings that
    name one (:func:`check_backend_names`). Raises one :class:`ConfigError` listing every problem."""
    rooms = Rooms(models, hub_locale=hub_locale)
    keys = known_keys(rooms.models)
    problems: list[str] = []
    for name, table in tables.items():
        if not ROOM_NAME.match(name):
            problems.append(f"rooms.{name}: room names are 1-64 letters, digits, '-' or '_'")
            continue
        for key in table:
            if key not in keys:
                problems.append(f"rooms.{name}.{key}: unknown key (known: {', '.join(sorted(keys))})")
        validated: dict[type[BaseModel], BaseModel] = {}
        for model in rooms.models:
            fields = {k: v for k, v in table.items() if k in keys and model in keys[k]}
            try:
                validated[model] = model.model_validate(fields)
            except ValidationError as exc:
                problems.extend(format_validation_error(exc, f"rooms.{name}"))
        rooms.add(Room(name, validated, configured=True, hub_locale=hub_locale))
    if problems:
        raise ConfigError(sorted(dict.fromkeys(problems)), file=source)
    for name in bound:
        rooms.ensure(name)
    if backends is not None:
        check_backend_names(rooms, backends, source=source)
    return rooms


def check_backend_names(rooms: Rooms, backends: Iterable[tuple[str, str]], *, source: str = "<defaults>") -> None:
    """Check every room setting that names a backend against the registered ``(kind, name)`` pairs. A room
    model's field names one when its ``json_schema_extra`` says ``{"backend": "<kind>"}`` (a name or a list of
    names). Raises one :class:`ConfigError` naming each key, e.g. ``rooms.main.scene: unknown scene backend``."""
    known: dict[str, list[str]] = {}
    for kind, name in backends:
        known.setdefault(kind, []).append(name)
    problems: list[str] = []
    for room in rooms:
        for value in room._models.values():
            for key, info in type(value).model_fields.items():
                extra = info.json_schema_extra
                kind = extra.get("backend") if isinstance(extra, dict) else None
                chosen = getattr(value, key, None)
                if not isinstance(kind, str) or chosen is None:
                    continue
                for name in chosen if isinstance(chosen, list) else [chosen]:
                    if name not in known.get(kind, []):
                        problems.append(f"rooms.{room.name}.{key}: unknown {kind} backend {name!r} "
                                        f"(known: {', '.join(known.get(kind, [])) or 'none'})")
    if problems:
        raise ConfigError(problems, file=source)


def bind_connectors(rooms: Rooms, connectors: dict[str, tuple[Any, Any]], *, source: str = "<defaults>"
                    ) -> list[str]:
    """Bind each platform connector to its ``room`` and check that each room's ``shop`` names a catalog
    connector; returns the catalog connectors' names in config order (the first is the default shop).
    ``connectors`` maps a name to its (spec, validated settings). Raises :class:`ConfigError`."""
    for name, (spec, cfg) in connectors.items():
        room = getattr(cfg, "room", None)
        if spec.kind == "platform" and isinstance(room, str):
            rooms[room].bindings.append(name)
    shops = [name for name, (spec, _) in connectors.items() if spec.kind == "catalog"]
    wrong = [f"rooms.{room.name}.shop: {room.shop!r} is not a catalog connector (configured: "
             f"{', '.join(shops) or 'none'})" for room in rooms if room.shop is not None and room.shop not in shops]
    if wrong:
        raise ConfigError(wrong, file=source)
    return shops
