"""The built-in CRM (``type = "builtin_crm"``): one contact per person across platforms, in the hub's own
database, written through the CRM outbox; ``/api/v1/contacts``, ``/api/v1/segments`` and ``livehub contacts
export|erase``. See docs/crm.md."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl
from hub.specs import ConnectorSpec, WebRoute

PLUGIN_NAME = "crm_builtin"


@hookimpl
def livehub_register_connectors() -> list[ConnectorSpec]:
    from connectors.crm_builtin.connector import BuiltinCrm, BuiltinCrmSettings

    return [ConnectorSpec(type="builtin_crm", kind="crm", factory=BuiltinCrm, config_model=BuiltinCrmSettings,
                          description="The built-in CRM: contacts across platforms in the hub's database")]


@hookimpl
def livehub_register_commands(cli: Any) -> None:
    from connectors.crm_builtin.cli import contacts

    cli.add_command(contacts)


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    from connectors.crm_builtin import api

    return [WebRoute("GET", "/api/v1/contacts", api.list_contacts, tags=("crm",), tenants=True,
                     summary="The built-in CRM's contacts, newest first (?q= name or email, ?limit=, the "
                             "operator's ?tenant=)"),
            WebRoute("PUT", "/api/v1/contacts/consent", api.put_consent, tags=("crm",), tenants=True,
                     summary="Record a person's consent {key, consent: granted|refused|unknown, source}"),
            WebRoute("GET", "/api/v1/contacts/{id}", api.get_contact, tags=("crm",), tenants=True,
                     summary="One contact with their accounts and timeline"),
            WebRoute("DELETE", "/api/v1/contacts/{id}", api.erase_contact, tags=("crm",),
                     summary="Erase a person's data everywhere in the hub's database (events' text included); "
                             "audited; the operator's (it reaches every tenant's rooms)"),
            WebRoute("GET", "/api/v1/segments", api.list_segments, tags=("crm",), tenants=True,
                     summary="The saved segments (name and definition)"),
            WebRoute("PUT", "/api/v1/segments/{name}", api.put_segment, tags=("crm",), tenants=True,
                     summary="Save a segment: {asked?, bought?, visits?, consent?, platform?} (docs/crm.md)"),
            WebRoute("GET", "/api/v1/segments/{name}", api.get_segment, tags=("crm",), tenants=True,
                     summary="A segment with its members now (?limit=)"),
            WebRoute("DELETE", "/api/v1/segments/{name}", api.delete_segment, tags=("crm",), tenants=True,
                     summary="Delete a segment")]
