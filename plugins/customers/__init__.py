"""Customers: the rooms' viewers become contacts, visit notes, leads and deals in the configured CRMs, through
the CRM outbox and within the merchant's consent policy. Settings ``[plugins.customers]`` and ``[rooms.<name>]
region``; see docs/crm.md, "From viewers to customers"."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl

PLUGIN_NAME = "customers"


@hookimpl
def livehub_config_models() -> dict[str, Any]:
    from plugins.customers.settings import CustomersSettings

    return {"customers": CustomersSettings}


@hookimpl
def livehub_room_models() -> list[Any]:
    from plugins.customers.settings import CustomerRoomSettings

    return [CustomerRoomSettings]


@hookimpl
def livehub_plugin_dependencies() -> Any:
    from hub.specs import Dependencies

    return Dependencies(after=("AnswerQueue",))


@hookimpl
async def livehub_startup(hub: Any) -> None:
    from plugins.customers.service import CustomerService

    await CustomerService(hub, hub.plugin_config("customers")).start()


@hookimpl
async def livehub_shutdown(hub: Any) -> None:
    from plugins.customers.service import CustomerService

    service = hub.slots.get(CustomerService)
    if service is not None:
        await service.stop()
