"""``livehub plugin new <connector|backend|plugin> NAME``: write a plugin package to start from
(:mod:`hub.scaffold`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from hub.hookspecs import hookimpl

PLUGIN_NAME = "scaffold_cli"


@hookimpl
def livehub_register_commands(cli: Any) -> None:
    cli.add_command(plugin)


@click.group()
def plugin() -> None:
    """Plugin development: write a new plugin package."""


@plugin.command("new")
@click.argument("kind", type=click.Choice(["connector", "backend", "plugin"]))
@click.argument("name")
@click.option("--dir", "directory", default=".", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Where to write livehub-NAME/.")
def new(kind: str, name: str, directory: Path) -> None:
    """Write the package livehub-NAME/ for a new KIND: a platform connector (with its client, stand-in
    and tests), a voice or LLM backend, or an event-hook plugin. Install it with
    `pip install -e ./livehub-NAME`; its tests run with `python -m pytest livehub-NAME/tests`."""
    from hub.scaffold import ScaffoldError, generate

    try:
        target, files = generate(kind, name, directory)
    except ScaffoldError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    for path in files:
        click.echo(f"wrote {path.relative_to(target.parent)}")
    click.echo(f"\nNext:\n  pip install -e {_shown(target)}\n  python -m pytest {_shown(target / 'tests')}\n"
               "  livehub plugins" + (f"\n  livehub standin {name}" if kind == "connector" else ""))


def _shown(path: Path) -> str:
    try:
        relative = path.resolve().relative_to(Path.cwd().resolve())
        return f"./{relative}"
    except ValueError:
        return str(path)
