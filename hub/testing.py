"""Testing helpers for plugin authors; also a pytest plugin (entry point ``pytest11``).

The module imports without pytest (benchmarks and tools use its helpers); the fixtures exist only
where pytest is installed, the async ones where pytest-asyncio is too.

Fixtures:

* ``hub`` — a started :class:`hub.app.Hub` on in-memory SQLite with no web server and no network;
* ``make_hub`` — an async context manager factory for hubs with your own plugins and config;
* ``standin`` — an async factory starting the registered stand-in of a system on a free port
  (:mod:`hub.standin`); every stand-in it started is stopped after the test.

Helpers:

* :func:`register_plugin` — register a plugin on a running hub for the duration of a ``with`` block;
* :func:`feed` — publish events; :func:`collect` — gather what the hub emits; :func:`wait_for` — poll;
* :func:`comment` and :func:`make_event` — build events with test defaults;
* :class:`StepClock` — a clock whose time moves only by what is slept on it (rate limits, cool-downs and
  timelines run at once, with exact timings);
* :func:`post_events`, :func:`sent` and :func:`fault` — drive a stand-in through its control API
  (viewers write, what the hub sent, forced disconnects, outages and rate limits);
* :func:`platform_hub`, :func:`stored_ids` and :func:`fast_retries` — a whole hub (web server, catalog,
  SQLite file) with a platform connector pointed at its stand-in; the stored message ids to count; quick
  reconnects for tests that force many disconnects;
* :data:`CORE_PLUGINS` — the core's own built-in plugins only (no answering, no media): pass it as
  ``builtins=`` to ``make_hub`` when a test should see only what its own plugin does.

Example::

    async def test_my_plugin(make_hub):
        async with make_hub(plugins=[("mine", MyPlugin())]) as hub:
            with collect(hub, types={"reply"}) as replies:
                await feed(hub, comment("1号链接多少钱"))
                await wait_for(lambda: replies)

A connector against its stand-in (``PLUGINS = [("acme", livehub_acme)]``; without ``plugins=`` the
fixture finds stand-ins among the built-in and installed plugins)::

    async def test_comments_arrive(standin, make_hub):
        platform = await standin("acme", plugins=PLUGINS)
        config = {"connectors": {"acme": platform.connector_config(room="main")}}
        async with make_hub(plugins=PLUGINS, builtins=CORE_PLUGINS, config=config) as hub:
            with collect(hub, types={"comment"}) as seen:
                await post_events(platform, comment("多少钱"))
                await wait_for(lambda: seen)
            await fault(platform, "disconnect")
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from hub.app import Hub
from hub.config import load_config
from hub.events import Comment, Event, User, from_dict
from hub.plugins import BUILTIN_PLUGINS
from hub.registry import collect as collect_registry
from hub.standin import Standin
from hub.standin_control import StandinControl, create_standin

try:
    import pytest
except ImportError:  # benchmarks and tools use the helpers without pytest installed
    pytest = None  # type: ignore[assignment]

try:
    import pytest_asyncio

    _async_fixture = pytest_asyncio.fixture if pytest is not None else None
except ImportError:  # pragma: no cover - integrators without pytest-asyncio get sync fixtures only
    _async_fixture = None

MEMORY_DB = "sqlite+aiosqlite:///:memory:"
CORE_PLUGINS: tuple[str, ...] = tuple(p for p in BUILTIN_PLUGINS if p.startswith("hub."))
"""The core's own built-in plugins (API, recorder, rooms...): no connectors, no answering, no media."""
_ids = itertools.count(1)


