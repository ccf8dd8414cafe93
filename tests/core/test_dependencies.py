"""Plugin dependencies: start in dependency order, stop in reverse, clear errors for what is missing."""

from __future__ import annotations

import pytest

from hub.app import Hub
from hub.config import load_config
from hub.dependencies import start_order
from hub.errors import ConfigError
from hub.hookspecs import hookimpl
from hub.specs import Dependencies
from hub.testing import config_for_tests


class Recording:
    """A plugin that records its startup and shutdown into a shared log."""

    def __init__(self, name: str, log: list[str], deps: Dependencies | None = None, fail: bool = False) -> None:
        self.name, self.log, self.deps, self.fail = name, log, deps, fail

    @hookimpl
    def livehub_plugin_dependencies(self):
        return self.deps

    @hookimpl
    async def livehub_startup(self, hub):
        if self.fail:
            raise RuntimeError(f"{self.name} cannot start")
        self.log.append(f"start {self.name}")

    @hookimpl
    async def livehub_shutdown(self, hub):
        self.log.append(f"stop {self.name}")


def hub_with(plugins, data=None) -> Hub:
    return Hub(load_config(data=config_for_tests(data), env=False), builtins=(), autoload=False,
               extra_plugins=[(p.name, p) for p in plugins])


async def test_plugins_start_after_what_they_need_and_stop_in_reverse():
    log: list[str] = []
    shows = Recording("shows", log, Dependencies(requires=("AnswerQueue",), provides=("ShowControl",)))
    demo = Recording("demo", log, Dependencies(requires=("ShowControl",), after=("console",)))
    triage = Recording("triage", log, Dependencies(provides=("AnswerQueue",)))
    async with hub_with([demo, shows, triage]) as hub:
        assert hub.plugin_order == ["triage", "shows", "demo"]
    assert log == ["start triage", "start shows", "start demo", "stop demo", "stop shows", "stop triage"]


def test_a_disabled_or_missing_requirement_stops_the_hub_at_build():
    log: list[str] = []
    shows = Recording("shows", log, Dependencies(requires=("triage",)))
    triage = Recording("triage", log)
    with pytest.raises(ConfigError, match=r"plugins.shows: requires 'triage', which is disabled "
                                          r"\(\[plugins.triage\] enabled = false\)"):
        hub_with([shows, triage], {"plugins": {"triage": {"enabled": False}}}).build()
    with pytest.raises(ConfigError, match=r"plugins.shows: requires 'triage', which is not installed"):
        hub_with([shows]).build()


async def test_a_failed_dependency_fails_its_dependents_and_the_hub_goes_on():
    log: list[str] = []
    triage = Recording("triage", log, fail=True)
    shows = Recording("shows", log, Dependencies(requires=("triage",)))
    demo = Recording("demo", log, Dependencies(requires=("shows",)))
    other = Recording("other", log)
    async with hub_with([demo, shows, triage, other]) as hub:
        failed = {f.name: f.error for f in hub.plugins.failures()}
        assert set(failed) == {"triage", "shows", "demo"}
        assert "requires 'triage', which failed to start" in failed["shows"]
        assert hub.ready
    assert log == ["start other", "stop other"]


def test_cycles_are_named():
    deps = {"a": Dependencies(requires=("b",)), "b": Dependencies(after=("a",))}
    with pytest.raises(ConfigError, match=r"dependency cycle (a -> b -> a|b -> a -> b)"):
        start_order(["a", "b"], deps)
    assert start_order(["a", "b", "c"], {"a": Dependencies(after=("zzz",))}) == ["a", "b", "c"]


class BrokenAtRegistration(Recording):
    """Provides an interface but fails while registering: its provides are never collected."""

    @hookimpl
    def livehub_register_backends(self):
        raise RuntimeError("broken registration")


class ServesARoute(Recording):
    @hookimpl
    def livehub_register_routes(self):
        from aiohttp import web

        from hub.specs import WebRoute

        async def hello(request):
            return web.Response(text="hi")

        return [WebRoute("GET", "/api/v1/shows-hello", hello, auth=False)]


async def test_an_interface_whose_provider_failed_fails_the_dependent_not_the_hub():
    log: list[str] = []
    triage = BrokenAtRegistration("triage", log, Dependencies(provides=("AnswerQueue",)))
    shows = ServesARoute("show_runner", log, Dependencies(requires=("AnswerQueue",)))
    other = Recording("other", log)
    async with hub_with([shows, triage, other], {"web": {"enabled": True, "port": 0}}) as hub:
        failed = {f.name: f.error for f in hub.plugins.failures()}
        assert set(failed) == {"triage", "show_runner"}
        assert "requires 'AnswerQueue', which failed" in failed["show_runner"]
        assert not any(plugin == "show_runner" for plugin, _ in hub.registry.routes)  # collected again
        assert "/api/v1/shows-hello" not in {route.path for _, route in hub.web.mounted}
    assert log == ["start other", "stop other"]


def test_a_disabled_interface_provider_is_named():
    shows = Recording("show_runner", [], Dependencies(requires=("AnswerQueue",)))
    triage = Recording("triage", [], Dependencies(provides=("AnswerQueue",)))
    with pytest.raises(ConfigError, match=r"requires 'AnswerQueue', which is disabled "
                                          r"\(\[plugins.triage\] enabled = false\)"):
        hub_with([shows, triage], {"plugins": {"triage": {"enabled": False}}}).build()


async def test_a_plugin_that_fails_to_start_serves_no_routes():
    log: list[str] = []
    broken = ServesARoute("broken", log, fail=True)
    async with hub_with([broken], {"web": {"enabled": True, "port": 0}}) as hub:
        assert [f.name for f in hub.plugins.failures()] == ["broken"]
        assert "/api/v1/shows-hello" not in {route.path for _, route in hub.web.mounted}
