"""``livehub demo``: everything offline with no API key — a sample shop (or ``--catalog FILE``), a show on
the built-in live room ``main``, the viewer page at ``/`` and the operator console at ``/console``.
See :mod:`plugins.demo.setup` for where the demo keeps its data."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl

PLUGIN_NAME = "demo"


@hookimpl
def livehub_plugin_dependencies() -> Any:
    """The demo's hub runs a show through :class:`hub.interfaces.ShowControl` (without it the room only
    answers questions) on a ``catalog_file`` catalog and the ``local`` room."""
    from hub.specs import Dependencies

    return Dependencies(after=("ShowControl", "catalog_file", "local"))


@hookimpl
def livehub_register_commands(cli: Any) -> None:
    from plugins.demo.command import demo

    cli.add_command(demo)