def config_for_tests(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Config for tests: in-memory SQLite, web server and scheduler off (turn them on in ``overrides``)."""
    data: dict[str, Any] = {"hub": {"database_url": MEMORY_DB, "shutdown_timeout": 10},
                            "web": {"enabled": False, "port": 0}, "scheduler": {"enabled": False}}
    for section, table in (overrides or {}).items():
        if isinstance(table, dict) and isinstance(data.get(section), dict):
            data[section] = {**data[section], **table}
        else:
            data[section] = table
    return data


@contextlib.asynccontextmanager
async def running_hub(*, plugins: Iterable[tuple[str, Any]] = (), config: dict[str, Any] | None = None,
                      builtins: Iterable[str] = BUILTIN_PLUGINS) -> AsyncIterator[Hub]:
    """Start a hub with ``plugins`` (``(name, plugin)`` pairs) added to ``builtins``; stop it after."""
    hub = Hub(load_config(data=config_for_tests(config), env=False), extra_plugins=plugins,
              builtins=builtins, autoload=False)
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


@contextlib.contextmanager
def register_plugin(hub: Hub, plugin: Any, name: str | None = None) -> Iterator[str]:
    """Register ``plugin`` on a running hub for the block; its startup and shutdown hooks run.

    Routes it registers are not mounted (the web server is already running); use :func:`running_hub`
    with ``plugins=`` for those.
    """
    name = name or getattr(plugin, "PLUGIN_NAME", None) or f"test-plugin-{next(_ids)}"
    hub.plugins.register(plugin, name)
    hub.registry = collect_registry(hub.plugins)
    startup = getattr(plugin, "livehub_startup", None)
    if startup is not None:
        _run_now(hub, startup, "startup")
    try:
        yield name
    finally:
        shutdown = getattr(plugin, "livehub_shutdown", None)
        if shutdown is not None:
            _run_now(hub, shutdown, "shutdown")
        hub.plugins.unregister(name)
        hub.registry = collect_registry(hub.plugins)


def _run_now(hub: Hub, func: Callable[..., Any], what: str) -> None:
    result = func(hub=hub) if "hub" in inspect.signature(func).parameters else func()
    if inspect.isawaitable(result):
        hub.create_task(_await(result), name=f"test-plugin-{what}-{next(_ids)}")


async def _await(awaitable: Any) -> None:
    await awaitable


async def feed(hub: Hub, *events: Event | dict[str, Any]) -> None:
    """Publish ``events`` (objects or dicts in the wire format) as a platform connector would."""
    for event in events:
        await hub.publish(event if isinstance(event, Event) else from_dict(event))


@contextlib.contextmanager
def collect(hub: Hub, types: Iterable[str] | None = None) -> Iterator[list[Event]]:
    """Collect every event (of ``types``) the bus delivers during the block into a list."""
    seen: list[Event] = []
    sub = hub.bus.subscribe(f"test-collector-{next(_ids)}", seen.append, types=types, maxsize=1_000_000)
    try:
        yield seen
    finally:
        hub.create_task(hub.bus.unsubscribe(sub, timeout=1.0), name=f"test-unsubscribe-{sub.name}")


class StepClock:
    """A :class:`hub.clock.Clock` whose time moves only by what is slept on it, at once: a timeline, a rate
    limit or a breaker's cool-down runs as fast as the code allows, with exact timings. ``sleeps``
    records every sleep asked for."""

    def __init__(self, t: float = 0.0) -> None:
        self.t = t
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)


async def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            message = f"condition not met within {timeout} s: {getattr(predicate, '__name__', predicate)}"
            if pytest is None:
                raise AssertionError(message)
            pytest.fail(message)
        await asyncio.sleep(interval)


def comment(text: str, *, user: str = "viewer-1", name: str = "", room: str = "test-room",
            platform: str = "test", message_id: str | None = None, **kwargs: Any) -> Comment:
    """A viewer comment with test defaults; the message id is unique unless given."""
    return Comment(platform=platform, room=room, user=User(user, name or user), text=text,
                   message_id=message_id or f"msg-{next(_ids)}", platform_ts=time.time(), **kwargs)


def make_event(type: str, **fields: Any) -> Event:
    """Any event from its wire-format ``type`` and fields, with test platform and room defaults."""
    fields.setdefault("platform", "test")
    fields.setdefault("room", "test-room")
    return from_dict({"type": type, **fields})


def _control(target: Standin | str) -> StandinControl:
    return target.control() if isinstance(target, Standin) else StandinControl(target)


async def post_events(target: Standin | str, *events: Event | dict[str, Any], room: str | None = None) -> list[Any]:
    """Viewers do ``events`` on the stand-in ``target`` (a :class:`Standin` or its URL); returns them as
    the platform encoded them. ``Event`` objects lose their hub-side ``platform``/``room``/``id``; the
    stand-in puts them in its default platform room unless ``room`` names another."""
    return await _control(target).post_events(*events, room=room)


async def sent(target: Standin | str, kind: str | None = None) -> list[dict[str, Any]]:
    """What the hub sent to the stand-in's platform (``kind`` "chat" for chat messages only)."""
    return await _control(target).sent(kind)


async def fault(target: Standin | str, kind: str, **params: Any) -> dict[str, Any]:
    """Force a fault on the stand-in: ``"disconnect"``, ``"outage"`` (``seconds=``), ``"rate_limit"``
    (``count=``) or ``"reconnect"`` (the platform's own reconnect request)."""
    return await _control(target).fault(kind, **params)


# -- a platform connector against its stand-in, in a whole hub --------------------------------------------

STARTER_CATALOG = Path(__file__).resolve().parent / "starter" / "catalog.json"


def fast_retries(monkeypatch: Any, *connector_classes: type) -> None:
    """Reconnect after tens of milliseconds instead of seconds (a test forcing twenty disconnects);
    ``monkeypatch`` is pytest's fixture, so the classes are restored after the test."""
    for cls in connector_classes:
        monkeypatch.setattr(cls, "backoff_base", 0.02)
        monkeypatch.setattr(cls, "backoff_cap", 0.2)


def platform_config(folder: Path, platform: Standin, name: str, **settings: Any) -> dict[str, Any]:
    """A hub config: a SQLite file in ``folder``, the web server on a free port, the starter catalog, and
    connector ``name`` pointed at the stand-in ``platform`` (``settings`` added), feeding room ``main``."""
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{folder / 'hub.db'}"},
            "web": {"enabled": True, "port": 0},
            "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER_CATALOG)},
                           name: {**platform.connector_config(room="main"), **settings}},
            "rooms": {"main": {"locale": "zh-CN"}}}


