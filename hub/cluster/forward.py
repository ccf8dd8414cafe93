"""Any process serves the API: a request about a room another process runs is forwarded to that process.

Routes whose path names a ``{room}`` (room control, WebRTC viewers and the console's preview, the public live
page's comments) are answered by the process that runs the room: a process without the room's lease forwards
the request there (its method, body, ``Authorization`` and content headers, marked ``X-LiveHub-Forwarded`` so it
is never forwarded twice) and answers with what that process answered. WebRTC still works: the SDP answer
names the owner's addresses, so media flows between the viewer and the room's process. A room no process runs
is answered where the request arrived. Streams that stay open (WebSockets, server-sent events) are not
forwarded: they are served where they arrive.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

FORWARDED = "X-LiveHub-Forwarded"
PASSED = ("Authorization", "Content-Type", "Accept", "Accept-Language", "X-Forwarded-For", "User-Agent")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def room_forwarder(hub: Any, handler: Handler) -> Handler:
    """``handler`` answered by the room's process when another process runs the room."""

    async def forwarded(request: web.Request) -> web.StreamResponse:
        cluster, room = hub.cluster, request.match_info.get("room")
        if (cluster is None or room is None or cluster.owns(room) or request.headers.get(FORWARDED)
                or request.headers.get("Upgrade") or "text/event-stream" in request.headers.get("Accept", "")):
            return await handler(request)
        target = await owner_url(hub, room)
        if not target:
            return await handler(request)
        return await forward(hub, request, target)

    return forwarded


async def owner_url(hub: Any, room: str) -> str | None:
    """The web address of the process that runs ``room`` now (None: nobody, or this process)."""
    from hub.cluster.leases import LeaseStore

    store = LeaseStore(hub.storage.engine)
    now = time.time()
    lease = next((lease for lease in await store.leases() if lease.room == room), None)
    if lease is None or lease.free(now) or lease.owner == hub.cluster.name:
        return None
    node = next((n for n in await store.nodes() if n["node"] == lease.owner), None)
    return (node or {}).get("url") or None


async def forward(hub: Any, request: web.Request, target: str) -> web.StreamResponse:
    import aiohttp

    headers = {name: request.headers[name] for name in PASSED if name in request.headers}
    headers[FORWARDED] = hub.cluster.name
    body = await request.read()
    timeout = aiohttp.ClientTimeout(total=30, connect=5)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http, \
                http.request(request.method, target.rstrip("/") + request.path_qs, data=body or None,
                             headers=headers, allow_redirects=False) as answer:
            payload = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "location")}
            return web.Response(status=answer.status, body=payload, headers=kept)
    except (aiohttp.ClientError, TimeoutError) as exc:
        from hub.web.common import json_error

        return json_error(502, f"the process that runs this room did not answer: {type(exc).__name__}")
