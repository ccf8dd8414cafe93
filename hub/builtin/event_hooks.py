"""Delivers every bus event to the plugins' ``livehub_on_event`` hooks, each isolated from the others."""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.hookspecs import hookimpl
from hub.registry import await_each

log = logging.getLogger("livehub.event_hooks")


class EventHookSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue_size: int = Field(10_000, ge=1)
    overflow: Literal["block", "drop_oldest"] = "block"


@hookimpl
def livehub_config_models() -> dict[str, type[BaseModel]]:
    return {"event_hooks": EventHookSettings}


@hookimpl
def livehub_startup(hub) -> None:
    settings: EventHookSettings = hub.plugin_config("event_hooks")

    def report(error) -> None:
        hub.report_error(error, f"plugin:{error.plugin}:on_event")

    async def deliver(event) -> None:
        await await_each(hub.plugins, "livehub_on_event", on_error=report, event=event, hub=hub)

    hub.bus.subscribe("event_hooks", deliver, maxsize=settings.queue_size, overflow=settings.overflow)
