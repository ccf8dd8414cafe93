"""The console's page and the two small API routes it needs beyond the room control API.

* ``GET /console`` serves the page (a static file: it holds no data; every figure on it comes from
  ``/api/v1`` with the operator's token, so the page itself needs none); ``GET /console/campaigns`` the
  campaigns page (define, schedule, run, send and measure campaigns: the campaigns plugin's API);
* ``GET /api/v1/audit?limit=N`` — the newest audit entries, newest first (token);
* ``GET /api/v1/catalog`` — the shop and its products, for the product switcher (token).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from hub.web import HUB_KEY, json_error, json_response, static_file
from hub.web.common import TENANT, request_tenant_rooms
from hub.web.pages import security_headers

STATIC = Path(__file__).with_name("static")
ASSETS = {"console.js": "text/javascript", "console.css": "text/css", "campaigns.js": "text/javascript",
          "appearance.js": "text/javascript"}
MAX_AUDIT = 500
PAGE_HEADERS = security_headers(frame_ancestors="'none'")


async def console_page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "console.html", headers=PAGE_HEADERS)


async def campaigns_page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "campaigns.html", headers=PAGE_HEADERS)


async def console_asset(request: web.Request) -> web.StreamResponse:
    return static_file(STATIC, ASSETS, request.match_info["name"])


async def get_audit(request: web.Request) -> web.StreamResponse:
    """``GET /api/v1/audit?limit=50``: ``{"entries": [{id, ts, actor, action, target, detail, tenant}, ...]}``; a
    tenant's token reads its own entries only (about its rooms and campaigns)."""
    hub = request.app[HUB_KEY]
    raw = request.query.get("limit", "50")
    try:
        limit = int(raw)
    except ValueError:
        return json_error(400, f"limit: not a whole number: {raw!r}", field="limit")
    if not 1 <= limit <= MAX_AUDIT:
        return json_error(400, f"limit: must be 1 to {MAX_AUDIT}", field="limit")
    if hub.storage is None:
        return json_error(503, "storage is not running")
    return json_response({"entries": await hub.storage.recent_audit(limit, tenant=request.get(TENANT))})


def product_summary(product: Any) -> dict[str, Any]:
    return {"sku": product.sku, "link": product.link, "name": product.name, "price": str(product.price),
            "promo_price": None if product.promo_price is None else str(product.promo_price),
            "stock": product.stock}


async def get_catalog(request: web.Request) -> web.StreamResponse:
    """``GET /api/v1/catalog[?room=main]``: the room's shop (the first shop without ``room``) as
    ``{"shop": {...} | null, "products": [{sku, link, name, price, ...}]}``."""
    hub = request.app[HUB_KEY]
    room = request.query.get("room")
    mine = request_tenant_rooms(request)
    if mine is not None and room not in mine:  # a tenant's token: the shop of one of its rooms only
        return json_error(404, "no such room: a tenant names one of its rooms (?room=)", field="room")
    if room is not None and hub.rooms.get(room) is None:
        return json_error(404, f"no room {room!r}", field="room")
    catalog = hub.catalog(room)
    if catalog is None:
        return json_response({"shop": None, "products": []})
    shop = catalog.shop.model_dump(mode="json") if catalog.shop is not None else None
    products = sorted(catalog.products, key=lambda p: p.link)
    return json_response({"shop": shop, "products": [product_summary(p) for p in products]})
