"""Find, build and drive stand-ins from outside (:mod:`hub.standin`).

:func:`find_standin` and :func:`create_standin` look a stand-in up among the registered plugins, as
``livehub standin`` and ``hub.testing``'s ``standin`` fixture do. :class:`StandinControl` is a client of
the shared control API (``/_standin/...``): it drives any stand-in the same way, in this process or
another (``livehub standin acme`` in a terminal)::

    control = StandinControl("http://127.0.0.1:8765")
    await control.post_events({"type": "comment", "text": "多少钱", "user": {"id": "u1", "name": "Ann"}})
    await control.fault("disconnect")
    chats = await control.sent("chat")

Events may be :class:`hub.events.Event` objects (from ``hub.testing.comment`` and the like) or dicts in
the hub's event JSON; the hub-side fields ``platform``, ``room``, ``id`` and ``received_ts`` of an
``Event`` object are left out, so the stand-in fills in its own system and default room.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import aiohttp

from hub.events import Event, to_dict

if TYPE_CHECKING:
    from hub.specs import StandinSpec
    from hub.standin import Standin

_HUB_SIDE = ("platform", "room", "id", "received_ts")


class StandinError(Exception):
    """The control API refused a request; the message is the stand-in's reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def event_json(event: Event | dict[str, Any], room: str | None = None) -> dict[str, Any]:
    """``event`` as the control API takes it (see the module docstring); ``room`` sets the platform room."""
    if isinstance(event, Event):
        data = {k: v for k, v in to_dict(event).items() if k not in _HUB_SIDE and v is not None}
    else:
        data = dict(event)
    if room is not None:
        data["room"] = room
    return data


class StandinControl:
    """The control API of the stand-in at ``url`` (``http://host:port``)."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def _call(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        async with aiohttp.ClientSession(timeout=self.timeout) as session:
            async with session.request(method, f"{self.url}/_standin/{path}", json=body,
                                       params=params or None) as response:
                text = await response.text()
                try:
                    data = json.loads(text) if text else None
                except ValueError:  # not a stand-in's answer (a proxy's page, a plain 404): say what came
                    raise StandinError(response.status, text[:200] or str(response.reason)) from None
                if response.status >= 400:
                    message = data.get("error", "") if isinstance(data, dict) else str(data)
                    raise StandinError(response.status, message)
                return data

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        """Any control route of this stand-in, e.g. a shop's ``call("POST", "shop/updates", {"count": 10})``."""
        return await self._call(method, path.lstrip("/"), body)

    async def post_events(self, *events: Event | dict[str, Any], room: str | None = None) -> list[Any]:
        """Have viewers do ``events`` on the platform; return them as the platform encoded them."""
        data = await self._call("POST", "events", [event_json(e, room) for e in events])
        return data["messages"]

    async def sent(self, kind: str | None = None) -> list[dict[str, Any]]:
        """What the hub sent to the platform (only ``kind``, e.g. "chat", if given)."""
        data = await self._call("GET", "sent", **({"kind": kind} if kind else {}))
        return data["sent"]

    async def clear_sent(self) -> int:
        return (await self._call("DELETE", "sent"))["cleared"]

    async def fault(self, kind: str, **params: Any) -> dict[str, Any]:
        """Force a fault: ``fault("disconnect")``, ``fault("outage", seconds=5)``,
        ``fault("rate_limit", count=3)``."""
        return await self._call("POST", "faults", {"kind": kind, **params})

    async def state(self) -> dict[str, Any]:
        return await self._call("GET", "state")


class UnknownStandin(LookupError):
    """No installed plugin registers a stand-in of that system; the message lists the known ones."""


def find_standin(system: str, *, plugins: Iterable[tuple[str, Any]] = (),
                 autoload: bool | None = None) -> tuple[str, StandinSpec]:
    """The ``(plugin name, spec)`` registering the stand-in of ``system``.

    Looks among the built-in plugins and, as ``livehub plugins`` does, the installed ``livehub`` entry
    points; with ``plugins`` (``(name, module)`` pairs, as ``make_hub`` takes them) among the built-ins
    and those only, unless ``autoload`` says otherwise.
    """
    standins = registered_standins(plugins=plugins, autoload=autoload)
    if system not in standins:
        known = ", ".join(sorted(standins)) or "none (no installed plugin registers one)"
        raise UnknownStandin(f"no stand-in of {system!r}; known stand-ins: {known}")
    return standins[system]


def registered_standins(*, plugins: Iterable[tuple[str, Any]] = (),
                        autoload: bool | None = None) -> dict[str, tuple[str, StandinSpec]]:
    """Every registered stand-in, ``{system: (plugin name, spec)}`` (see :func:`find_standin`)."""
    from hub.plugins import PluginManager
    from hub.registry import collect

    extra = list(plugins)
    manager = PluginManager(quiet=True)
    manager.load(autoload=False if extra and autoload is None else autoload)  # None: the environment says
    for name, plugin in extra:
        if name not in manager.loaded():
            manager.register(plugin, name, source="runtime")
    return collect(manager).standins


def create_standin(system: str, *, plugins: Iterable[tuple[str, Any]] = (), autoload: bool | None = None,
                   **options: Any) -> Standin:
    """Build (not start) the registered stand-in of ``system``; ``options`` go to its factory
    (``port=``, ``host=`` and the stand-in's own)."""
    _, spec = find_standin(system, plugins=plugins, autoload=autoload)
    return spec.factory(**options)
