"""The ``livehub`` command line: init, run, check, plugins, db upgrade, and plugins' own commands."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from hub.config import HubConfig, load_config
from hub.errors import ConfigError, LiveHubError
from hub.logs import setup_logging

log = logging.getLogger("livehub.cli")
DEFAULT_CONFIG = "livehub.toml"
config_option = click.option("--config", "-c", "config_path", default=DEFAULT_CONFIG, show_default=True,
                             type=click.Path(dir_okay=False, path_type=Path), help="The config file.")


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def load_or_exit(path: Path, *, required: bool = True) -> HubConfig:
    """Load the config, or print every problem (file, key path, reason) and exit 2."""
    try:
        if not path.exists() and not required:
            return load_config(data={})
        return load_config(path)
    except ConfigError as exc:
        console = err_console()
        console.print(f"[red]Invalid configuration[/red] ({len(exc.problems)} problem(s)):", markup=True)
        for line in str(exc).splitlines():
            console.print(f"  {line}", markup=False)
        sys.exit(2)


def build_hub_or_exit(config: HubConfig, **kwargs: Any):
    from hub.app import Hub

    hub = Hub(config, **kwargs)
    try:
        hub.build()
    except ConfigError as exc:
        console = err_console()
        console.print("[red]Invalid configuration[/red]:", markup=True)
        for line in str(exc).splitlines():
            console.print(f"  {config.redactor.redact(line)}", markup=False)
        sys.exit(2)
    return hub


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="livehub")
def cli() -> None:
    """LiveHub: an open-source, plugin-based hub for AI live commerce."""


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def init(force: bool) -> None:
    """Write a commented livehub.toml, a sample catalog.json and its product images into the current folder."""
    from importlib.resources import files

    starter = files("hub.starter")
    written = []
    for name in ("livehub.toml", "catalog.json"):
        target = Path.cwd() / name
        if target.exists() and not force:
            click.echo(f"{name} exists, kept (use --force to overwrite)")
            continue
        target.write_text(starter.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
        written.append(name)
    images = starter.joinpath("images")
    for image in sorted((p for p in images.iterdir() if p.name.endswith(".png")), key=lambda p: p.name):
        target = Path.cwd() / "images" / image.name
        if target.exists() and not force:
            continue
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(image.read_bytes())
        written.append(f"images/{image.name}")
    for name in written:
        click.echo(f"wrote {name}")
    click.echo("Next: `livehub check`, then `livehub run`.")


@cli.command()
@config_option
@click.option("--host", default=None, help="Address to bind (overrides [web] host).")
@click.option("--port", default=None, type=click.IntRange(0, 65535),
              help="Port to bind (overrides [web] port; 0 picks a free one).")
@click.option("--role", type=click.Choice(["all", "worker", "api"]), default=None,
              help="In a cluster: worker runs rooms, api serves the API only, all both (turns [cluster] on).")
@click.option("--node", default=None, help="This process's name in the cluster (overrides [cluster] node).")
def run(config_path: Path, host: str | None, port: int | None, role: str | None, node: str | None) -> None:
    """Run the hub until SIGINT or SIGTERM; then stop cleanly, storing every accepted event."""
    config = load_or_exit(config_path)
    if host is not None:
        config.web.host = host
    if port is not None:
        config.web.port = port
    if role is not None:
        config.cluster.role, config.cluster.enabled = role, True  # type: ignore[assignment]
    if node is not None:
        config.cluster.node = node
    setup_logging(config.hub.log_level, config.redactor)
    hub = build_hub_or_exit(config)
    try:
        asyncio.run(_serve(hub))
    except StartInterrupted as exc:
        err_console().print(f"error: {config.redactor.redact(str(exc))}", markup=False)
        sys.exit(128 + exc.signum)
    except LiveHubError as exc:
        err_console().print(f"error: {config.redactor.redact(str(exc))}", markup=False)
        sys.exit(1)


class StartInterrupted(LiveHubError):
    """SIGINT or SIGTERM arrived while the hub was starting; what had started was stopped."""

    def __init__(self, signum: int, doing: str) -> None:
        self.signum = signum
        super().__init__(f"start-up interrupted by {signal.Signals(signum).name} while {doing}")


def _starting_what(hub) -> str:
    """What the hub is waiting for right now, for the line printed when start-up is interrupted."""
    from hub.config import safe_database_url

    storage = getattr(hub, "storage", None)
    if storage is None or not storage.started:
        return f"connecting to database {safe_database_url(hub.config.database_url)}"
    return "starting plugins, connectors and the web server"


async def _serve(hub) -> None:
    stop = asyncio.Event()
    received: list[int] = []
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        received.append(signum)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    # A signal must stop the start itself (a database that never answers), not only a running hub.
    starting = asyncio.ensure_future(hub.start())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        doing = _starting_what(hub)
        log.info("start-up interrupted: stopping")
        starting.cancel()  # Hub.start stops what already started, then re-raises
        try:
            await starting
        except (asyncio.CancelledError, Exception):  # stopped; the interruption is what to report
            pass
        raise StartInterrupted(received[0] if received else signal.SIGTERM, doing)
    if starting.exception() is not None:
        stopping.cancel()
        starting.result()  # raises the start's error
    if hub.web is not None:
        log.info("serving on %s", hub.web.url)
        print(f"LiveHub is running on {hub.web.url} (Ctrl+C to stop)", flush=True)
    await stopping
    log.info("stopping")
    await hub.stop()


@cli.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(config_path: Path, as_json: bool) -> None:
    """List every plugin (built-in and installed), its status and what it provides."""
    config = load_or_exit(config_path, required=False)
    hub = build_hub_or_exit(config)
    rows = []
    for item in hub.plugins.describe():
        item["provides"] = hub.registry.provides(item["name"])
        rows.append(item)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table("plugin", "status", "source", "hooks", "provides")
    for row in rows:
        provides = "; ".join(f"{k}: {', '.join(v)}" for k, v in row["provides"].items())
        status = row["status"] + (f" ({row['error']})" if row["error"] else "")
        table.add_row(row["name"], status, row["source"], "\n".join(row["hooks"]), provides)
    Console().print(table)


@cli.group()
def db() -> None:
    """Database commands."""


@db.command("upgrade")
@config_option
def db_upgrade(config_path: Path) -> None:
    """Apply database migrations (the hub also does this when it starts)."""
    from hub.config import safe_database_url
    from hub.storage import upgrade_database
    from hub.storage.db import connect_problem, connect_timeout

    config = load_or_exit(config_path, required=False)
    url = config.database_url
    try:
        with err_console().status(f"Migrating {safe_database_url(url)} ..."):
            asyncio.run(upgrade_database(url))
    except LiveHubError as exc:
        err_console().print(f"error: {config.redactor.redact(str(exc))}", markup=False)
        sys.exit(1)
    except Exception as exc:
        problem = connect_problem(exc, connect_timeout(url))
        err_console().print(f"error: database {safe_database_url(url)}: {config.redactor.redact(problem)}",
                            markup=False)
        sys.exit(1)
    click.echo("database is up to date")


def _add_check_command() -> None:
    from hub.cli_check import check

    cli.add_command(check)


def _add_plugin_commands() -> None:
    """Let plugins add commands (``livehub_register_commands``); a failing plugin is reported."""
    from hub.plugins import PluginManager
    from hub.registry import call_each

    manager = PluginManager(quiet=True)  # import failures show in `livehub check` and `plugins`
    manager.load()

    def report(error) -> None:
        err_console().print(f"warning: {error}", markup=False)

    call_each(manager, "livehub_register_commands", on_error=report, cli=cli)


def main() -> None:
    _add_check_command()
    _add_plugin_commands()
    cli(prog_name="livehub")
