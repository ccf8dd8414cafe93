"""Campaigns: outbound content made between shows — per product × segment × channel, in A/B variants, from the
content generators (backends of kind ``content``), reviewed by the guardrails and approved by a person when the
campaign says so; each run an audited record. ``/api/v1/campaigns``, the job type ``campaign.run``. See
docs/campaigns.md (what is built and what is not yet)."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl
from hub.specs import WebRoute

PLUGIN_NAME = "campaigns"


@hookimpl
def livehub_config_models() -> dict[str, Any]:
    from plugins.campaigns.model import CampaignsSettings

    return {"campaigns": CampaignsSettings}


@hookimpl
def livehub_plugin_dependencies() -> Any:
    from hub.specs import Dependencies

    return Dependencies(after=("show_runner",))


@hookimpl
async def livehub_startup(hub: Any) -> None:
    from plugins.campaigns.planner import CampaignPlanner

    planner = CampaignPlanner(hub, hub.plugin_config("campaigns").plan_interval_s)
    hub.slots.set(CampaignPlanner, planner)
    planner.start()


@hookimpl
async def livehub_shutdown(hub: Any) -> None:
    from plugins.campaigns.planner import CampaignPlanner
    from plugins.campaigns.service import CampaignService

    planner = hub.slots.pop(CampaignPlanner)
    if planner is not None:
        await planner.stop()
    service = hub.slots.pop(CampaignService)
    if service is not None:
        await service.aclose()


@hookimpl
def livehub_register_commands(cli: Any) -> None:
    from plugins.campaigns.cli import campaign

    cli.add_command(campaign)


@hookimpl
def livehub_register_job_types() -> list[Any]:
    from plugins.campaigns.jobs import JOB_TYPES

    return list(JOB_TYPES)


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    from plugins.campaigns import api, links

    return [
        WebRoute("GET", "/r/{token}", links.follow, auth=False, summary="A reader's tracked link"),
        WebRoute("GET", "/v/{token}", links.video, auth=False, summary="A reader's video (a pitch video)"),
        WebRoute("GET", "/u/{token}", links.unsubscribe_page, auth=False, summary="Unsubscribe (a page)"),
        WebRoute("POST", "/u/{token}", links.unsubscribe, auth=False, summary="Unsubscribe (one click)"),
        WebRoute("POST", "/api/v1/campaigns/{name}/send", api.send_campaign, tenants=True, tags=("campaigns",),
                 summary="Send the approved items of the latest run to their segments, once per person"),
        WebRoute("GET", "/api/v1/campaigns/{name}/report", api.campaign_report, tenants=True, tags=("campaigns",),
                 summary="Per variant: sent, clicked, clicks, orders attributed, GMV; the winner"),
        WebRoute("GET", "/api/v1/campaign-deliveries", api.list_deliveries, tenants=True, tags=("campaigns",),
                 summary="Deliveries (?campaign=): person, item, state, clicks"),
        WebRoute("GET", "/api/v1/campaigns", api.list_campaigns, tenants=True, tags=("campaigns",),
                 summary="The campaigns (a tenant's token: those of its rooms)"),
        WebRoute("GET", "/api/v1/campaign-options", api.campaign_options, tenants=True, tags=("campaigns",),
                 summary="What a campaign may name here: content kinds, channel kinds (configured?), rules"),
        WebRoute("PUT", "/api/v1/campaigns/{name}", api.put_campaign, tenants=True, tags=("campaigns",),
                 summary="Define a campaign: {products|rule, segments, kinds, channels, variants, approval, ...}"),
        WebRoute("GET", "/api/v1/campaigns/{name}", api.get_campaign, tenants=True, tags=("campaigns",),
                 summary="A campaign with its latest runs"),
        WebRoute("DELETE", "/api/v1/campaigns/{name}", api.delete_campaign, tenants=True, tags=("campaigns",),
                 summary="Delete a campaign (its runs and items stay)"),
        WebRoute("POST", "/api/v1/campaigns/{name}/run", api.run_campaign, tenants=True, tags=("campaigns",),
                 summary="Run a campaign now: generate, review and queue its items"),
        WebRoute("GET", "/api/v1/campaign-items", api.list_items, tenants=True, tags=("campaigns",),
                 summary="Items (?campaign=, ?run=, ?state=awaiting_approval|approved|blocked|rejected)"),
        WebRoute("POST", "/api/v1/campaign-items/{id}/{decision:approve|reject}", api.decide_item, tenants=True,
                 tags=("campaigns",), summary="Approve (reviewed again against the catalog now) or reject an item"),
    ]
