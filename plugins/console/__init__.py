"""The operator console at ``/console``: steer a live room from a browser.

Room state, the answer queue (approve, skip, pin), takeover ("say now"), the product on stage,
pause/resume, connector and output states, live counters, a WebRTC preview and the audit log. The page is
static; it drives the room control API (``/api/v1/rooms/...``, plugin ``show_runner``) with the API token,
which the operator enters once (kept in the tab's sessionStorage). With no token configured the hub
listens on loopback only and the API is open to this machine, so the console just works there.
"""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl
from hub.specs import WebRoute

PLUGIN_NAME = "console"
TAGS = ("console",)


@hookimpl
def livehub_plugin_dependencies() -> Any:
    """The page drives the show runner's room control API over HTTP (the console shows its errors when
    that plugin is off); the audit and catalog routes need nothing else."""
    from hub.specs import Dependencies

    return Dependencies(after=("show_runner",))


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    from plugins.console import api

    return [
        WebRoute("GET", "/console", api.console_page, auth=False, tags=TAGS,
                 summary="The operator console (a static page; its data needs the API token)"),
        WebRoute("GET", "/console/campaigns", api.campaigns_page, auth=False, tags=TAGS,
                 summary="The campaigns page (static; it drives /api/v1/campaigns with the API token)"),
        WebRoute("GET", "/assets/console/{name}", api.console_asset, auth=False, tags=TAGS,
                 summary="The console's script and style"),
        WebRoute("GET", "/api/v1/audit", api.get_audit, tags=("audit",), tenants=True,
                 summary="The newest audit log entries, newest first (?limit=1..500, default 50; a tenant's token: "
                         "its own)",
                 responses={"200": "{entries: [{id, ts, actor, action, target, detail, tenant}]}",
                            "400": "Bad limit"}),
        WebRoute("GET", "/api/v1/catalog", api.get_catalog, tags=("catalog",), tenants=True,
                 summary="The shop and its products (the catalog connector's last good load)"),
    ]
