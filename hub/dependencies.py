"""Plugin dependencies: start order from what plugins declare (``livehub_plugin_dependencies``).

A plugin names what it ``requires`` and what it starts ``after``: plugin names, or interface names that
some plugin ``provides``. :func:`start_order` sorts the loaded plugins so each starts after those it
names (registration order breaks ties), and reports, in one :class:`ConfigError`, every requirement that
no loaded plugin meets because it is disabled or not installed, and every cycle. Shutdown runs the
resulting order in reverse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from hub.errors import ConfigError
from hub.specs import Dependencies


def providers(loaded: Sequence[str], deps: Mapping[str, Dependencies]) -> dict[str, list[str]]:
    """Every name a dependency may use (plugin names, provided interfaces) → the loaded plugins behind it."""
    out: dict[str, list[str]] = {name: [name] for name in loaded}
    for name in loaded:
        for interface in deps.get(name, Dependencies()).provides:
            out.setdefault(interface, []).append(name)
    return out


def missing_requirements(loaded: Sequence[str], deps: Mapping[str, Dependencies], status: Mapping[str, str],
                         interfaces: Mapping[str, str] | None = None) -> list[tuple[str, str, str]]:
    """``(plugin, requirement, why)`` for each requirement no loaded plugin meets.

    ``status`` maps known plugin names to loaded/disabled/failed; ``interfaces`` maps the core's interface
    names to the plugin that provides them (so a requirement of an interface whose provider failed or is
    disabled says so). ``why`` is "disabled", "failed" or "not installed"."""
    found = providers(loaded, deps)
    out = []
    for name in loaded:
        for need in deps.get(name, Dependencies()).requires:
            if need not in found:
                provider = (interfaces or {}).get(need, need)
                out.append((name, need, status.get(need) or status.get(provider) or "not installed"))
    return out


def start_order(loaded: Sequence[str], deps: Mapping[str, Dependencies]) -> list[str]:
    """``loaded`` in an order where each plugin follows what it requires or starts after.

    Raises :class:`ConfigError` naming the plugins of a dependency cycle."""
    found = providers(loaded, deps)
    before: dict[str, list[str]] = {}
    for name in loaded:
        d = deps.get(name, Dependencies())
        names = [p for need in (*d.requires, *d.after) for p in found.get(need, []) if p != name]
        before[name] = list(dict.fromkeys(names))
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = path[path.index(name):] + [name]
            raise ConfigError(f"plugins: dependency cycle {' -> '.join(cycle)}")
        state[name] = "visiting"
        for dep in before[name]:
            visit(dep, [*path, name])
        state[name] = "done"
        order.append(name)

    for name in loaded:
        visit(name, [])
    return order


def dependents_of(failed: Iterable[str], order: Sequence[str], deps: Mapping[str, Dependencies]) -> list[str]:
    """The plugins of ``order`` (a start order) that require something only ``failed`` plugins provide,
    directly or through another such plugin, in that order."""
    found = providers(order, deps)
    bad = set(failed)
    out: list[str] = []
    for name in order:
        if name in bad:
            continue
        needs = deps.get(name, Dependencies()).requires
        if any(found.get(need) and set(found[need]) <= bad for need in needs):
            bad.add(name)
            out.append(name)
    return out
