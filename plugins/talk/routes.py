"""``POST /api/v1/rooms/{room}/talk`` (an SDP offer with the operator's microphone; 201 with the answer
and a ``Location`` to ``DELETE``) and ``DELETE /api/v1/rooms/{room}/talk/{session}``. Token-protected
like every control route; one talker per room (409); the room must be on air (404)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.asr import build_asr
from hub.errors import BackendError
from hub.media.rooms import room_timeline
from hub.web import HUB_KEY, json_error
from plugins.talk.session import RoomTalk, TalkSession

MAX_OFFER = 64 * 1024


async def start(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB_KEY]
    room = request.match_info["room"]
    raw = await request.content.read(MAX_OFFER + 1)
    if len(raw) > MAX_OFFER:
        return json_error(413, "the offer is too large")
    try:
        offer = raw.decode("utf-8")
    except UnicodeDecodeError:
        return json_error(400, "the offer is not UTF-8 text (an SDP offer is)")
    if request.content_type != "application/sdp" or not offer.lstrip().startswith("v=0"):
        return json_error(400, "the body must be an SDP offer (Content-Type: application/sdp)")
    timeline = room_timeline(hub, room)
    if timeline is None:
        return json_error(404, f"room {room!r} is not on air")
    held = hub.rooms[room].slots.setdefault(RoomTalk, RoomTalk)
    if held.session is not None and not held.session.closed.is_set():
        return json_error(409, "someone is already talking in this room")
    try:
        asr = build_asr(hub)
    except BackendError as exc:
        return json_error(503, str(exc))
    session = TalkSession(hub, room, timeline, asr)
    try:
        answer = await session.answer(offer)
    except BackendError as exc:
        await session.transcriber.close()
        return json_error(400, str(exc))
    held.session = session
    if hub.storage is not None:
        await hub.storage.audit("operator", "talk_start", room, {"transcripts": asr is not None})
    return web.Response(status=201, text=answer, content_type="application/sdp",
                        headers={"Location": f"/api/v1/rooms/{room}/talk/{session.id}"})


async def stop(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB_KEY]
    found = hub.rooms.get(request.match_info["room"])
    held = found.slots.get(RoomTalk) if found is not None else None
    session = held.session if held is not None else None
    if session is None or session.id != request.match_info["session"]:
        return json_error(404, "no such talk session")
    await session.close()
    return web.Response(status=204)


async def close_all(hub: Any) -> None:
    """End every talk session (the hub stops)."""
    for room in hub.rooms:
        held = room.slots.get(RoomTalk)
        if held is not None and held.session is not None:
            await held.session.close("the hub stops")
