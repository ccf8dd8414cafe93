"""``livehub replay``, ``livehub replay-gen`` and ``livehub export-trace``: rehearse a show on a recorded or
generated room."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl

PLUGIN_NAME = "replay"


@hookimpl
def livehub_plugin_dependencies() -> Any:
    """The commands run their own hub on a ``catalog_file`` connector and need its answer queue (they say
    so when either is missing); a hub that runs without them is not stopped by this plugin being loaded."""
    from hub.specs import Dependencies

    return Dependencies(after=("AnswerQueue", "catalog_file"))


@hookimpl
def livehub_register_commands(cli: Any) -> None:
    from plugins.replay.commands import export_trace, replay, replay_gen

    cli.add_command(replay)
    cli.add_command(replay_gen)
    cli.add_command(export_trace)
