"""Shows: rundowns that run themselves on a room, the room bridge, the room control API, scheduled shows
and the watchdog. Settings: ``[plugins.show_runner]``; design: ``docs/live-room.md``.

* :mod:`.rundown` and :mod:`.library` — the rundown model and where shows are defined (TOML, the API);
* :mod:`.bridge` — voice replies onto a room's timeline, stage changes onto its card;
* :mod:`.show` — one show running on one room; :mod:`.pitch` — what it says;
* :mod:`.service` — rooms on air and their shows; :mod:`.broadcasts` — resuming after a restart;
* :mod:`.control` and :mod:`.api` — operator actions; :mod:`.jobs` — ``show.start``/``show.stop``;
* :mod:`.watchdog` — restarts failed outputs and connectors.

Provides :class:`hub.interfaces.ShowControl` in ``hub.slots``; answers come from
:class:`hub.interfaces.AnswerQueue` when a plugin provides it (started after it; shows run without it).
"""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl

PLUGIN_NAME = "show_runner"


@hookimpl
def livehub_config_models() -> dict[str, Any]:
    from plugins.show_runner.settings import ShowRunnerSettings

    return {"show_runner": ShowRunnerSettings}


@hookimpl
def livehub_register_routes() -> list[Any]:
    from plugins.show_runner.api import routes

    return routes()


@hookimpl
def livehub_register_job_types() -> list[Any]:
    from plugins.show_runner.jobs import JOB_TYPES

    return list(JOB_TYPES)


@hookimpl
def livehub_plugin_dependencies() -> Any:
    from hub.specs import Dependencies

    return Dependencies(after=("AnswerQueue",), provides=("ShowControl",))


@hookimpl
async def livehub_startup(hub: Any) -> None:
    from plugins.show_runner.service import ShowService

    await ShowService(hub, hub.plugin_config("show_runner")).start()


@hookimpl
async def livehub_shutdown(hub: Any) -> None:
    from plugins.show_runner.service import show_service

    service = show_service(hub)
    if service is not None:
        await service.stop()


@hookimpl
async def livehub_room_acquired(room: str, hub: Any) -> None:
    from plugins.show_runner.service import show_service

    service = show_service(hub)
    if service is not None:
        await service.room_acquired(room)


@hookimpl
async def livehub_room_released(room: str, reason: str, hub: Any) -> None:
    from plugins.show_runner.service import show_service

    service = show_service(hub)
    if service is not None:
        await service.room_released(room)
