"""The CLI as a new user meets it: init, check, plugins, run, secrets never shown, SIGTERM loses nothing."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.plugins import BUILTIN_PLUGINS
from tests.cli.conftest import wait_http
from tests.processes import free_port

SECRET = "lh-secret-7d1f0c2b9a-do-not-print"


def test_init_then_check_passes_and_plugins_json_lists_builtins(cli):
    assert "wrote livehub.toml" in cli("init", check=True).stdout
    result = cli("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout
    assert "connector shop (catalog_file): 3 products" in result.stdout
    rows = {row["name"]: row for row in json.loads(cli("plugins", "--json", check=True).stdout)}
    for path in BUILTIN_PLUGINS:
        name = path.rsplit(".", 1)[-1]
        assert rows[name]["status"] == "loaded", rows[name]
        assert rows[name]["hooks"], f"{name} lists the hooks it implements"
    assert rows["catalog_file"]["provides"] == {"connectors": ["catalog_file"]}
    assert "livehub_authorize" in rows["token_auth"]["hooks"]


def test_unknown_section_fails_check_with_its_name(cli):
    cli("init", check=True)
    with open(cli.cwd / "livehub.toml", "a", encoding="utf-8") as f:
        f.write("\n[shiny_new_thing]\nanswer = 42\n")
    result = cli("check")
    assert result.returncode != 0
    assert "shiny_new_thing" in result.stderr
    assert "livehub.toml" in result.stderr


def test_check_fails_when_a_connector_cannot_connect(cli):
    cli("init", check=True)
    (cli.cwd / "catalog.json").unlink()
    result = cli("check")
    assert result.returncode == 1
    assert "connector shop (catalog_file)" in result.stdout and "cannot read" in result.stdout


def _get(url, token=None):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def _configure(cli, port):
    cli("init", check=True)
    text = (cli.cwd / "livehub.toml").read_text(encoding="utf-8")
    text = text.replace("port = 8080", f"port = {port}").replace(
        '# token = { env = "LIVEHUB_API_TOKEN" }', 'token = { env = "SHOP_API_TOKEN" }')
    (cli.cwd / "livehub.toml").write_text(text, encoding="utf-8")
    cli.env["SHOP_API_TOKEN"] = SECRET


def test_run_serves_health_status_metrics_and_never_shows_the_secret(cli):
    port = free_port()
    _configure(cli, port)
    base = f"http://127.0.0.1:{port}"
    check = cli("check")
    assert check.returncode == 0, check.stdout + check.stderr
    proc = cli.start("run")
    seen = [check.stdout, check.stderr]
    try:
        wait_http(base + "/healthz")
        status, headers, body = _get(base + "/api/v1/status")
        assert status == 401
        seen += [body, json.dumps(headers)]
        status, headers, body = _get(base + "/api/v1/status", token=SECRET)
        assert status == 200 and json.loads(body)["ready"] is True
        seen += [body, json.dumps(headers)]
        status, headers, body = _get(base + "/metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        names = {family.name for family in text_string_to_metric_families(body)}
        assert {"livehub_up", "livehub_bus_accepted"} <= names
        for path in ("/api/v1/plugins", "/api/v1/connectors", "/api/v1/openapi.json", "/readyz"):
            seen.append(_get(base + path, token=SECRET)[2])
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    seen.append((cli.cwd / "hub.log").read_text(encoding="utf-8", errors="replace"))
    seen.append(cli("plugins", "--json").stdout)
    assert all(SECRET not in text for text in seen), "the API token leaked"
    assert "LiveHub is running on" in seen[-2]


def _post_events(base: str, batch: list[dict]) -> bool:
    request = urllib.request.Request(base + "/api/v1/events", data=json.dumps(batch).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {SECRET}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status == 202
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@pytest.mark.slow
def test_sigterm_during_a_busy_run_loses_no_accepted_event(cli):
    port = free_port()
    _configure(cli, port)
    base = f"http://127.0.0.1:{port}"
    proc = cli.start("run")
    wait_http(base + "/healthz")
    accepted: list[str] = []
    started = threading.Event()

    def flood(worker: int) -> None:
        for n in range(10_000):
            batch = [{"type": "comment", "platform": "test", "room": "r1", "text": f"q{n}-{i}",
                      "message_id": f"w{worker}-{n}-{i}", "user": {"id": f"u{i}", "name": "v"}}
                     for i in range(100)]
            if not _post_events(base, batch):
                return
            accepted.extend(e["message_id"] for e in batch)
            started.set()

    workers = [threading.Thread(target=flood, args=(w,)) for w in range(3)]
    for w in workers:
        w.start()
    assert started.wait(30)
    while len(accepted) < 5_000:
        threading.Event().wait(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 0
    for w in workers:
        w.join(timeout=60)
    # restart the hub on the same database, then look at what is stored
    proc = cli.start("run")
    wait_http(base + "/healthz")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    with sqlite3.connect(cli.cwd / "livehub.db") as db:
        stored = {row[0] for row in db.execute("SELECT message_id FROM events WHERE platform = 'test'")}
    missing = set(accepted) - stored
    assert len(accepted) >= 5_000
    assert not missing, f"{len(missing)} accepted events were lost, e.g. {sorted(missing)[:3]}"
