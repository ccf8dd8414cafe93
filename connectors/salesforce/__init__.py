"""Salesforce (``type = "salesforce"``): the hub's CRM writes as Contacts or Leads, Tasks and Opportunities over
the REST API (OAuth client credentials or JWT bearer, upserts by external id, sObject Collections, per-record
errors, ``Sforce-Limit-Info``), and the stand-in (``livehub standin salesforce``). See docs/crm/salesforce.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import ConnectorSpec, StandinSpec

PLUGIN_NAME = "salesforce"


@hookimpl
def livehub_register_connectors() -> list[ConnectorSpec]:
    from connectors.salesforce.connector import SalesforceCrm, SalesforceSettings

    return [ConnectorSpec(type="salesforce", kind="crm", factory=SalesforceCrm, config_model=SalesforceSettings,
                          description="Salesforce: contacts or leads, tasks and opportunities through the CRM outbox")]


@hookimpl
def livehub_register_standins() -> list[StandinSpec]:
    from connectors.salesforce.standin import SalesforceStandin

    return [StandinSpec(system="salesforce", factory=SalesforceStandin, connector_type="salesforce",
                        description="a Salesforce org: OAuth (client credentials, JWT bearer), sObject upserts by "
                                    "external id, collections, SOQL pages, per-record errors, API limits")]
