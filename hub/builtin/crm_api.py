"""The core's CRM route: what the CRM outbox holds.

``GET /api/v1/crm/outbox[?connector=&state=&limit=]`` answers the newest writes (newest first: id, connector,
key, op, state, attempts, last error, the CRM's result, times) and the counts per state, of one CRM
connector or of all (:mod:`hub.crm`). Payloads are left out: they hold personal data, and the API token's
holder can read the contact in the CRM itself. A tenant's token reads the outbox of one of its own CRM
connectors (``?connector=`` is then required; another's is "no such connector", 404).
"""

from __future__ import annotations

from aiohttp import web

from hub.hookspecs import hookimpl
from hub.specs import WebRoute
from hub.storage import outbox_store
from hub.tenants import tenant_of_connector
from hub.web.common import HUB_KEY, TENANT, json_error, json_response

MAX_LIMIT = 500


async def get_outbox(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    connector = request.query.get("connector")
    tenant = request.get(TENANT)
    if tenant is not None:
        if connector is None:
            return json_error(400, "connector: a tenant names one of its CRM connectors", field="connector")
        if connector not in hub.connectors or tenant_of_connector(hub.config, connector) != tenant:
            return json_error(404, f"no such connector: {connector!r}", field="connector")
    state = request.query.get("state")
    if state is not None and state not in outbox_store.STATES:
        return json_error(400, f"state: one of {', '.join(outbox_store.STATES)}", field="state")
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        return json_error(400, "limit: not a whole number", field="limit")
    if not 1 <= limit <= MAX_LIMIT:
        return json_error(400, f"limit: 1 to {MAX_LIMIT}", field="limit")
    rows = await outbox_store.entries(hub.storage, connector=connector, state=state, limit=limit)
    entries = [{k: v for k, v in row.items() if k != "payload"} for row in rows]
    return json_response({"counts": await outbox_store.counts(hub.storage, connector), "entries": entries})


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    return [WebRoute("GET", "/api/v1/crm/outbox", get_outbox, tags=("crm",), tenants=True,
                     summary="The CRM outbox: writes pending, sent and failed (with the CRM's error), newest first "
                             "(a tenant's token: of one of its CRM connectors)",
                     responses={"200": "{counts: {pending, sent, failed}, entries: [...]}",
                                "400": "bad state or limit", "404": "not one of the tenant's connectors"})]
