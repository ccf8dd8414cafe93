"""A reader's links in outbound content (no token: they are opened from mail clients and pages):

* ``GET /r/<token>`` counts the click on that person's delivery (item, variant, person) and redirects to the
  item's link; ``GET /v/<token>`` serves the item's video (a pitch video is a link, never an attachment),
  counted as a click too;
* ``GET /u/<token>`` shows a page with one button; ``POST /u/<token>`` (the button, or a mail client's one-click
  ``List-Unsubscribe-Post``) unsubscribes the person: their consent becomes ``refused`` (no campaign message
  and nothing to a CRM again), on their timeline and in the audit log. A GET never unsubscribes: link
  checkers and mail scanners open links.
"""

from __future__ import annotations

import html
import time

import sqlalchemy as sa
from aiohttp import web

from hub.storage import people_store
from hub.storage.tables import campaign_deliveries
from hub.web import HUB_KEY

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font:16px system-ui,sans-serif;max-width:32rem;margin:3rem auto">{body}</body></html>"""


async def _delivery(request: web.Request) -> dict | None:
    token = request.match_info["token"][:64]
    async with request.app[HUB_KEY].storage.engine.connect() as conn:
        row = (await conn.execute(sa.select(campaign_deliveries).where(campaign_deliveries.c.token == token))).first()
    return dict(row._mapping) if row is not None else None


def _page(title: str, body: str, status: int = 200) -> web.Response:
    return web.Response(text=PAGE.format(title=html.escape(title), body=body), content_type="text/html",
                        status=status)


async def follow(request: web.Request) -> web.StreamResponse:
    delivery = await _delivery(request)
    if delivery is None or not delivery["link"].startswith(("http://", "https://")):
        return _page("Link not found", "<p>This link is not known.</p>", 404)
    async with request.app[HUB_KEY].storage.engine.begin() as conn:
        await conn.execute(campaign_deliveries.update().where(campaign_deliveries.c.id == delivery["id"]).values(
            clicks=campaign_deliveries.c.clicks + 1, clicked_ts=time.time()))
    raise web.HTTPFound(delivery["link"])


async def video(request: web.Request) -> web.StreamResponse:
    """``GET /v/<token>``: the video of the reader's item (the first size: vertical), counted as a click."""
    from pathlib import Path

    from plugins.campaigns import store

    delivery = await _delivery(request)
    item = await store.item(request.app[HUB_KEY].storage, delivery["item_id"]) if delivery is not None else None
    videos = list(((item or {}).get("content") or {}).get("videos", {}).values())
    if delivery is None or not videos or not Path(videos[0]).is_file():  # noqa: ASYNC240 - a stat
        return _page("Not found", "<p>This video is not known.</p>", 404)
    async with request.app[HUB_KEY].storage.engine.begin() as conn:
        await conn.execute(campaign_deliveries.update().where(campaign_deliveries.c.id == delivery["id"]).values(
            clicks=campaign_deliveries.c.clicks + 1, clicked_ts=time.time()))
    return web.FileResponse(videos[0], headers={"Content-Type": "video/mp4"})


async def unsubscribe_page(request: web.Request) -> web.Response:
    if await _delivery(request) is None:
        return _page("Not found", "<p>This link is not known.</p>", 404)
    return _page("Unsubscribe", '<form method="post"><p>Stop receiving these messages?</p>'
                 '<button type="submit">Unsubscribe</button></form>')


async def unsubscribe(request: web.Request) -> web.Response:
    delivery = await _delivery(request)
    if delivery is None:
        return _page("Not found", "<p>This link is not known.</p>", 404)
    hub = request.app[HUB_KEY]
    await people_store.set_consent_of(hub.storage, int(delivery["person_id"]), "refused",
                                      f"unsubscribed from campaign {delivery['campaign']}")
    await hub.storage.audit(actor="reader", action="contacts.unsubscribe", target=f"person:{delivery['person_id']}",
                            detail={"campaign": delivery["campaign"], "delivery": delivery["id"]})
    return _page("Unsubscribed", "<p>You will not receive these messages any more.</p>")
