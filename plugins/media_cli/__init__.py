"""Media commands: ``livehub render`` (a pitch video to MP4) and ``livehub stream-test`` (check an ingest)."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl

PLUGIN_NAME = "media_cli"


@hookimpl
def livehub_register_commands(cli: Any) -> None:
    from plugins.media_cli.commands import render, stream_test

    cli.add_command(render)
    cli.add_command(stream_test)
