"""``livehub standin <system>``: run a connector's protocol-faithful stand-in and print the table
that points a hub at it (:mod:`hub.standin`)."""

from __future__ import annotations

import asyncio
import shlex
import signal
import sys
from typing import Any

import click

from hub.hookspecs import hookimpl

PLUGIN_NAME = "standin_cli"


@hookimpl
def livehub_register_commands(cli: Any) -> None:
    cli.add_command(standin)


@click.command()
@click.argument("system", required=False)
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535),
              help="The port to serve on (0: a free one).")
@click.option("--room", default="main", show_default=True, help="The hub room the printed table binds.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="A stand-in option, e.g. --set mode=webcast (see docs/platforms.md); repeatable.")
@click.option("--list", "list_only", is_flag=True, help="List the installed stand-ins and exit.")
def standin(system: str | None, port: int, room: str, settings: tuple[str, ...], list_only: bool) -> None:
    """Run the stand-in of SYSTEM on 127.0.0.1 until Ctrl+C / SIGTERM.

    It speaks the platform's wire protocol plus the shared control API (POST /_standin/events,
    GET /_standin/sent, POST /_standin/faults, GET /_standin/state), and prints the [connectors.x]
    table to paste into livehub.toml.
    """
    from hub.standin_control import UnknownStandin, find_standin, registered_standins

    if list_only:
        standins = registered_standins()
        if not standins:
            click.echo("no stand-ins installed (connector packages register them)")
        for name, (plugin, spec) in sorted(standins.items()):
            click.echo(f"{name}\tconnector type {spec.connector_type or name}\tfrom {plugin}"
                       + (f"\t{spec.description}" if spec.description else ""))
        return
    if not system:
        raise click.UsageError("name a SYSTEM (livehub standin --list shows them)")
    try:
        _, spec = find_standin(system)
    except UnknownStandin as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    options: dict[str, str] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep or not key.strip().isidentifier():
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="--set")
        options[key.strip()] = value
    try:
        platform = spec.factory(port=port, **options)
    except TypeError as exc:
        click.echo(f"error: the {system} stand-in does not take {', '.join(options) or 'these options'}: {exc}",
                   err=True)
        sys.exit(2)
    except ValueError as exc:
        click.echo(f"error: the {system} stand-in: {exc}", err=True)
        sys.exit(2)
    try:
        asyncio.run(_serve(platform, room))
    except OSError as exc:
        click.echo(f"error: cannot serve the {system} stand-in on port {port}: {exc.strerror or exc}", err=True)
        sys.exit(1)


async def _serve(platform: Any, room: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with platform:
        lines = [f"# The {platform.system} stand-in is serving on {platform.url} (Ctrl+C to stop).",
                 "# Drive it: POST /_standin/events, GET /_standin/sent, POST /_standin/faults, "
                 "GET /_standin/state"]
        lines.extend(f"# {note}" for note in platform.notes())
        env = platform.env()
        if env:
            lines.append("# The hub reads its secrets from the environment; before `livehub run`:")
            lines.extend(f"#   export {var}={shlex.quote(value)}" for var, value in env.items())
        table = platform.connector_table(room=room)
        keys = platform.room_keys()
        if keys:  # a shop: the room names it
            lines.append("# Add these tables to livehub.toml:")
            table += f"\n[rooms.{room}]\n" + "".join(f"{key} = \"{value}\"\n" for key, value in keys.items())
        else:
            lines.append("# Add this table to livehub.toml:")
        click.echo("\n".join(lines) + "\n\n" + table, nl=False)
        sys.stdout.flush()
        await stop.wait()

