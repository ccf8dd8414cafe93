"""``livehub demo``: its configuration and show built as data, its command line, a real run."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.app import Hub
from hub.catalog_file import load_catalog
from hub.config import load_config
from plugins.demo.command import browse_host, demo
from plugins.demo.setup import ROOM, demo_config, demo_rundown, describe_catalog, starter_catalog
from plugins.show_runner.rundown import parse_rundown
from tests.e2e.demo_process import DemoFailed, start_demo, stop_demo


def test_the_demo_show_presents_every_product_in_link_order_with_countdowns_for_promotions() -> None:
    catalog = load_catalog(starter_catalog())
    rundown = parse_rundown(demo_rundown(catalog), "test")
    assert (rundown.room, rundown.loop, rundown.locale) == (ROOM, True, "zh-CN")
    assert [s.sku for s in rundown.segments] == ["TEA-001", "MUG-002", "SCARF-003"]
    assert [s.promotion is not None for s in rundown.segments] == [True, False, True]
    assert describe_catalog(catalog) == "晨光好物 Morning Light Goods (3 products, 89–199 CNY)"


def test_the_demo_config_is_valid_and_keeps_its_data_in_its_own_folder(tmp_path: Path) -> None:
    catalog = load_catalog(starter_catalog())
    data = demo_config(catalog_path=starter_catalog(), catalog=catalog, data_dir=tmp_path, host="127.0.0.1",
                       port=0, token_env=None)
    hub = Hub(load_config(data=data, env=False), autoload=False).build()
    assert hub.config.database_url == f"sqlite+aiosqlite:///{tmp_path.as_posix()}/demo.db"
    assert hub.config.rooms[ROOM]["public"] is True and hub.config.web.token is None
    assert {(spec.type, cfg.room if spec.type == "local" else None)
            for spec, cfg in hub.settings.connectors.values()} == {
        ("catalog_file", None), ("local", ROOM), ("builtin_crm", None)}


def test_printed_urls_reach_a_wildcard_address_through_loopback() -> None:
    assert browse_host("0.0.0.0") == "127.0.0.1"
    assert browse_host("192.168.1.20") == "192.168.1.20"
    assert browse_host("::1") == "[::1]"


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid json"),
    (json.dumps({"shop": {"name": "空店"}, "products": []}), "no valid products"),
])
def test_an_unusable_catalog_stops_the_demo_before_it_starts(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(demo, ["--catalog", str(path), "--port", "0"])
    assert result.exit_code == 2 and "catalog" in result.output and message in result.output.lower()


@pytest.mark.slow
def test_the_demo_serves_the_room_and_console_then_stops_cleanly(tmp_path: Path) -> None:
    try:
        server = start_demo(["--port", "0"], tmp_path, tmp_path / "cache")
    except DemoFailed as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        assert "API token" not in server.banner and f"{server.url}/console" in server.banner
        for path, marker in (("/", 'data-testid="stage-video"'), ("/console", 'data-testid="takeover-input"')):
            with urllib.request.urlopen(server.url + path, timeout=10) as response:
                assert marker in response.read().decode()
        state = server.get("/api/v1/rooms/main/state")  # loopback, no token configured: the API is open
        assert state["running"] and state["show"] == "demo" and state["on_air"]
        assert Path(server.data_dir).is_dir() and not any(tmp_path.glob("*.db"))
    finally:
        code = stop_demo(server)
    assert code == 0
    assert not Path(server.data_dir).exists(), "the demo's temporary data folder was left behind"


@pytest.mark.slow
def test_beyond_loopback_the_demo_generates_a_token_and_prints_it_once(tmp_path: Path) -> None:
    try:
        server = start_demo(["--host", "0.0.0.0", "--port", "0"], tmp_path, tmp_path / "cache")
    except DemoFailed as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        token = next(line.split(":", 1)[1].strip() for line in server.lines if "API token" in line)
        assert len(token) >= 24 and server.banner.count(token) == 2  # the token line and the console link
        with pytest.raises(urllib.error.HTTPError) as refused:
            server.get("/api/v1/rooms/main/state")
        assert refused.value.code == 401
        request = urllib.request.Request(server.url + "/api/v1/rooms/main/state",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["room"] == "main"
        with urllib.request.urlopen(server.url + "/live/main/info", timeout=10) as response:
            assert response.status == 200  # the viewer page needs no token
        assert token not in server.log_path.read_text()
    finally:
        stop_demo(server)
    assert os.environ.get("LIVEHUB_DEMO_TOKEN") is None  # set in the demo's process only
