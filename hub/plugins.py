"""The plugin manager: built-ins from one list, third-party plugins from the ``livehub`` entry points.

Built-in plugins are registered exactly as third-party ones are: by importing a module and registering
it with pluggy. A plugin that fails to import (or, later, to start) is recorded with its name, stage and
error, and the hub goes on without it. ``LIVEHUB_DISABLE_PLUGIN_AUTOLOAD=1`` turns entry-point loading
off; ``[plugins.<name>] enabled = false`` disables one plugin by name.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy

from hub import hookspecs
from hub.errors import PluginError

log = logging.getLogger("livehub.plugins")

ENTRY_POINT_GROUP = "livehub"
AUTOLOAD_ENV = "LIVEHUB_DISABLE_PLUGIN_AUTOLOAD"

# The one list of built-in plugins: module paths, registered in this order.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "hub.builtin.token_auth",
    "hub.builtin.recorder",
    "hub.builtin.event_hooks",
    "hub.builtin.status_api",
    "hub.builtin.event_api",
    "hub.builtin.schedule_api",
    "hub.builtin.cluster_api",
    "hub.builtin.tenants_api",
    "hub.builtin.rooms",
    "hub.builtin.shops",
    "hub.builtin.crm_api",
    "hub.builtin.standin_cli",
    "hub.builtin.scaffold_cli",
    "connectors.catalog_file",
    "connectors.crm_builtin",
    "connectors.shopify",
    "connectors.woocommerce",
    "connectors.hubspot",
    "connectors.salesforce",
    "connectors.local",
    "connectors.douyin",
    "connectors.tiktok",
    "connectors.bilibili",
    "connectors.twitch",
    "connectors.youtube",
    "connectors.kuaishou",
    "connectors.vtube_studio",
    "connectors.talking_head",
    "plugins.llm_catalog",
    "plugins.llm_openai",
    "plugins.llm_langchain",
    "plugins.guardrails",
    "plugins.triage",
    "plugins.replay",
    "plugins.voice_espeak",
    "plugins.voice_edge",
    "plugins.asr_openai",
    "plugins.avatar_sprite",
    "plugins.scene_studio",
    "plugins.output_rtmp",
    "plugins.output_file",
    "plugins.output_webrtc",
    "plugins.overlay",
    "plugins.media_cli",
    "plugins.show_runner",
    "plugins.sales",
    "plugins.customers",
    "plugins.reports",
    "plugins.content_copy",
    "plugins.content_video",
    "plugins.content_clip",
    "plugins.campaigns",
    "plugins.channel_email",
    "plugins.channel_webhook",
    "plugins.channel_crm",
    "plugins.channel_bundle",
    "plugins.channel_tiktok",
    "plugins.console",
    "plugins.talk",
    "plugins.demo",
)


@dataclass
class PluginInfo:
    """What ``livehub plugins`` and ``/api/v1/plugins`` show about one plugin."""

    name: str
    source: str
    status: str = "loaded"  # loaded | disabled | failed
    error: str = ""
    stage: str = ""
    hooks: list[str] = field(default_factory=list)
    description: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "status": self.status, "error": self.error,
                "stage": self.stage, "hooks": self.hooks, "description": self.description}


def plugin_name(obj: Any, default: str) -> str:
    """A plugin's name: its ``PLUGIN_NAME`` attribute, else ``default``."""
    return str(getattr(obj, "PLUGIN_NAME", "") or default)


class PluginManager:
    """Wraps a pluggy manager (one per hub, never global) and keeps every plugin's status."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet  # failures are recorded but not logged (the caller reports them)
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}

    @property
    def hook(self) -> Any:
        return self.pm.hook

    # -- loading --------------------------------------------------------------------------------

    def load(self, *, enabled: Any = None, builtins: Iterable[str] = BUILTIN_PLUGINS,
             autoload: bool | None = None) -> None:
        """Register built-ins, then entry-point plugins. ``enabled(name)`` decides per plugin."""
        is_enabled = enabled or (lambda name: True)
        for path in builtins:
            self._load_module(path, source="builtin", is_enabled=is_enabled)
        if autoload is None:
            autoload = os.environ.get(AUTOLOAD_ENV, "") not in ("1", "true", "yes")
        if autoload:
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                dist = getattr(ep.dist, "name", "?") if ep.dist else "?"
                self._load_entry_point(ep, source=f"entry point ({dist})", is_enabled=is_enabled)

    def _load_module(self, path: str, *, source: str, is_enabled: Any) -> None:
        default = path.rsplit(".", 1)[-1]
        try:
            module = importlib.import_module(path)
        except Exception as exc:
            self.record_failure(PluginError(default, "import", exc), source=source)
            return
        self.register(module, plugin_name(module, default), source=source, is_enabled=is_enabled)

    def _load_entry_point(self, ep: Any, *, source: str, is_enabled: Any) -> None:
        if ep.name in self.infos:
            return
        try:
            obj = ep.load()
        except Exception as exc:
            self.record_failure(PluginError(ep.name, "import", exc), source=source)
            return
        if inspect.isclass(obj):
            obj = obj()
        self.register(obj, ep.name, source=source, is_enabled=is_enabled)

    def register(self, plugin: Any, name: str, *, source: str = "runtime", is_enabled: Any = None) -> str:
        """Register ``plugin`` (a module or object with hookimpls) as ``name``."""
        if name in self.infos and self.infos[name].status == "loaded":
            raise ValueError(f"a plugin named {name!r} is already registered")
        doc = (inspect.getdoc(plugin) or "").strip().splitlines()
        info = PluginInfo(name=name, source=source, description=doc[0] if doc else "")
        self.infos[name] = info
        if is_enabled is not None and not is_enabled(name):
            info.status = "disabled"
            return name
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:  # bad hookimpl signature, unknown hook name...
            self.record_failure(PluginError(name, "register", exc), source=source)
            return name
        info.hooks = sorted(impl_hooks(self.pm, name))
        return name

    def unregister(self, name: str) -> None:
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin, name=name)
        self.infos.pop(name, None)

    def record_failure(self, error: PluginError, *, source: str | None = None) -> None:
        """Mark ``error.plugin`` failed, unregister it and log once; the hub goes on without it."""
        info = self.infos.get(error.plugin) or PluginInfo(name=error.plugin, source=source or "runtime")
        info.status, info.stage, info.error = "failed", error.stage, error.error
        self.infos[error.plugin] = info
        plugin = self.pm.get_plugin(error.plugin)
        if plugin is not None:
            self.pm.unregister(plugin, name=error.plugin)
        if not self.quiet:
            log.error("%s", error)

    # -- introspection --------------------------------------------------------------------------

    def loaded(self) -> list[str]:
        """Names of registered plugins in registration order."""
        return [name for name, info in self.infos.items() if info.status == "loaded"]

    def failures(self) -> list[PluginInfo]:
        return [info for info in self.infos.values() if info.status == "failed"]

    def describe(self) -> list[dict[str, Any]]:
        return [info.as_dict() for info in self.infos.values()]


def impl_hooks(pm: pluggy.PluginManager, name: str) -> list[str]:
    plugin = pm.get_plugin(name)
    if plugin is None:
        return []
    return [caller.name for caller in pm.get_hookcallers(plugin) or []]


def module_of(plugin: Any) -> ModuleType | None:
    return plugin if isinstance(plugin, ModuleType) else inspect.getmodule(plugin)
