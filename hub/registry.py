"""Collect what plugins register, attributed to each plugin, and validate plugin-owned config.

Hooks are called one implementation at a time (:func:`call_each`), so a plugin that raises in a
registration hook is reported and dropped, and every result is known to come from a named plugin.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from hub.config import BackendChoice, HubConfig, format_validation_error
from hub.errors import ConfigError, PluginError
from hub.plugins import PluginManager
from hub.specs import BackendKind, BackendSpec, ConnectorSpec, Dependencies, JobType, StandinSpec, WebRoute


def call_each(plugins: PluginManager, hook: str, on_error: Callable[[PluginError], None] | None = None,
              **kwargs: Any) -> list[tuple[str, Any]]:
    """Call every implementation of ``hook`` on its own; return ``[(plugin name, result)]``.

    Implementations run in pluggy's order. ``None`` results are skipped. A raising implementation is
    turned into a :class:`PluginError` and passed to ``on_error`` (default: record the plugin failed).
    """
    caller = getattr(plugins.pm.hook, hook)
    results: list[tuple[str, Any]] = []
    for impl in reversed(caller.get_hookimpls()):
        try:
            args = {name: kwargs[name] for name in impl.argnames}
            value = impl.function(**args)
        except Exception as exc:
            error = PluginError(impl.plugin_name, hook.removeprefix("livehub_"), exc)
            (on_error or plugins.record_failure)(error)
            continue
        if value is not None:
            results.append((impl.plugin_name, value))
    return results


async def await_each(plugins: PluginManager, hook: str, *, reverse: bool = False,
                     on_error: Callable[[PluginError], None] | None = None, **kwargs: Any) -> None:
    """Like :func:`call_each` for lifecycle and event hooks: awaitables are awaited one by one."""
    caller = getattr(plugins.pm.hook, hook)
    impls = caller.get_hookimpls()
    order = impls if reverse else list(reversed(impls))
    for impl in order:
        try:
            value = impl.function(**{name: kwargs[name] for name in impl.argnames})
            if inspect.isawaitable(value):
                await value
        except Exception as exc:
            error = PluginError(impl.plugin_name, hook.removeprefix("livehub_"), exc)
            (on_error or plugins.record_failure)(error)


@dataclass
class Registry:
    """Everything the loaded plugins provide, keyed and attributed."""

    config_models: dict[str, tuple[str, type[BaseModel]]] = field(default_factory=dict)
    connectors: dict[str, tuple[str, ConnectorSpec]] = field(default_factory=dict)
    backends: dict[tuple[str, str], tuple[str, BackendSpec]] = field(default_factory=dict)
    routes: list[tuple[str, WebRoute]] = field(default_factory=list)
    job_types: dict[str, tuple[str, JobType]] = field(default_factory=dict)
    room_models: list[tuple[str, type[BaseModel]]] = field(default_factory=list)
    dependencies: dict[str, Dependencies] = field(default_factory=dict)
    standins: dict[str, tuple[str, StandinSpec]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def provides(self, plugin: str) -> dict[str, list[str]]:
        """What ``plugin`` provides, by category, for ``livehub plugins``."""
        out: dict[str, list[str]] = {
            "config": [s for s, (p, _) in self.config_models.items() if p == plugin],
            "connectors": [t for t, (p, _) in self.connectors.items() if p == plugin],
            "backends": [f"{k}:{n}" for (k, n), (p, _) in self.backends.items() if p == plugin],
            "routes": [f"{r.method} {r.path}" for p, r in self.routes if p == plugin],
            "job_types": [n for n, (p, _) in self.job_types.items() if p == plugin],
            "room_settings": [m.__name__ for p, m in self.room_models if p == plugin],
            "standins": [s for s, (p, _) in self.standins.items() if p == plugin],
            "requires": list(self.dependencies[plugin].requires) if plugin in self.dependencies else [],
            "interfaces": list(self.dependencies[plugin].provides) if plugin in self.dependencies else [],
        }
        return {k: v for k, v in out.items() if v}


def _add_unique(table: dict, key: Any, plugin: str, value: Any, what: str, problems: list[str]) -> None:
    if key in table:
        problems.append(f"{what} {key!r} is registered by both {table[key][0]!r} and {plugin!r}")
    else:
        table[key] = (plugin, value)


def collect(plugins: PluginManager) -> Registry:
    """Call every registration hook and gather the results."""
    reg = Registry()
    for plugin, models in call_each(plugins, "livehub_config_models"):
        for section, model in dict(models).items():
            _add_unique(reg.config_models, section, plugin, model, "config section", reg.problems)
    for plugin, specs in call_each(plugins, "livehub_register_connectors"):
        for spec in specs:
            _add_unique(reg.connectors, spec.type, plugin, spec, "connector type", reg.problems)
    for plugin, specs in call_each(plugins, "livehub_register_backends"):
        for spec in specs:
            _add_unique(reg.backends, (spec.kind, spec.name), plugin, spec, "backend", reg.problems)
    for plugin, routes in call_each(plugins, "livehub_register_routes"):
        reg.routes.extend((plugin, route) for route in routes)
    for plugin, jobs in call_each(plugins, "livehub_register_job_types"):
        for job in jobs:
            _add_unique(reg.job_types, job.name, plugin, job, "job type", reg.problems)
    for plugin, models in call_each(plugins, "livehub_room_models"):
        reg.room_models.extend((plugin, model) for model in models)
    for plugin, deps in call_each(plugins, "livehub_plugin_dependencies"):
        reg.dependencies[plugin] = deps
    for plugin, specs in call_each(plugins, "livehub_register_standins"):
        for spec in specs:
            _add_unique(reg.standins, spec.system, plugin, spec, "stand-in", reg.problems)
    return reg


@dataclass
class PluginSettings:
    """Validated plugin-owned config: plugin sections, connector instances and backend choices."""

    plugins: dict[str, BaseModel] = field(default_factory=dict)
    connectors: dict[str, tuple[ConnectorSpec, BaseModel]] = field(default_factory=dict)
    backend_choice: dict[str, BackendChoice] = field(default_factory=dict)
    backends: dict[tuple[str, str], BaseModel] = field(default_factory=dict)


def validate_plugin_sections(config: HubConfig, reg: Registry, plugins: PluginManager) -> PluginSettings:
    """Validate ``[plugins.*]``, ``[connectors.*]`` and ``[backends.*]``; raise one ConfigError for all."""
    out, problems = PluginSettings(), list(reg.problems)
    known_plugins = set(plugins.infos) | set(reg.config_models)
    for section, table in config.raw_plugins.items():
        body = {k: v for k, v in table.items() if k != "enabled"}
        if not isinstance(table.get("enabled", True), bool):
            problems.append(f"plugins.{section}.enabled: must be true or false")
        if section not in known_plugins:
            problems.append(f"plugins.{section}: no plugin named {section!r} is installed "
                            f"(installed: {', '.join(sorted(plugins.infos)) or 'none'})")
            continue
        if section in reg.config_models:
            out.plugins[section] = _validate(reg.config_models[section][1], body, f"plugins.{section}",
                                             problems)
        elif body:
            problems.append(f"plugins.{section}: this plugin has no settings besides 'enabled'")
    for section, (_, model) in reg.config_models.items():
        if section not in out.plugins:  # not in the file: the model's defaults must do
            out.plugins[section] = _validate(model, {}, f"plugins.{section}", problems)
    for name, table in config.raw_connectors.items():
        kind = table.get("type")
        if kind not in reg.connectors:
            known = ", ".join(sorted(reg.connectors)) or "none"
            problems.append(f"connectors.{name}.type: unknown connector type {kind!r} (known: {known})")
            continue
        spec = reg.connectors[kind][1]
        body = {k: v for k, v in table.items() if k != "type"}
        model = _validate(spec.config_model, body, f"connectors.{name}", problems)
        if model is not None:
            out.connectors[name] = (spec, model)
    for kind, table in config.raw_backends.items():
        kinds = {k for k, _ in reg.backends}
        if kind not in kinds | set(get_args(BackendKind)):
            problems.append(f"backends.{kind}: unknown backend kind (known: {', '.join(get_args(BackendKind))})")
            continue
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
        choice = _validate(BackendChoice, scalars, f"backends.{kind}", problems)
        if choice is not None:
            out.backend_choice[kind] = choice
            for name in [choice.default, *choice.fallback]:
                if name and (kind, name) not in reg.backends:
                    problems.append(f"backends.{kind}: unknown {kind} backend {name!r} "
                                    f"(known: {', '.join(n for k, n in reg.backends if k == kind) or 'none'})")
        for name, sub in table.items():
            if not isinstance(sub, dict):
                continue
            if (kind, name) not in reg.backends:
                problems.append(f"backends.{kind}.{name}: no {kind} backend named {name!r}")
                continue
            spec = reg.backends[(kind, name)][1]
            if spec.config_model is None:
                problems.append(f"backends.{kind}.{name}: this backend has no settings")
                continue
            model = _validate(spec.config_model, sub, f"backends.{kind}.{name}", problems)
            if model is not None:
                out.backends[(kind, name)] = model
    if problems:
        raise ConfigError(problems, file=config.source)
    return out


def _validate(model: type[BaseModel], data: dict[str, Any], prefix: str, problems: list[str]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(format_validation_error(exc, prefix))
        return None
