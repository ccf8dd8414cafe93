"""The deploy/ examples stay true to the code: every LiveHub command they run is one the CLI accepts, the
compose file has the engines docs/scale-out.md names, and the image installs the cluster's extras."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest

from hub.cli import cli

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def accepted(argv: list[str]) -> None:
    """Parse ``livehub <argv>`` with the real CLI (no command runs)."""
    assert argv[0] == "livehub", argv
    command = cli.get_command(click.Context(cli), argv[1])
    assert command is not None, argv
    command.make_context(argv[1], list(argv[2:]))


def test_the_compose_file_runs_postgres_redis_workers_and_an_api_with_commands_the_cli_accepts() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "worker", "api"} <= set(services)
    assert "--appendonly" in services["redis"]["command"]
    roles = {}
    for name in ("worker", "api"):
        command = services[name]["command"]
        accepted(command)
        roles[name] = command[command.index("--role") + 1]
    assert roles == {"worker": "worker", "api": "api"} and services["worker"]["deploy"]["replicas"] >= 3
    assert "cluster" in (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


def test_the_systemd_unit_runs_a_worker_with_options_the_cli_accepts() -> None:
    unit = (DEPLOY / "livehub-worker@.service").read_text(encoding="utf-8")
    line = next(x for x in unit.splitlines() if x.startswith("ExecStart="))
    argv = shlex.split(line.removeprefix("ExecStart=").replace("%H", "host").replace("%i", "1"))
    argv[0] = Path(argv[0]).name
    accepted(argv)
    assert argv[argv.index("--role") + 1] == "worker"
    with pytest.raises(click.UsageError):
        accepted(["livehub", "run", "--role", "boss"])
