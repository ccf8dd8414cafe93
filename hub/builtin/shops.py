"""The core's shop routes: webhooks from the shops, and the catalog of each shop.

``POST /shops/{connector}/webhook`` takes a shop's webhook delivery without the API token (the shop
cannot send one): the catalog connector checks its signature over the raw body before anything is parsed
(:meth:`hub.shop.CatalogConnector.receive_webhook`), answers 401 to a forged one and 200 at once to the
others (the work is queued, well within the shops' 5 s delivery timeout). The body is capped at 5 MiB. In a
cluster with Redis, an accepted delivery is also shared with the other processes before the shop is answered
(hub/cluster/shops.py): whichever process the shop reached, every process's catalog takes the change.

``GET /api/v1/shops`` lists the catalog connectors with their state, counts and the rooms that sell from
each; ``GET /api/v1/shops/{connector}/products`` is a shop's current catalog. A tenant's token sees the shops
its rooms sell from, with only its rooms named.
"""

from __future__ import annotations

import logging

from aiohttp import web

from hub.hookspecs import hookimpl
from hub.shop import CatalogConnector
from hub.shop_webhooks import WEBHOOK_PATH
from hub.specs import WebRoute
from hub.web.common import HUB_KEY, json_response, request_tenant_rooms

log = logging.getLogger("livehub.shops")

MAX_BODY = 5 * 1024 * 1024
TAGS = ("shops",)


def _shop(request: web.Request) -> CatalogConnector:
    name = request.match_info["connector"]
    connector = request.app[HUB_KEY].connectors.get(name)
    if not isinstance(connector, CatalogConnector):
        raise web.HTTPNotFound(text=f"no shop connector named {name!r}")
    return connector


async def post_webhook(request: web.Request) -> web.Response:
    """One webhook delivery from a shop: verified, de-duplicated and queued; answered at once."""
    shop = _shop(request)
    if request.content_length is not None and request.content_length > MAX_BODY:
        return json_response({"error": f"a webhook body is at most {MAX_BODY} bytes"}, status=413)
    body = await request.content.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return json_response({"error": f"a webhook body is at most {MAX_BODY} bytes"}, status=413)
    status, answer, accepted = shop.receive_webhook(request.headers, body)
    fanout = getattr(request.app[HUB_KEY].cluster, "shops", None)
    if accepted is not None and fanout is not None:  # the other processes' catalogs take it too
        try:
            await fanout.share(shop.name, accepted)
        except Exception as exc:  # they catch up at their next reconciliation with the shop
            log.warning("shop %s: webhook %s not shared with the other processes: %s", shop.name, accepted.id, exc)
    return json_response(answer, status=status)


def tenant_shop_rooms(request: web.Request, shop: CatalogConnector) -> list[str]:
    """The rooms selling from ``shop`` the request may see (a tenant's token: only its own)."""
    rooms = request.app[HUB_KEY].shop_rooms(shop.name)
    mine = request_tenant_rooms(request)
    return rooms if mine is None else [room for room in rooms if room in mine]


async def get_shops(request: web.Request) -> web.Response:
    """Every shop for the operator; for a tenant, the shops its rooms sell from (and only its rooms)."""
    everything = request_tenant_rooms(request) is None
    shops = []
    for shop in request.app[HUB_KEY].connectors.values():
        if isinstance(shop, CatalogConnector) and ((rooms := tenant_shop_rooms(request, shop)) or everything):
            shops.append({**shop.status(), "rooms": rooms})
    return json_response(shops)


async def get_products(request: web.Request) -> web.Response:
    shop = _shop(request)
    if request_tenant_rooms(request) is not None and not tenant_shop_rooms(request, shop):
        raise web.HTTPNotFound(text=f"no shop connector named {shop.name!r}")
    catalog = shop.catalog
    if catalog is None:
        return json_response({"error": f"shop {shop.name} has no catalog yet ({shop.state})"}, status=503)
    return json_response({"shop": catalog.shop.model_dump(mode="json"),
                          "products": [p.model_dump(mode="json") for p in catalog.products]})


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    return [
        WebRoute("POST", WEBHOOK_PATH, post_webhook, auth=False, tags=TAGS,
                 summary="A shop's webhook delivery (signature checked over the raw body before parsing)",
                 responses={"200": "accepted (or a duplicate, acknowledged)", "401": "bad signature",
                            "404": "no such shop", "413": "body too large", "503": "queue full: redeliver"}),
        WebRoute("GET", "/api/v1/shops", get_shops, tags=TAGS, tenants=True,
                 summary="The shops, their state and rooms (a tenant's token: the shops of its rooms)"),
        WebRoute("GET", "/api/v1/shops/{connector}/products", get_products, tags=TAGS, tenants=True,
                 summary="A shop's current catalog (a tenant's token: a shop one of its rooms sells from)"),
    ]
