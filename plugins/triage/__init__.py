"""Comment triage and the room engine: from a flood of live comments to a few correct, timely lines.

Per room: normalise, drop spam/abuse/injection, detect intent, resolve the product, aggregate repeats,
queue with priority, fairness, ageing and expiry, keep to the speaking budget, batch thank-yous, answer
through the answer chain, review every line, publish :class:`hub.events.Reply` events. Settings:
``[plugins.triage]`` (:class:`plugins.triage.settings.TriageSettings`). See ``docs/conversation.md``.

Provides :class:`hub.interfaces.AnswerQueue` (the rooms' answer queues) in ``hub.slots``.
"""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl

PLUGIN_NAME = "triage"


@hookimpl
def livehub_config_models() -> dict[str, Any]:
    from plugins.triage.settings import TriageSettings

    return {"triage": TriageSettings}


@hookimpl
def livehub_plugin_dependencies() -> Any:
    from hub.specs import Dependencies

    return Dependencies(provides=("AnswerQueue",))


@hookimpl
async def livehub_startup(hub: Any) -> None:
    from plugins.triage.service import TriageService

    await TriageService(hub, hub.plugin_config("triage")).start()


@hookimpl
async def livehub_shutdown(hub: Any) -> None:
    from plugins.triage.service import service_for

    service = service_for(hub)
    if service is not None:
        await service.stop()


@hookimpl
def livehub_register_commands(cli: Any) -> None:
    from plugins.triage.enrich_command import catalog

    cli.add_command(catalog)
