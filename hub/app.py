"""The Hub: builds the plugin manager, config, bus, storage, scheduler and web server, and runs them.

Start order: storage → bus → scheduler → plugins' ``livehub_startup`` → connectors → web server.
Stop runs the same steps in reverse, so the web server stops taking requests first and the bus drains
every accepted event into storage before the database closes.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Gauge

from hub.bus import EventBus
from hub.catalog import Catalog
from hub.config import HubConfig, safe_database_url
from hub.connector import Connector
from hub.dependencies import dependents_of, missing_requirements, start_order
from hub.errors import ConfigError, PluginError
from hub.events import Event
from hub.interfaces import EventStore
from hub.plugins import BUILTIN_PLUGINS, PluginManager
from hub.registry import PluginSettings, Registry, collect, validate_plugin_sections
from hub.rooms import Rooms, bind_connectors, build_rooms
from hub.shop import CatalogConnector
from hub.slots import Slots

log = logging.getLogger("livehub")


class Hub:
    """One running hub. Create, :meth:`build` (sync: plugins and config), then ``await start()``."""

    def __init__(self, config: HubConfig, *, plugins: PluginManager | None = None,
                 extra_plugins: Iterable[tuple[str, Any]] = (), builtins: Iterable[str] = BUILTIN_PLUGINS,
                 autoload: bool | None = None, web: bool | None = None) -> None:
        self.config = config
        self.plugins = plugins or PluginManager()
        self._builtins, self._autoload, self._extra = tuple(builtins), autoload, list(extra_plugins)
        self.metrics = CollectorRegistry()
        self.bus = EventBus(self.metrics, on_error=self.report_error)
        self.registry = Registry()
        self.settings = PluginSettings()
        self.connectors: dict[str, Connector] = {}
        self.slots = Slots(owner="the hub")  # per-hub objects of plugins and the interfaces they provide
        self.rooms = Rooms(hub_locale=config.hub.locale)
        self._shops: list[str] = []  # the catalog connectors, in config order (the first is the default)
        self.plugin_order: list[str] = []  # start order (dependencies first); shutdown runs it reversed
        self._started_plugins: list[str] = []
        self.storage: Any = None
        self.scheduler: Any = None
        self.web: Any = None
        self.cluster: Any = None  # hub.cluster.node.ClusterNode while [cluster] enabled
        self.web_enabled = config.web.enabled if web is None else web
        self.started_at: float | None = None
        self.ready = False
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._stack: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        self._built = False
        self._metrics: dict[str, Any] = {}
        self._froze_gc = False  # see start()
        Gauge("livehub_up", "1 while the hub is ready", registry=self.metrics).set_function(
            lambda: 1.0 if self.ready else 0.0)

    # -- building (sync) ------------------------------------------------------------------------

    def build(self) -> Hub:
        """Load plugins, collect what they register and validate their config. Raises ConfigError."""
        if self._built:
            return self
        if not self.plugins.infos:
            self.plugins.load(enabled=self.config.plugin_enabled, builtins=self._builtins,
                              autoload=self._autoload)
        for name, plugin in self._extra:
            self.plugins.register(plugin, name, source="runtime", is_enabled=self.config.plugin_enabled)
        self.registry = collect(self.plugins)
        self.settings = validate_plugin_sections(self.config, self.registry, self.plugins)
        if self._order_plugins():  # plugins failed with their requirements: forget what they registered
            self.registry = collect(self.plugins)
            self.settings = validate_plugin_sections(self.config, self.registry, self.plugins)
            self._order_plugins()
        bound = [getattr(cfg, "room", None) for _, cfg in self.settings.connectors.values()]
        self.rooms = build_rooms(self.config.rooms, [m for _, m in self.registry.room_models],
                                 bound=[r for r in bound if isinstance(r, str)], hub_locale=self.config.hub.locale,
                                 source=self.config.source, backends=self.registry.backends)
        self._shops = bind_connectors(self.rooms, self.settings.connectors, source=self.config.source)
        if self.web_enabled:
            from hub.web.common import bind_problem

            if problem := bind_problem(self.config.web):
                raise ConfigError(problem, file=self.config.source)
        self._built = True
        return self

    def _order_plugins(self) -> bool:
        """Check every declared requirement and compute :attr:`plugin_order` (raises ConfigError).

        A plugin whose requirement failed to load fails too; returns True when that happened (what the
        failed plugins registered must then be collected again without them)."""
        from hub import interfaces

        deps, loaded = self.registry.dependencies, self.plugins.loaded()
        status = {name: info.status for name, info in self.plugins.infos.items()}
        provided_by = {name: cls.provided_by for name, cls in vars(interfaces).items()
                       if isinstance(cls, type) and isinstance(getattr(cls, "provided_by", None), str)}
        problems, failed = [], []
        for plugin, need, why in missing_requirements(loaded, deps, status, provided_by):
            if why == "failed":
                failed.append((plugin, need))
                continue
            owner = provided_by.get(need, need)
            hint = f" ([plugins.{owner}] enabled = false)" if why == "disabled" else ""
            problems.append(f"plugins.{plugin}: requires {need!r}, which is {why}{hint}")
        if problems:
            raise ConfigError(problems, file=self.config.source)
        order = start_order(loaded, deps)
        for plugin, need in failed:  # a requirement failed to load: the dependent cannot run either
            for name in [plugin, *dependents_of([plugin], order, deps)]:
                if name in self.plugins.loaded():
                    self.plugins.record_failure(PluginError(name, "dependencies",
                                                            RuntimeError(f"requires {need!r}, which failed")))
        self.plugin_order = [name for name in order if name in self.plugins.loaded()]
        return bool(failed)

    def plugin_config(self, section: str) -> Any:
        """The validated settings of ``[plugins.<section>]`` (the model's defaults if absent)."""
        return self.settings.plugins.get(section)

    # -- running --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every part in order; a part that fails to start stops what already started."""
        self.build()
        self.started_at = time.time()
        try:
            await self._start_storage()
            await self.bus.start()
            self._stack.append(("bus", self._stop_bus))
            await self._start_scheduler()
            self._stack.append(("plugins", self._shutdown_plugins))
            await self._start_plugins()
            if self.scheduler is not None:  # missed jobs fire only once their job types' plugins run
                await self.scheduler.resume()
            self._start_connectors()
            if self.web_enabled:
                await self._start_web()
            if self.config.cluster.enabled:
                await self._start_cluster()
        except BaseException:
            await self.stop()
            raise
        self.ready = True
        # What exists now (about a million objects) lives as long as the hub: frozen, full collections
        # no longer walk it (measured: +4 % on the ingest benchmark). stop() gives it back.
        gc.freeze()
        self._froze_gc = True
        log.info("hub %s ready (database %s, plugins: %s)", self.config.hub.name,
                 safe_database_url(self.config.database_url), ", ".join(self.plugins.loaded()))

    async def _start_plugins(self) -> None:
        """Each plugin's ``livehub_startup`` in :attr:`plugin_order`; a failure fails its dependents."""
        impls = {impl.plugin_name: impl for impl in self.plugins.hook.livehub_startup.get_hookimpls()}
        for name in self.plugin_order:
            if name not in self.plugins.loaded():
                continue  # failed already, or failed with a dependency
            impl = impls.get(name)
            try:
                if impl is not None:
                    value = impl.function(**{arg: self for arg in impl.argnames})
                    if inspect.isawaitable(value):
                        await value
            except Exception as exc:
                self.plugins.record_failure(PluginError(name, "startup", exc))
                not_running = [n for n in self.plugin_order if n not in self.plugins.loaded()]
                for dependent in dependents_of(not_running, self.plugin_order, self.registry.dependencies):
                    if dependent in self.plugins.loaded():
                        self.plugins.record_failure(PluginError(
                            dependent, "dependencies", RuntimeError(f"requires {name!r}, which failed to start")))
                continue
            self._started_plugins.append(name)

    async def _start_storage(self) -> None:
        from hub.storage import Storage
        from hub.tenants import tenant_of_room

        self.storage = Storage(self.config.database_url, registry=self.metrics,
                               tenant_of=lambda target: tenant_of_room(self.config, target))
        try:
            await self.storage.start()
        except BaseException:  # unreachable, or start-up interrupted: close what the attempt opened
            await asyncio.shield(self.storage.stop())
            raise
        self._stack.append(("storage", self.storage.stop))

    async def _start_scheduler(self) -> None:
        if not self.config.scheduler.enabled:
            return
        from hub.scheduler import Scheduler

        self.scheduler = Scheduler(self, {n: j for n, (_, j) in self.registry.job_types.items()})
        await self.scheduler.start(paused=True)
        self._stack.append(("scheduler", self.scheduler.stop))

    def _start_connectors(self) -> None:
        """Every connector, except (in a cluster) those bound to a room: they run where the room runs."""
        bound = {name for room in self.rooms for name in room.bindings} if self.config.cluster.enabled else set()
        for name in self.settings.connectors:
            if name not in bound:
                self.start_connector(name)
        self._stack.append(("connectors", self._stop_connectors))

    def start_connector(self, name: str) -> Connector | None:
        """Create and supervise connector ``name`` (``[connectors.<name>]``) unless it runs already."""
        if name in self.connectors and f"connector:{name}" in self._tasks:
            return self.connectors[name]
        spec, cfg = self.settings.connectors[name]
        owner = self.registry.connectors[spec.type][0]
        if owner not in self.plugins.loaded():  # its plugin failed to start: the connector has nothing to run on
            log.error("connector %s not started: plugin %r failed", name, owner)
            return None
        try:
            connector = spec.factory(name, cfg, self)
            connector.type_name = spec.type  # type: ignore[attr-defined]
        except Exception as exc:
            self.report_error(exc, f"connector:{name}:create")
            return None
        self.connectors[name] = connector
        self.create_task(connector.supervise(), name=f"connector:{name}")
        return connector

    async def stop_connector(self, name: str) -> None:
        """Stop connector ``name`` (its cursor is stored) and forget it (a cluster moved its room away)."""
        await self.cancel_task(f"connector:{name}")
        self.connectors.pop(name, None)

    async def cancel_task(self, name: str) -> None:
        """Cancel the hub's task ``name`` (if it runs) and wait for it to end."""
        await self._cancel_tasks([name])

    async def _start_cluster(self) -> None:
        from hub.cluster.node import ClusterNode

        self.cluster = ClusterNode(self, self.config.cluster)
        await self.cluster.start()
        self._stack.append(("cluster", self.cluster.stop))

    async def _start_web(self) -> None:
        from hub.web import WebServer

        self.web = WebServer(self)
        await self.web.start()
        self._stack.append(("web", self.web.stop))

    async def stop(self) -> None:
        """Stop every started part in reverse order. Safe to call twice."""
        self.ready = False
        if self._froze_gc:  # what start() froze can be collected again once the hub is gone
            self._froze_gc = False
            gc.unfreeze()
        while self._stack:
            name, stop = self._stack.pop()
            try:
                await stop()
            except Exception as exc:
                self.report_error(exc, f"stop:{name}")
        await self._cancel_tasks(list(self._tasks))

    async def _stop_connectors(self) -> None:
        await self._cancel_tasks([n for n in self._tasks if n.startswith("connector:")])

    async def _shutdown_plugins(self) -> None:
        impls = {impl.plugin_name: impl for impl in self.plugins.hook.livehub_shutdown.get_hookimpls()}
        started, self._started_plugins = self._started_plugins, []
        for name in reversed(started):
            impl = impls.get(name)
            if impl is None:
                continue
            try:
                value = impl.function(**{arg: self for arg in impl.argnames})
                if inspect.isawaitable(value):
                    await value
            except Exception as exc:
                log.error("%s", PluginError(name, "shutdown", exc))
        self.rooms.close_all()
        # the scheduler's task stops cleanly in its own step, after this one
        await self._cancel_tasks([name for name in self._tasks if name != "scheduler"])

    async def _stop_bus(self) -> None:
        lost = await self.bus.stop(self.config.hub.shutdown_timeout)
        if lost:
            log.error("%d events were still queued when the bus stopped", lost)

    async def __aenter__(self) -> Hub:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- tasks ----------------------------------------------------------------------------------

    def create_task(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Start a named task the hub owns: its failure is reported and it is cancelled on stop."""
        if name in self._tasks and not self._tasks[name].done():
            coro.close()
            raise ValueError(f"a task named {name!r} is already running")
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks[name] = task
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        if self._tasks.get(task.get_name()) is task:
            del self._tasks[task.get_name()]
        if not task.cancelled() and task.exception() is not None:
            self.report_error(task.exception(), f"task:{task.get_name()}")  # type: ignore[arg-type]

    async def _cancel_tasks(self, names: list[str]) -> None:
        tasks = [self._tasks[n] for n in reversed(names) if n in self._tasks]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- events and errors ----------------------------------------------------------------------

    async def publish(self, event: Event) -> None:
        """Put ``event`` on the bus; once this returns, it is accepted (and will be stored)."""
        await self.bus.publish(event)

    def publish_nowait(self, event: Event) -> bool:
        return self.bus.publish_nowait(event)

    async def publish_stored(self, events: Iterable[Event], *, timeout: float | None = None) -> list[Event]:
        """Publish ``events`` in order; return once they are stored (safe to acknowledge against ``kill -9``):
        the events the database refused (normally none); without an EventStore, once the bus accepted them.
        TimeoutError when not stored within ``timeout`` s (they stay queued); BusClosed when the hub stops."""
        events = list(events)
        for event in events:
            await self.bus.publish(event)
        store = self.slots.get(EventStore)
        return [] if store is None else await store.stored(events, timeout)

    async def events_stored(self, *, timeout: float | None = None) -> None:
        """Return once every event published so far is stored (see :meth:`publish_stored`)."""
        store = self.slots.get(EventStore)
        if store is not None:
            await store.stored((), timeout)

    def report_error(self, error: BaseException, where: str) -> None:
        """Report a caught error through ``livehub_handle_exception``, else log it."""
        try:
            handled = self.plugins.hook.livehub_handle_exception(error=error, where=where, hub=self)
        except Exception:
            handled = None
        if not handled:
            log.error("%s: %s: %s", where, type(error).__name__, error,
                      exc_info=(type(error), error, error.__traceback__))

    # -- metrics and catalog ----------------------------------------------------------------------

    def metric(self, kind: type, name: str, documentation: str, labels: Iterable[str] = (), **kw: Any) -> Any:
        """The hub's metric ``name`` (a prometheus_client class such as Counter), created on first use."""
        if name not in self._metrics:
            self._metrics[name] = kind(name, documentation, list(labels), registry=self.metrics, **kw)
        return self._metrics[name]

    def shop(self, room: str | None = None) -> CatalogConnector | None:
        """The catalog connector ``room`` sells from (its ``shop``, else the first shop: the hub's default)."""
        name = None
        if room is not None and room in self.rooms:
            name = self.rooms[room].shop
        if name is None:
            name = next(iter(self._shops), None)
        connector = self.connectors.get(name) if name is not None else None
        return connector if isinstance(connector, CatalogConnector) else None

    def catalog(self, room: str | None = None) -> Catalog | None:
        """The last good catalog of the shop ``room`` sells from (:meth:`shop`); None before one loads."""
        shop = self.shop(room)
        return shop.catalog if shop is not None else None

    def shop_rooms(self, shop: str) -> list[str]:
        """The rooms that sell from catalog connector ``shop``."""
        default = next(iter(self._shops), None)
        return [room.name for room in self.rooms if (room.shop or default) == shop]

    # -- status ---------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """What ``/api/v1/status`` shows (:func:`hub.status.hub_status`). Never contains a secret."""
        from hub.status import hub_status

        return hub_status(self)
