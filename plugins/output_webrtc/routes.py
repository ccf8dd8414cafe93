"""WHIP-style signalling: ``POST`` an SDP offer, get ``201`` with the SDP answer and a ``Location`` to
``DELETE`` when done.

* ``/api/v1/rooms/{room}/webrtc`` needs the API token (operator preview, OBS on another machine).
* ``/live/{room}/webrtc`` needs none, and answers only for rooms marked ``public = true`` in
  ``[rooms.<room>]`` (the public live room page); for any other room it is a 404. Its ``DELETE`` needs
  the session id, a random 128-bit value only the viewer who created it knows.
* ``/watch/{room}`` is a minimal player page using them (token, if needed, in the URL's ``#token=``
  fragment, which browsers never send to the server).

The room must be on air (its timeline running); the room's WebRTC output starts with the first viewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from hub.errors import BackendError
from hub.media.output import build_output
from hub.media.rooms import room_timeline
from hub.web import HUB_KEY, json_error
from hub.web.pages import Page

MAX_OFFER = 64 * 1024
PLAYER = Path(__file__).with_name("player.html")
# A page of the hub's own, like the live room: the hub's pages may frame it, nobody else; it signals over
# fetch to its own origin and plays a MediaStream.
PLAYER_PAGE = Page(PLAYER, img="'none'", media="'self' blob: mediastream:", connect="'self'",
                   frame_ancestors="'self'")


@dataclass
class RoomWebRTC:
    """A room's WebRTC output (``room.slots``), made with the room's first viewer."""

    output: Any = None


def room_output(hub: Any, room: str) -> Any:
    """The WebRTC output made for ``room`` (running or not), or None."""
    found = hub.rooms.get(room)
    held = found.slots.get(RoomWebRTC) if found is not None else None
    return held.output if held is not None else None


def output_for(hub: Any, room: str) -> Any:
    """The room's running WebRTC output, started now if needed; None when the room is not on air."""
    timeline = room_timeline(hub, room)
    if timeline is None:
        return None
    held = hub.rooms[room].slots.setdefault(RoomWebRTC, RoomWebRTC)
    output = held.output
    if output is not None and (output.timeline is not timeline or output.task is None or output.task.done()):
        output = None
    if output is None:
        output = held.output = build_output(hub, "webrtc")
        output.start(timeline)
    return output


async def _offer(request: web.Request, location: str) -> web.StreamResponse:
    hub = request.app[HUB_KEY]
    room = request.match_info["room"]
    if request.content_length is not None and request.content_length > MAX_OFFER:
        return json_error(413, "the offer is too large")
    raw = await request.content.read(MAX_OFFER + 1)  # a chunked body has no Content-Length to check
    if len(raw) > MAX_OFFER:
        return json_error(413, "the offer is too large")
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return json_error(400, "the offer is not UTF-8 text (an SDP offer is)")
    if not body.lstrip().startswith("v=0"):
        return json_error(400, "the body must be an SDP offer (Content-Type: application/sdp)")
    output = output_for(hub, room)
    if output is None:
        return json_error(404, f"room {room!r} is not on air")
    try:
        session, answer = await output.answer(body)
    except BackendError as exc:
        status = 503 if "viewers" in str(exc) else 400
        return json_error(status, str(exc))
    return web.Response(status=201, text=answer, content_type="application/sdp",
                        headers={"Location": f"{location}/{session}"})


async def _close(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB_KEY]
    output = room_output(hub, request.match_info["room"])
    if output is None or not await output.close_viewer(request.match_info["session"]):
        return json_error(404, "no such session")
    return web.Response(status=204)


async def offer(request: web.Request) -> web.StreamResponse:
    """Token-protected: any room on air."""
    room = request.match_info["room"]
    return await _offer(request, f"/api/v1/rooms/{room}/webrtc")


async def close(request: web.Request) -> web.StreamResponse:
    return await _close(request)


def _public(request: web.Request) -> bool:
    room = request.app[HUB_KEY].rooms.get(request.match_info["room"])  # never made for a URL
    return room is not None and room.public


async def public_offer(request: web.Request) -> web.StreamResponse:
    """No token: only rooms with ``public = true``."""
    if not _public(request):
        return json_error(404, "no such public room")
    return await _offer(request, f"/live/{request.match_info['room']}/webrtc")


async def public_close(request: web.Request) -> web.StreamResponse:
    if not _public(request):
        return json_error(404, "no such public room")
    return await _close(request)


async def player(request: web.Request) -> web.StreamResponse:
    return PLAYER_PAGE.response()


async def close_everything(hub: Any) -> None:
    """Close every room's WebRTC output (the hub stops)."""
    for room in hub.rooms:
        held = room.slots.pop(RoomWebRTC)
        if held is not None and held.output is not None:
            await held.output.close_all()
