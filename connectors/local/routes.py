"""The built-in live room's public HTTP routes: the viewer page, its data, comment intake and chat feed.

None of them needs the API token, and every one answers only for a room served by a ``local`` connector
**and** marked ``[rooms.<room>] public = true`` (404 otherwise), the same rule as the WebRTC route the
page watches the stage through (``POST /live/{room}/webrtc``, plugin ``output_webrtc``).

Per-client limits (comments, open feeds) take the client's address from
:func:`hub.web.common.client_address`: the TCP peer, or what a configured trusted proxy forwarded.
"""

from __future__ import annotations

import asyncio
import html
import json
import math
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from connectors.local.client import SubmissionError
from connectors.local.connector import ClientFeedsFull, FeedFull, LocalRoomConnector, RateLimited, local_rooms
from hub.bus import BusClosed
from hub.errors import NotReady
from hub.jsonbody import JsonBodyError
from hub.jsonbody import loads as load_json
from hub.web import HUB_KEY, json_error, json_response, static_file
from hub.web.common import client_address
from hub.web.pages import security_headers

STATIC = Path(__file__).with_name("static")
ASSETS = {"room.js": "text/javascript", "room.css": "text/css"}
MAX_BODY = 8 * 1024
PAGE_HEADERS = security_headers(frame_ancestors="'self'")  # the hub's own pages may frame the room


def public_room(request: web.Request, room: str | None) -> LocalRoomConnector | None:
    """The local connector serving ``room`` (None: the default room) if that room is public."""
    hub = request.app[HUB_KEY]
    rooms = local_rooms(hub)
    connector = rooms.get(room) if room is not None else next(iter(rooms.values()), None)
    if connector is None:
        return None
    bound = hub.rooms.get(connector.room)
    return connector if bound is not None and bound.public else None


def _not_found(room: str | None) -> web.Response:
    # The room name from the path is never repeated: every answer passes through the secret redactor, so
    # echoing it would tell anyone whether a guessed name is a configured secret.
    return json_error(404, "no public live room here: a room needs a [connectors.<name>] type = \"local\" "
                           "and [rooms.<room>] public = true")


async def page(request: web.Request) -> web.StreamResponse:
    """``GET /`` and ``GET /live/{room}``: the viewer page."""
    room = request.match_info.get("room")
    connector = public_room(request, room)
    if connector is None:
        return _not_found(room)
    text = (STATIC / "room.html").read_text(encoding="utf-8")
    text = (text.replace("{{room}}", html.escape(connector.room))
                .replace("{{title}}", html.escape(connector.title()))
                .replace("{{lang}}", html.escape(connector.locale)))
    return web.Response(text=text, content_type="text/html", headers=PAGE_HEADERS)


async def asset(request: web.Request) -> web.StreamResponse:
    return static_file(STATIC, ASSETS, request.match_info["name"])


def product_view(product: Any, room: str, currency: str) -> dict[str, Any]:
    return {"sku": product.sku, "link": product.link, "name": product.name, "price": str(product.price),
            "promo_price": None if product.promo_price is None else str(product.promo_price),
            "stock": product.stock, "currency": currency, "selling_points": product.selling_points[:3],
            "image": f"/live/{room}/products/{product.sku}/image" if product.image else None}


async def info(request: web.Request) -> web.StreamResponse:
    """``GET /live/{room}/info``: what the page shows around the stage (title, products on sale)."""
    room = request.match_info["room"]
    connector = public_room(request, room)
    if connector is None:
        return _not_found(room)
    catalog = request.app[HUB_KEY].catalog(room)
    currency = catalog.shop.currency if catalog is not None else "CNY"
    products = sorted(catalog.products, key=lambda p: p.link) if catalog is not None else []
    return json_response({
        "room": connector.room, "title": connector.title(), "host_name": connector.host_name,
        "locale": connector.locale, "max_comment_chars": connector.config.max_comment_chars,
        "stage_sku": connector.stage_sku, "viewers": len(connector.feeds),
        "products": [product_view(p, connector.room, currency) for p in products[:50]]})


