"""Any process serves the API: a request about a room another process runs is forwarded to that process.

Routes whose path names a ``{room}`` (room control, WebRTC viewers and the console's preview, the public live
page's comments) are answered by the process that runs the room: a process without the room's lease forwards
the request there (its method, body, ``Authorization`` and content headers, marked ``X-LiveHub-Forwarded`` so it
is never forwarded twice) and answers with what that process answered. WebRTC still works: the SDP answer
names the owner's addresses, so media flows between the viewer and the room's process. A room no process runs
is answered where the request arrived.

WebSockets about a room (the public live page's chat feed, the OBS overlay's scene feed) are bridged: the process
the viewer reached opens the same socket on the room's process and relays every message both ways until either
side closes (a refused handshake there is answered here with its status). Server-sent events are served where
they arrive.
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
                or "text/event-stream" in request.headers.get("Accept", "")):
            return await handler(request)
        socket = request.headers.get("Upgrade", "").lower() == "websocket"
        if request.headers.get("Upgrade") and not socket:
            return await handler(request)
        target = await owner_url(hub, room)
        if not target:
            return await handler(request)
        return await (bridge(hub, request, target) if socket else forward(hub, request, target))

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


def passed_headers(hub: Any, request: web.Request) -> dict[str, str]:
    """What the room's process is told of the request: its credentials and content headers, this process's
    mark, and the client's address appended to ``X-Forwarded-For`` (read there when the other hub processes
    are in ``[web] trusted_proxies``, docs/scale-out.md)."""
    headers = {name: request.headers[name] for name in PASSED if name in request.headers}
    headers[FORWARDED] = hub.cluster.name
    if request.remote:
        before = headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{before}, {request.remote}" if before else request.remote
    return headers


async def forward(hub: Any, request: web.Request, target: str) -> web.StreamResponse:
    import aiohttp

    headers = passed_headers(hub, request)
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


async def bridge(hub: Any, request: web.Request, target: str) -> web.StreamResponse:
    """Relay a WebSocket between the viewer and the same socket on the room's process (see the module docstring)."""
    import asyncio

    import aiohttp

    from hub.web.common import json_error

    headers = passed_headers(hub, request)
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, connect=5, sock_connect=5))
    try:
        upstream = await session.ws_connect(target.rstrip("/") + request.path_qs, headers=headers, heartbeat=20,
                                            max_msg_size=4 * 1024 * 1024)
    except aiohttp.WSServerHandshakeError as exc:  # the room's process refused it: say what it said
        await session.close()
        return json_error(exc.status if 400 <= exc.status < 600 else 502, f"refused by the room's process: "
                                                                         f"{exc.message}")
    except (aiohttp.ClientError, OSError) as exc:  # TimeoutError included
        await session.close()
        return json_error(502, f"the process that runs this room did not answer: {type(exc).__name__}")
    viewer = web.WebSocketResponse(heartbeat=20, max_msg_size=64 * 1024)
    name = f"cluster:bridge:{request.match_info.get('room')}:{id(viewer):x}"
    try:
        await viewer.prepare(request)
        if hub.web is not None:
            hub.web.track_websocket(viewer)
        down = hub.create_task(_relay(upstream, viewer), name=f"{name}:down")
        up = hub.create_task(_relay(viewer, upstream), name=f"{name}:up")
        await asyncio.wait({down, up}, return_when=asyncio.FIRST_COMPLETED)
        for task in (down, up):
            task.cancel()
        await asyncio.gather(down, up, return_exceptions=True)
    finally:
        await upstream.close()
        await session.close()
        if viewer.prepared:
            await viewer.close()
    return viewer


async def _relay(source: Any, sink: Any) -> None:
    """Every text and binary message of ``source`` to ``sink`` until ``source`` closes or fails."""
    from aiohttp import WSMsgType

    async for message in source:
        if message.type == WSMsgType.TEXT:
            await sink.send_str(message.data)
        elif message.type == WSMsgType.BINARY:
            await sink.send_bytes(message.data)
        else:
            break
