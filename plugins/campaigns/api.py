"""Campaigns over HTTP: define, list, delete, run; the runs; the items, approved or rejected by a person."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from hub.jsonbody import JsonBodyError
from hub.jsonbody import loads as load_json
from hub.web import HUB_KEY, json_error, json_response
from plugins.campaigns import store
from plugins.campaigns.model import NAME_PATTERN, Campaign
from plugins.campaigns.sender import CampaignSender
from plugins.campaigns.service import CampaignError, CampaignService

STATES = ("awaiting_approval", "approved", "blocked", "rejected")


def _service(request: web.Request) -> CampaignService:
    return request.app[HUB_KEY].slots.setdefault(CampaignService, lambda: CampaignService(request.app[HUB_KEY]))


def _sender(request: web.Request) -> CampaignSender:
    hub = request.app[HUB_KEY]
    settings = hub.plugin_config("campaigns")
    return hub.slots.setdefault(CampaignSender, lambda: CampaignSender(
        hub, _service(request), consent=settings.consent, public_url=settings.public_url))


async def campaign_options(request: web.Request) -> web.Response:
    """What a campaign may name on this hub: content kinds (their generators), channel kinds (configured or
    not: a channel sends once ``[backends.channel.<name>]`` configures it), product rules, approval policies."""
    hub = request.app[HUB_KEY]
    kinds: dict[str, list[str]] = {}
    channels: dict[str, dict[str, Any]] = {}
    configured = {name for kind, name in hub.settings.backends if kind == "channel"}
    for (kind, name), entry in sorted(hub.registry.backends.items()):
        made = getattr(entry[1].factory, "kind", None)
        if kind == "content" and made:
            kinds.setdefault(made, []).append(name)
        elif kind == "channel" and made:
            channel = channels.setdefault(made, {"backends": [], "configured": False})
            channel["backends"].append(name)
            channel["configured"] = channel["configured"] or name in configured
    return json_response({"kinds": kinds, "channels": channels,
                          "rules": ["all", "low_stock", "on_promotion", "next_show"], "approval": ["manual", "auto"]})


async def list_campaigns(request: web.Request) -> web.Response:
    return json_response({"campaigns": await store.listed(request.app[HUB_KEY].storage)})


async def put_campaign(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if not re.match(NAME_PATTERN, name):
        return json_error(400, "name: letters, digits, '_', '.', '-' (at most 80)", field="name")
    try:
        campaign = Campaign.model_validate(load_json(await request.read()))
    except JsonBodyError as exc:
        return json_error(400, str(exc))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        return json_error(400, f"{where}: {first['msg']}", field=where)
    definition = campaign.model_dump(mode="json")
    hub = request.app[HUB_KEY]
    await store.save(hub.storage, name, definition)
    await hub.storage.audit(actor="api", action="campaign.save", target=name, detail={})
    from plugins.campaigns.planner import CampaignPlanner

    planner = hub.slots.get(CampaignPlanner)
    if planner is not None and campaign.before_show is not None:
        planner.wake()
    return json_response({"name": name, "definition": definition})


async def get_campaign(request: web.Request) -> web.Response:
    storage = request.app[HUB_KEY].storage
    row = await store.get(storage, request.match_info["name"])
    if row is None:
        return json_error(404, "no such campaign")
    return json_response({**row, "runs": await store.runs(storage, row["name"], 10)})


async def delete_campaign(request: web.Request) -> web.Response:
    if not await store.delete(request.app[HUB_KEY].storage, request.match_info["name"]):
        return json_error(404, "no such campaign")
    return json_response({"deleted": request.match_info["name"]})


async def run_campaign(request: web.Request) -> web.Response:
    try:
        run = await _service(request).run(request.match_info["name"], "api")
    except CampaignError as exc:
        return json_error(404, str(exc))
    return json_response(run, status=200 if run["status"] == "done" else 409)


async def list_items(request: web.Request) -> web.Response:
    query: dict[str, Any] = {}
    if "campaign" in request.query:
        query["campaign"] = request.query["campaign"]
    if "state" in request.query:
        if request.query["state"] not in STATES:
            return json_error(400, f"state: one of {', '.join(STATES)}", field="state")
        query["state"] = request.query["state"]
    if "run" in request.query:
        try:
            query["run_id"] = int(request.query["run"])
        except ValueError:
            return json_error(400, "run: a run id", field="run")
    return json_response({"items": await store.items(request.app[HUB_KEY].storage, **query)})


async def decide_item(request: web.Request) -> web.Response:
    try:
        item_id = int(request.match_info["id"])
    except ValueError:
        return json_error(404, "no such item")
    approve = request.match_info["decision"] == "approve"
    try:
        item = await _service(request).decide(item_id, approve, "api")
    except CampaignError as exc:
        return json_error(409 if "not awaiting" in str(exc) else 404, str(exc))
    return json_response(item)


async def send_campaign(request: web.Request) -> web.Response:
    if await store.get(request.app[HUB_KEY].storage, request.match_info["name"]) is None:
        return json_error(404, "no such campaign")
    try:
        counts = await _sender(request).send(request.match_info["name"], "api")
    except LookupError as exc:
        return json_error(409, str(exc))
    return json_response({"campaign": request.match_info["name"], **counts})


async def list_deliveries(request: web.Request) -> web.Response:
    import sqlalchemy as sa

    from hub.storage.tables import campaign_deliveries

    query = sa.select(campaign_deliveries).order_by(campaign_deliveries.c.id).limit(1000)
    if "campaign" in request.query:
        query = query.where(campaign_deliveries.c.campaign == request.query["campaign"])
    async with request.app[HUB_KEY].storage.engine.connect() as conn:
        rows = [dict(r._mapping) for r in await conn.execute(query)]
    for row in rows:
        row.pop("token")  # the reader's own links: not for the API
    return json_response({"deliveries": rows})


async def campaign_report(request: web.Request) -> web.Response:
    from plugins.campaigns.report import campaign_report as compute

    hub = request.app[HUB_KEY]
    if await store.get(hub.storage, request.match_info["name"]) is None:
        return json_error(404, "no such campaign")
    hours = hub.plugin_config("campaigns").attribution_hours
    return json_response(await compute(hub.storage, request.match_info["name"], hours))
