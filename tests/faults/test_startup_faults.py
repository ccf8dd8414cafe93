"""Start-up faults (issue 11, item 8): one clear line naming what failed, a non-zero exit, no hang.

A database that never answers, a closed database port, a bad ``--port`` and a plugin that raised in
``livehub_startup`` each end ``livehub run`` / ``livehub check`` with a line saying what failed and why,
without a traceback; SIGTERM while the hub waits for its database stops it at once.
"""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from tests.cli.conftest import LIVEHUB
from tests.processes import free_port

PASSWORD = "pw-never-shown-5c1e"


def _db_url(port: int, **query: str) -> str:
    tail = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return f"postgresql+asyncpg://u:{PASSWORD}@127.0.0.1:{port}/db{tail}"


def _init(cli, database_url: str | None = None) -> None:
    cli("init", check=True)
    text = (cli.cwd / "livehub.toml").read_text(encoding="utf-8")
    (cli.cwd / "livehub.toml").write_text(text.replace("port = 8080", f"port = {free_port()}"), encoding="utf-8")
    if database_url is not None:
        cli.env["LIVEHUB_DATABASE_URL"] = database_url


def _assert_clear(output: str) -> None:
    assert "Traceback" not in output, output
    assert PASSWORD not in output, output
    # a few lines besides the plugin list (which grows with every built-in plugin): no spew
    rest = [line for line in output.strip().splitlines() if "(loaded)" not in line]
    assert len(rest) < 20, output


def _database_line(output: str, port: int) -> str:
    lines = [line for line in output.splitlines() if f"127.0.0.1:{port}/db" in line]
    assert lines, f"no line names the database:\n{output}"
    assert "u:***@" in lines[-1], lines
    return lines[-1]


def test_check_names_a_database_that_never_answers_and_the_timeout(cli, silent_server):
    _init(cli, _db_url(silent_server, connect_timeout="2"))
    started = time.monotonic()
    result = cli("check", timeout=60)
    assert time.monotonic() - started < 30
    assert result.returncode != 0
    output = result.stdout + result.stderr
    _assert_clear(output)
    line = _database_line(output, silent_server)
    assert "timed out after 2 s" in line, line


def test_run_gives_up_on_a_database_that_never_answers(cli, silent_server):
    _init(cli, _db_url(silent_server, connect_timeout="2"))
    started = time.monotonic()
    result = cli("run", timeout=60)
    assert time.monotonic() - started < 30, "the connect timeout bounds the start"
    assert result.returncode != 0
    output = result.stdout + result.stderr
    _assert_clear(output)
    line = _database_line(output, silent_server)
    assert "timed out after 2 s" in line, line


@pytest.mark.parametrize("command", ["run", "check"])
def test_a_closed_database_port_is_one_line_connection_refused(cli, closed_port, command):
    _init(cli, _db_url(closed_port))
    result = cli(command, timeout=60)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    _assert_clear(output)
    assert "connection refused" in _database_line(output, closed_port)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_run_while_it_waits_for_the_database(cli, silent_server, sig):
    _init(cli, _db_url(silent_server))  # the default connect timeout (10 s) is longer than the wait below
    proc = subprocess.Popen([LIVEHUB, "run"], cwd=cli.cwd, env=cli.env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        # signal once the hub is waiting for its database (it has connected and gets no answer)
        assert silent_server.accepted.wait(60), "the hub never tried the database"
        time.sleep(0.5)
        assert proc.poll() is None, proc.communicate()[0]
        sent = time.monotonic()
        proc.send_signal(sig)
        output, _ = proc.communicate(timeout=8)
        assert time.monotonic() - sent < 8
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0, output
    _assert_clear(output)
    line = _database_line(output, silent_server)
    assert "interrupted" in line, line


@pytest.mark.parametrize("args", [["--port", "-5"], ["--port", "70000"], ["--port", "http"]])
def test_a_bad_port_option_is_one_usage_line(cli, args):
    _init(cli)
    result = cli("run", *args, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    _assert_clear(result.stdout + result.stderr)
    assert "--port" in result.stderr


def test_a_port_in_use_is_one_line(cli):
    import socket

    _init(cli)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("run", "--port", str(port), timeout=60)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    _assert_clear(output)
    assert any(f"127.0.0.1:{port}" in line and "in use" in line for line in output.splitlines()), output


PLUGIN = '''
from hub import hookimpl


@hookimpl
def livehub_startup(hub):
    raise RuntimeError("boom at start")
'''


def test_check_reports_a_plugin_that_raised_at_start(cli, tmp_path):
    _init(cli)
    site = tmp_path / "site"
    site.mkdir()
    (site / "boom_at_start.py").write_text(PLUGIN, encoding="utf-8")
    dist = site / "boom_at_start-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: boom-at-start\nVersion: 0.1\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[livehub]\nboom = boom_at_start\n", encoding="utf-8")
    cli.env.pop("LIVEHUB_DISABLE_PLUGIN_AUTOLOAD", None)
    cli.env["PYTHONPATH"] = str(site)
    result = cli("check", timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "all checks passed" not in output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if "boom" in line and "startup" in line]
    assert any("RuntimeError: boom at start" in line for line in lines), output


def test_db_upgrade_names_a_closed_database_port(cli, closed_port):
    _init(cli, _db_url(closed_port))
    result = cli("db", "upgrade", timeout=60)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    _assert_clear(output)
    assert "connection refused" in _database_line(output, closed_port)
