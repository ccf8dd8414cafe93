"""Typed slots: where plugins keep the objects they own on the hub or on a room, keyed by class.

The hub (``hub.slots``) and every room (``room.slots``) carry one :class:`Slots`. A plugin stores its
per-hub service or per-room state under its own class, and reads it back typed::

    engine = room.slots.setdefault(RoomEngine, lambda: RoomEngine(...))
    service = hub.slots.get(TriageService)

Shared interfaces (:mod:`hub.interfaces`) are provided under the interface class, so another plugin finds
the implementation without importing the providing plugin::

    hub.slots.provide(AnswerQueue, service)          # the provider, at startup
    queue = hub.slots.require(AnswerQueue)           # any consumer

This replaces module-level weak-keyed side tables: what a plugin keeps lives exactly as long
as the object (hub or room) it belongs to, and ``livehub`` can show what every room holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

T = TypeVar("T")


class MissingSlot(LookupError):
    """A required slot is empty: the plugin that fills it is missing, disabled or not started."""


class Slots:
    """Objects keyed by their class (or by the interface they provide). Not thread-safe: loop only."""

    __slots__ = ("_items", "_owner")

    def __init__(self, owner: str = "") -> None:
        self._owner = owner
        self._items: dict[type, Any] = {}

    def get(self, key: type[T]) -> T | None:
        """The object under ``key``, or None."""
        return cast("T | None", self._items.get(key))

    def require(self, key: type[T]) -> T:
        """The object under ``key``; :class:`MissingSlot` naming what is missing when empty."""
        try:
            return cast(T, self._items[key])
        except KeyError:
            where = f" on {self._owner}" if self._owner else ""
            hint = getattr(key, "provided_by", "")
            hint = f" (provided by the {hint} plugin: is it installed and enabled?)" if hint else ""
            raise MissingSlot(f"nothing provides {key.__name__}{where}{hint}") from None

    def set(self, key: type[T], value: T) -> T:
        """Put ``value`` under ``key`` (replacing what was there) and return it."""
        self._items[key] = value
        return value

    provide = set

    def setdefault(self, key: type[T], factory: Callable[[], T]) -> T:
        """The object under ``key``, made by ``factory()`` and stored on first use."""
        try:
            return cast(T, self._items[key])
        except KeyError:
            value = self._items[key] = factory()
            return value

    def pop(self, key: type[T]) -> T | None:
        """Remove and return the object under ``key`` (None when empty)."""
        return cast("T | None", self._items.pop(key, None))

    def discard(self, key: type, value: Any) -> None:
        """Remove ``key`` only while it still holds ``value`` (a stopping owner leaves a newer one alone)."""
        if self._items.get(key) is value:
            del self._items[key]

    def __contains__(self, key: type) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[type]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def names(self) -> list[str]:
        """The slot keys' names, for status pages."""
        return sorted(key.__name__ for key in self._items)
