"""Read-only API of the hub's state: status, plugins and what each provides, connectors.

All routes need the API token. Nothing here returns a secret: :meth:`hub.app.Hub.status` masks the
database password, and the web server redacts every configured secret from response bodies anyway.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.hookspecs import hookimpl
from hub.specs import WebRoute
from hub.web.common import HUB_KEY, json_response

TAGS = ("status",)


async def get_status(request: web.Request) -> web.Response:
    """The hub's name, readiness, uptime, database (masked), plugins, connectors, bus and scheduler."""
    return json_response(request.app[HUB_KEY].status())


def plugin_list(hub: Any) -> list[dict[str, Any]]:
    """Every known plugin (loaded, disabled or failed) with what it provides."""
    return [{**info, "provides": hub.registry.provides(info["name"])} for info in hub.plugins.describe()]


async def get_plugins(request: web.Request) -> web.Response:
    return json_response(plugin_list(request.app[HUB_KEY]))


async def get_connectors(request: web.Request) -> web.Response:
    from hub.web.common import request_tenant_rooms

    hub = request.app[HUB_KEY]
    mine = request_tenant_rooms(request)
    if mine is None:
        return json_response([c.status() for c in hub.connectors.values()])
    shops = {hub.shop(room).name for room in mine if hub.shop(room) is not None}  # a tenant: its rooms' own
    bound = {name for room in mine for name in hub.rooms[room].bindings}
    return json_response([c.status() for name, c in hub.connectors.items() if name in bound | shops])


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    return [
        WebRoute("GET", "/api/v1/status", get_status, summary="Hub status: readiness, plugins, "
                 "connectors, bus and scheduler", tags=TAGS),
        WebRoute("GET", "/api/v1/plugins", get_plugins, tags=TAGS,
                 summary="Every plugin with its source, state, hooks and what it provides"),
        WebRoute("GET", "/api/v1/connectors", get_connectors, tags=TAGS, tenants=True,
                 summary="Every configured connector with its state and last error"),
    ]
