"""Plugin manager: built-ins and entry points, enable/disable, failures reported, hub goes on."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub import hookimpl
from hub.app import Hub
from hub.config import load_config
from hub.plugins import BUILTIN_PLUGINS
from hub.testing import comment, config_for_tests, feed, running_hub, wait_for

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "plugin_dist"
LIVEHUB = Path(sys.executable).with_name("livehub")


class FailingStartup:
    """A plugin that raises on start."""

    @hookimpl
    def livehub_startup(self, hub):
        raise RuntimeError("cannot start: no widget")


class Listener:
    def __init__(self):
        self.seen = []

    @hookimpl
    def livehub_on_event(self, event, hub):
        self.seen.append(event)


class BrokenListener:
    @hookimpl
    async def livehub_on_event(self, event, hub):
        raise ValueError("listener bug")


def test_builtins_register_from_the_one_list():
    hub = Hub(load_config(data=config_for_tests(), env=False), autoload=False).build()
    names = [n.rsplit(".", 1)[-1] for n in BUILTIN_PLUGINS]
    assert list(hub.plugins.infos) == names
    assert all(info.source == "builtin" for info in hub.plugins.infos.values())


def test_a_plugin_that_fails_to_import_is_reported_and_the_rest_load():
    hub = Hub(load_config(data=config_for_tests(), env=False), autoload=False,
              builtins=("hub.builtin.event_hooks", "hub.builtin.no_such_module")).build()
    info = hub.plugins.infos["no_such_module"]
    assert info.status == "failed" and info.stage == "import" and "No module named" in info.error
    assert hub.plugins.loaded() == ["event_hooks"]


async def test_a_plugin_that_raises_on_start_is_reported_and_the_hub_keeps_running():
    listener = Listener()
    async with running_hub(plugins=[("failing", FailingStartup()), ("listener", listener)]) as hub:
        assert hub.ready
        info = hub.plugins.infos["failing"]
        assert info.status == "failed" and info.stage == "startup" and "no widget" in info.error
        assert "failing" in [f["name"] for f in hub.status()["plugins"]["failed"]]
        await feed(hub, comment("still working"))
        await wait_for(lambda: any(e.type == "comment" for e in listener.seen))


async def test_event_hooks_are_isolated_per_plugin():
    listener = Listener()
    async with running_hub(plugins=[("broken", BrokenListener()), ("listener", listener)]) as hub:
        await feed(hub, *[comment(f"c{i}") for i in range(5)])
        await wait_for(lambda: sum(e.type == "comment" for e in listener.seen) == 5)
        assert hub.plugins.infos["broken"].status == "loaded", "an event-hook error does not unload a plugin"


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory):
    """Install the example plugin as a separate distribution into its own folder."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(FIXTURE)], check=True, capture_output=True)
    assert list(target.glob("livehub_example_plugin-*.dist-info"))
    return target


def test_entry_point_plugin_is_discovered_by_the_cli(installed_plugin, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(installed_plugin)}
    env.pop("LIVEHUB_DISABLE_PLUGIN_AUTOLOAD", None)
    out = subprocess.run([str(LIVEHUB), "plugins", "--json"], cwd=tmp_path, env=env, check=True,
                         capture_output=True, text=True).stdout
    rows = {row["name"]: row for row in json.loads(out)}
    assert rows["example"]["source"] == "entry point (livehub-example-plugin)"
    assert "livehub_on_event" in rows["example"]["hooks"]
    assert rows["example"]["provides"]["routes"] == ["GET /api/v1/example/count"]
    env["LIVEHUB_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    out = subprocess.run([str(LIVEHUB), "plugins", "--json"], cwd=tmp_path, env=env, check=True,
                         capture_output=True, text=True).stdout
    assert "example" not in {row["name"] for row in json.loads(out)}


async def test_entry_point_plugin_is_used_by_a_running_hub(installed_plugin, monkeypatch):
    monkeypatch.syspath_prepend(str(installed_plugin))
    import importlib

    importlib.invalidate_caches()
    hub = Hub(load_config(data=config_for_tests({"plugins": {"example": {"greeting": "hi"}}}), env=False),
              autoload=True)
    async with hub:
        assert hub.plugin_config("example").greeting == "hi"
        module = sys.modules["livehub_example_plugin"]
        before = module.COUNTS["comments"]
        await feed(hub, comment("a"), comment("b"))
        await wait_for(lambda: module.COUNTS["comments"] == before + 2)


async def test_the_web_api_keeps_serving_when_a_plugin_fails_to_start(tmp_path):
    import aiohttp

    config = {"web": {"enabled": True, "port": 0}, "hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path}/x.db"}}
    async with running_hub(plugins=[("failing", FailingStartup())], config=config) as hub:
        async with aiohttp.ClientSession() as http:
            async with http.get(hub.web.url + "/healthz") as response:
                assert response.status == 200
            async with http.get(hub.web.url + "/api/v1/plugins") as response:  # loopback, no token set
                rows = {row["name"]: row for row in await response.json()}
    assert rows["failing"]["status"] == "failed" and "no widget" in rows["failing"]["error"]