async def product_image(request: web.Request) -> web.StreamResponse:
    """``GET /live/{room}/products/{sku}/image``: a product's picture, read through the room's shop (the
    reference comes from the catalog, never from the request); only PNG, JPEG and WebP pictures are served."""
    room = request.match_info["room"]
    hub = request.app[HUB_KEY]
    shop = hub.shop(room)
    catalog = shop.catalog if shop is not None else None
    product = catalog.by_sku(request.match_info["sku"]) if catalog is not None else None
    if public_room(request, room) is None or shop is None or product is None:
        raise web.HTTPNotFound()
    data = await shop.image(product)
    kind = picture_type(data) if data else None
    if kind is None:
        raise web.HTTPNotFound()
    return web.Response(body=data, headers={"Content-Type": kind, "Cache-Control": "max-age=300",
                                            "X-Content-Type-Options": "nosniff"})


def picture_type(data: bytes) -> str | None:
    """The content type of a PNG, JPEG or WebP picture by its first bytes; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


async def post_comment(request: web.Request) -> web.StreamResponse:
    """``POST /live/{room}/comments`` ``{name, text, viewer_id, message_id}`` → 202 (200 for a resend),
    ``{"id": message_id, "duplicate": bool}``.

    The answer never repeats what was submitted (text or name): every response passes through the secret
    redactor, so an echo would let anyone test guesses of a configured secret. The page shows the comment
    from what it sent. Errors name the field, never its value."""
    room = request.match_info["room"]
    connector = public_room(request, room)
    if connector is None:
        return _not_found(room)
    if request.content_length is not None and request.content_length > MAX_BODY:
        return json_error(413, "the comment is too large")
    try:
        data = load_json(await request.read(), max_bytes=MAX_BODY)
    except JsonBodyError:
        return json_error(400, "the body must be JSON", field="body")
    try:
        submission, new = await connector.submit(data, client_address(request))
    except SubmissionError as exc:
        return json_error(400, str(exc), field=exc.field)
    except RateLimited as exc:
        return json_error(429, str(exc), headers={"Retry-After": str(max(1, math.ceil(exc.retry_after)))})
    except NotReady as exc:
        return json_error(503, str(exc))
    except (TimeoutError, BusClosed):
        return json_error(503, "the comment could not be stored right now; send it again (same message_id)",
                          headers={"Retry-After": "5"})
    return json_response({"id": submission.message_id, "duplicate": not new}, 202 if new else 200)


async def feed(request: web.Request) -> web.StreamResponse:
    """``GET /live/{room}/feed``: the public chat feed (WebSocket, JSON text messages)."""
    room = request.match_info["room"]
    connector = public_room(request, room)
    if connector is None:
        return _not_found(room)
    hub = request.app[HUB_KEY]
    ws = web.WebSocketResponse(heartbeat=25, max_msg_size=4096)
    if not ws.can_prepare(request).ok:
        return json_error(400, "the chat feed is a WebSocket: connect with an Upgrade: websocket request")
    address = client_address(request)
    try:
        queue = connector.open_feed(address)  # refused before the upgrade, with a plain JSON answer
    except ClientFeedsFull as exc:
        return json_error(429, str(exc))
    except FeedFull as exc:
        return json_error(503, str(exc))
    try:
        await ws.prepare(request)
        if hub.web is not None:
            hub.web.track_websocket(ws)
        viewer = request.query.get("viewer_id", "")
        from connectors.local.client import clean_text, default_name

        name = clean_text(request.query.get("name", ""))[:24] or default_name(viewer)
        if 8 <= len(viewer) <= 64 and viewer.replace("-", "").replace("_", "").isalnum():
            connector.viewer_entered(viewer, name, address)
        await ws.send_json(connector.hello(), dumps=_dumps)
        reader = hub.create_task(_drain(ws, queue), name=f"local:{room}:feed-reader:{id(ws):x}")
        try:
            while not ws.closed:
                message = await queue.get()
                if message is None:  # the reader saw the page go
                    break
                await ws.send_json(message, dumps=_dumps)
        except (ConnectionResetError, RuntimeError):  # the viewer went away mid-send
            pass
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
    finally:
        connector.close_feed(queue)
        if ws.prepared:
            await ws.close()
    return ws


def _dumps(data: Any) -> str:
    """JSON text for the feed; a string no UTF-8 can carry (a lone surrogate from some platform) is sent
    as a JSON ``\\u`` escape rather than breaking the feed for every viewer."""
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data, ensure_ascii=True)
    return text


async def _drain(ws: web.WebSocketResponse, queue: asyncio.Queue[Any]) -> None:
    """Read (and ignore) what the page sends, so pings and the close handshake are handled; when the
    page goes, wake the sender with ``None``."""
    try:
        async for message in ws:
            if message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
    finally:
        if queue.full():
            queue.get_nowait()
        queue.put_nowait(None)
