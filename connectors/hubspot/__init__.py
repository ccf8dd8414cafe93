"""HubSpot (``type = "hubspot"``): the hub's CRM writes as HubSpot contacts, notes and deals over the CRM API
(batch upserts, rate-limit headers and 429s honoured, the API version a setting), and the stand-in
(``livehub standin hubspot``). See docs/crm/hubspot.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import ConnectorSpec, StandinSpec

PLUGIN_NAME = "hubspot"


@hookimpl
def livehub_register_connectors() -> list[ConnectorSpec]:
    from connectors.hubspot.connector import HubSpotCrm, HubSpotSettings

    return [ConnectorSpec(type="hubspot", kind="crm", factory=HubSpotCrm, config_model=HubSpotSettings,
                          description="HubSpot: contacts, visit notes and deals through the CRM outbox")]


@hookimpl
def livehub_register_standins() -> list[StandinSpec]:
    from connectors.hubspot.standin import HubSpotStandin

    return [StandinSpec(system="hubspot", factory=HubSpotStandin, connector_type="hubspot",
                        description="a HubSpot portal: objects API with batch upserts, rate-limit headers and 429s, "
                                    "validation errors")]
