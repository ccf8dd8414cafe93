"""The core's shop routes: webhooks from the shops, and the catalog of each shop.

``POST /shops/{connector}/webhook`` takes a shop's webhook delivery without the API token (the shop
cannot send one): the catalog connector checks its signature over the raw body before anything is parsed
(:meth:`hub.shop.CatalogConnector.receive_webhook`), answers 401 to a forged one and 200 at once to the
others (the work is queued, well within the shops' 5 s delivery timeout). The body is capped at 5 MiB.

``GET /api/v1/shops`` lists the catalog connectors with their state, counts and the rooms that sell from
each; ``GET /api/v1/shops/{connector}/products`` is a shop's current catalog.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.hookspecs import hookimpl
from hub.shop import CatalogConnector
from hub.shop_webhooks import WEBHOOK_PATH
from hub.specs import WebRoute
from hub.web.common import HUB_KEY, json_response

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
    status, answer = shop.receive_webhook(request.headers, body)
    return json_response(answer, status=status)


def shop_summary(hub: Any, shop: CatalogConnector) -> dict[str, Any]:
    return {**shop.status(), "rooms": hub.shop_rooms(shop.name)}


async def get_shops(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    return json_response([shop_summary(hub, c) for c in hub.connectors.values() if isinstance(c, CatalogConnector)])


async def get_products(request: web.Request) -> web.Response:
    shop = _shop(request)
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
        WebRoute("GET", "/api/v1/shops", get_shops, tags=TAGS, summary="The shops, their state and rooms"),
        WebRoute("GET", "/api/v1/shops/{connector}/products", get_products, tags=TAGS,
                 summary="A shop's current catalog"),
    ]