@contextlib.asynccontextmanager
async def platform_hub(folder: Path, platform: Standin, name: str, *, ready: bool = True,
                       plugins: dict[str, Any] | None = None, **settings: Any) -> AsyncIterator[Hub]:
    """A started hub of :func:`platform_config` (``plugins``: ``[plugins.x]`` tables) whose connector
    ``name`` is ready (unless ``ready=False``)."""
    config = platform_config(folder, platform, name, **settings)
    if plugins:
        config["plugins"] = plugins
    async with running_hub(config=config) as started:
        connector = started.connectors[name]
        if ready and not await connector.wait_ready(15):
            raise AssertionError(f"connector {name} is not ready: {connector.status()}")
        yield started


def shop_config(folder: Path, shop: Standin, name: str = "shop", **settings: Any) -> dict[str, Any]:
    """A hub config: a SQLite file in ``folder``, the web server on a free port (webhooks reach it), and
    catalog connector ``name`` pointed at the shop stand-in ``shop`` (``settings`` added), which room
    ``main`` sells from."""
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{folder / 'hub.db'}"},
            "web": {"enabled": True, "port": 0},
            "connectors": {name: {**shop.connector_config(), **settings}},
            "rooms": {"main": {"locale": "en", "shop": name}}}


@contextlib.asynccontextmanager
async def shop_hub(folder: Path, shop: Standin, name: str = "shop", *, ready: bool = True,
                   **settings: Any) -> AsyncIterator[Hub]:
    """A started hub of :func:`shop_config` whose shop connector has synced (unless ``ready=False``)."""
    async with running_hub(config=shop_config(folder, shop, name, **settings)) as started:
        connector = started.connectors[name]
        if ready and not await connector.wait_ready(60):
            raise AssertionError(f"shop {name} is not ready: {connector.status()}")
        yield started


async def stored_ids(hub: Hub, platform: str, *types: str, room: str = "main") -> list[str]:
    """The message ids of ``platform``'s stored events of ``types`` in ``room``, repeats included (count
    them: none lost, none twice)."""
    ids: list[str] = []
    for kind in types:
        rows = await hub.storage.recent_events(limit=1_000_000, type=kind, room=room)
        ids += [row["message_id"] for row in rows if row["platform"] == platform]
    return ids


if _async_fixture is not None:

    @_async_fixture
    async def hub() -> AsyncIterator[Hub]:
        """A started hub: in-memory SQLite, built-in plugins, no web server, no network."""
        async with running_hub() as started:
            yield started

    @pytest.fixture
    def make_hub() -> Callable[..., Any]:
        """``async with make_hub(plugins=[...], config={...}) as hub:`` — a hub of your own."""
        return running_hub

    @_async_fixture
    async def standin() -> AsyncIterator[Callable[..., Awaitable[Standin]]]:
        """``platform = await standin("acme", plugins=[...], port=0)`` — the registered stand-in of a
        system, started on a free port; stopped after the test. ``plugins`` are ``(name, plugin)``
        pairs as ``make_hub`` takes them (default: the built-in and installed plugins)."""
        started: list[Standin] = []

        async def start(system: str, *, plugins: Iterable[tuple[str, Any]] = (), **options: Any) -> Standin:
            platform = create_standin(system, plugins=plugins, **options)
            started.append(platform)
            return await platform.start()

        try:
            yield start
        finally:
            for platform in reversed(started):
                await platform.stop()
