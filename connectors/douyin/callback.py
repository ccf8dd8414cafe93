"""``POST /douyin/push``: the open platform's live-data pushes, on the hub's own web server.

An app has one callback URL for every room it is mounted in, so the route serves every
``mode = "open_platform"`` connector and picks the one whose ``room_id`` is the push's ``x-roomid``.
In this order, and nothing is ingested unless every step passes:

1. the headers ``x-nonce-str``, ``x-timestamp``, ``x-roomid``, ``x-msg-type``, ``x-signature`` are all
   there (else **400**), the room is one of ours (else **404**), the body is at most 1 MiB (**413**);
2. ``x-signature`` matches the raw bytes of the body, compared in constant time, **before** the body is
   parsed (else **401**);
3. ``x-timestamp`` (milliseconds) is within ``max_skew_s`` of now (else **401**: a replayed push);
4. the message type is known and the body is a JSON array (or one object) of items (else **400**);
5. the items are published and the answer waits until they are stored, at most ``ack_deadline_s``
   (the platform gives 2 s, 3 s for gifts): **200** ``{"err_no": 0}`` once stored, **503** when the
   database is slower (the push fails; the platform's retry or the gift look-back brings it again, and
   the repeat is recognised by ``msg_id``).

In a cluster, the process the push reaches may not run the room: it checks the push the same way and hands it
to the room's process through the room's Redis stream (hub/cluster/streams.py), answering 200 once Redis has
it (**404** without ``[cluster] redis_url``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from connectors.douyin.client import MSG_TYPES, SIGNED_HEADERS, verify_push
from connectors.douyin.connector import DouyinConnector, push_secret_of
from hub.bus import BusClosed
from hub.jsonbody import JsonBodyError
from hub.jsonbody import loads as load_json
from hub.web import HUB_KEY, json_error, json_response

PATH = "/douyin/push"
MAX_BODY = 1024 * 1024
REQUEST_SCHEMA = {"type": "array", "items": {"type": "object", "required": ["msg_id"]}}
RESPONSES = {"200": "Stored (or a repeat of a stored push)", "400": "Missing headers or not a list of items",
             "401": "Bad or stale x-signature", "404": "No open_platform connector for x-roomid",
             "413": "Body too large", "503": "Not stored within the deadline: the platform pushes again"}


def connector_for(request: web.Request, room_id: str) -> tuple[str, Any, DouyinConnector | None] | None:
    """The ``open_platform`` connector of ``room_id``: its name, settings and running object (None when
    another process of the cluster runs its room)."""
    hub = request.app[HUB_KEY]
    for name, (spec, config) in hub.settings.connectors.items():
        if (spec.factory is DouyinConnector and config.mode == "open_platform" and config.room_id == room_id):
            running = hub.connectors.get(name)
            return name, config, running if isinstance(running, DouyinConnector) else None
    return None


async def push(request: web.Request) -> web.Response:
    headers = {name: request.headers.get(name) for name in (*SIGNED_HEADERS, "x-signature")}
    missing = [name for name, value in headers.items() if not value]
    if missing:
        return json_error(400, f"missing headers: {', '.join(missing)}")
    found = connector_for(request, headers["x-roomid"] or "")
    hub = request.app[HUB_KEY]
    if found is None or (found[2] is None and getattr(hub.cluster, "streams", None) is None):
        return json_error(404, "no open_platform connector for this x-roomid")
    name, config, connector = found
    if (request.content_length or 0) > MAX_BODY:
        return _refuse(connector, 413, "body", "the body is larger than 1 MiB")
    body = await request.content.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return _refuse(connector, 413, "body", "the body is larger than 1 MiB")
    if not verify_push(headers, body, push_secret_of(config)):  # type: ignore[arg-type]
        return _refuse(connector, 401, "signature", "x-signature does not match")
    try:
        sent_ms = int(headers["x-timestamp"] or "")
    except ValueError:
        return _refuse(connector, 401, "stale", "x-timestamp is not a number")
    if abs(time.time() * 1000 - sent_ms) > config.max_skew_s * 1000:
        return _refuse(connector, 401, "stale", "x-timestamp is too far from now")
    msg_type = headers["x-msg-type"] or ""
    if msg_type not in MSG_TYPES:
        return _refuse(connector, 400, "msg_type", "unknown x-msg-type")
    try:
        items = load_json(body)
    except JsonBodyError as exc:
        return _refuse(connector, 400, "json", f"the body is not JSON: {exc}")
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        return _refuse(connector, 400, "json", "the body must be a JSON array of items")
    try:
        async with asyncio.timeout(config.ack_deadline_s):
            if connector is not None:
                await connector.accept_push(msg_type, items)
            else:  # the room runs in another process: hand it over, answer once Redis has it
                await hub.cluster.hand(config.room, name, "push", {"msg_type": msg_type, "items": items})
    except (TimeoutError, BusClosed, OSError, ConnectionError):
        return _refuse(connector, 503, "not_stored", "not stored in time; push again")
    return json_response({"err_no": 0, "err_msg": "success"})


def _refuse(connector: DouyinConnector | None, status: int, why: str, message: str) -> web.Response:
    if connector is not None:
        connector.counts[f"refused:{why}"] += 1
    return json_error(status, message)
