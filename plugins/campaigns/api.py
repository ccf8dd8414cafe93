"""Campaigns over HTTP: define, list, delete, run; the runs; the items, approved or rejected by a person.

A campaign belongs to the tenant of its ``room`` (hub/tenants.py; no room, or a room no tenant has: the
operator's). A tenant's token defines campaigns on its own rooms only and sees, runs, sends and approves only
its own (another's is "no such campaign"); the operator's token reaches every campaign."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from hub.jsonbody import JsonBodyError
from hub.jsonbody import loads as load_json
from hub.web import HUB_KEY, json_error, json_response
from hub.web.common import request_tenant_rooms
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


def _mine(request: web.Request, row: dict[str, Any] | None) -> bool:
    """Whether the request may see campaign ``row``: the operator any, a tenant those of its rooms."""
    rooms = request_tenant_rooms(request)
    return row is not None and (rooms is None or (row["definition"] or {}).get("room") in rooms)


async def _own(request: web.Request, name: str) -> dict[str, Any] | None:
    """Campaign ``name`` if the request may see it, else None (as if there were none)."""
    row = await store.get(request.app[HUB_KEY].storage, name)
    return row if _mine(request, row) else None


async def _own_names(request: web.Request) -> set[str] | None:
    """The names of the campaigns a tenant's request may see (None: the operator's, every campaign)."""
    if request_tenant_rooms(request) is None:
        return None
    return {row["name"] for row in await store.listed(request.app[HUB_KEY].storage) if _mine(request, row)}


async def list_campaigns(request: web.Request) -> web.Response:
    rows = await store.listed(request.app[HUB_KEY].storage)
    return json_response({"campaigns": [row for row in rows if _mine(request, row)]})


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
    rooms = request_tenant_rooms(request)
    if rooms is not None:
        named = {campaign.room} | ({campaign.before_show.room} if campaign.before_show is not None else set())
        if campaign.room is None or not named <= rooms:
            return json_error(403, "room: a tenant's campaign names one of its rooms (and its before_show room "
                                   "too, if any)", field="room")
    existing = await store.get(hub.storage, name)
    if existing is not None and not _mine(request, existing):
        return json_error(409, "a campaign of that name exists already: choose another name", field="name")
    await store.save(hub.storage, name, definition)
    await hub.storage.audit(actor="api", action="campaign.save", target=name, detail={},
                            tenant=hub.storage.tenant_of(campaign.room or ""))
    from plugins.campaigns.planner import CampaignPlanner

    planner = hub.slots.get(CampaignPlanner)
    if planner is not None and campaign.before_show is not None:
        planner.wake()
    return json_response({"name": name, "definition": definition})


async def get_campaign(request: web.Request) -> web.Response:
    storage = request.app[HUB_KEY].storage
    row = await _own(request, request.match_info["name"])
    if row is None:
        return json_error(404, "no such campaign")
    return json_response({**row, "runs": await store.runs(storage, row["name"], 10)})


async def delete_campaign(request: web.Request) -> web.Response:
    if await _own(request, request.match_info["name"]) is None or not await store.delete(
            request.app[HUB_KEY].storage, request.match_info["name"]):
        return json_error(404, "no such campaign")
    return json_response({"deleted": request.match_info["name"]})


async def run_campaign(request: web.Request) -> web.Response:
    if await _own(request, request.match_info["name"]) is None:
        return json_error(404, f"no campaign {request.match_info['name']!r}")
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
    names = await _own_names(request)
    found = await store.items(request.app[HUB_KEY].storage, **query)
    return json_response({"items": [item for item in found if names is None or item["campaign"] in names]})


async def decide_item(request: web.Request) -> web.Response:
    try:
        item_id = int(request.match_info["id"])
    except ValueError:
        return json_error(404, "no such item")
    approve = request.match_info["decision"] == "approve"
    item = await store.item(request.app[HUB_KEY].storage, item_id)
    if item is None or await _own(request, item["campaign"]) is None:
        return json_error(404, f"no campaign item {item_id}")
    try:
        item = await _service(request).decide(item_id, approve, "api")
    except CampaignError as exc:
        return json_error(409 if "not awaiting" in str(exc) else 404, str(exc))
    return json_response(item)


async def send_campaign(request: web.Request) -> web.Response:
    if await _own(request, request.match_info["name"]) is None:
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
    names = await _own_names(request)
    if names is not None:
        query = query.where(campaign_deliveries.c.campaign.in_(sorted(names)))
    async with request.app[HUB_KEY].storage.engine.connect() as conn:
        rows = [dict(r._mapping) for r in await conn.execute(query)]
    for row in rows:
        row.pop("token")  # the reader's own links: not for the API
    return json_response({"deliveries": rows})


async def campaign_report(request: web.Request) -> web.Response:
    from plugins.campaigns.report import campaign_report as compute

    hub = request.app[HUB_KEY]
    if await _own(request, request.match_info["name"]) is None:
        return json_error(404, "no such campaign")
    hours = hub.plugin_config("campaigns").attribution_hours
    return json_response(await compute(hub.storage, request.match_info["name"], hours))
