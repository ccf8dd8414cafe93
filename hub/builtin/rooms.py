"""The core's room settings and the rooms API, registered as a plugin like any other.

``[rooms.<name>]`` keys of the core (:class:`hub.rooms.RoomSettings`: title, locale, public) and of the
media core (:class:`hub.media.rooms.RoomMediaSettings`: scene, size, fps, voices, avatar, outputs);
``GET /api/v1/rooms`` lists every room with its state, bindings and slots; ``GET/PUT
/api/v1/rooms/{room}/appearance`` shows and switches the room's avatar and scene (hub/media/appearance.py).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.hookspecs import hookimpl
from hub.specs import WebRoute

PLUGIN_NAME = "rooms"


@hookimpl
def livehub_room_models() -> list[Any]:
    from hub.media.rooms import RoomMediaSettings
    from hub.rooms import RoomSettings

    return [RoomSettings, RoomMediaSettings]


async def list_rooms(request: web.Request) -> web.Response:
    from hub.web import HUB_KEY
    from hub.web.common import request_tenant_rooms

    hub = request.app[HUB_KEY]
    mine = request_tenant_rooms(request)  # a tenant's token: its own rooms only
    return web.json_response({"rooms": [room.status() for room in hub.rooms if mine is None or room.name in mine]})


async def get_room(request: web.Request) -> web.Response:
    from hub.web import HUB_KEY

    hub = request.app[HUB_KEY]
    room = hub.rooms.get(request.match_info["room"])
    if room is None:
        raise web.HTTPNotFound(text=f"no room named {request.match_info['room']!r}")
    return web.json_response(room.status())


def _own_room(request: web.Request) -> str:
    from hub.web.common import request_tenant_rooms

    room = request.match_info["room"]
    mine = request_tenant_rooms(request)
    if mine is not None and room not in mine:
        raise web.HTTPNotFound(text=f"no room named {room!r}")  # a tenant's token: other tenants' rooms do not exist
    return room


async def get_appearance(request: web.Request) -> web.Response:
    from hub.media.appearance import appearance
    from hub.web import HUB_KEY
    from hub.web.common import json_response

    return json_response(appearance(request.app[HUB_KEY], _own_room(request)))


async def put_appearance(request: web.Request) -> web.Response:
    from hub.errors import BackendError
    from hub.jsonbody import JsonBodyError
    from hub.jsonbody import loads as load_json
    from hub.media.appearance import PARTS, appearance, switch_appearance
    from hub.web import HUB_KEY
    from hub.web.common import json_error, json_response

    hub, room = request.app[HUB_KEY], _own_room(request)
    try:
        body = load_json(await request.read())
    except JsonBodyError as exc:
        return json_error(400, f"the body is not acceptable JSON: {exc}")
    if not isinstance(body, dict) or not body or set(body) - set(PARTS) or \
            not all(isinstance(v, str) and v for v in body.values()):
        return json_error(400, "expected {\"avatar\": name} and/or {\"scene\": name}")
    try:
        await switch_appearance(hub, room, avatar=body.get("avatar"), scene=body.get("scene"))
    except BackendError as exc:
        return json_error(400, str(exc), field=exc.backend)
    except ValueError as exc:  # a scene that cannot draw the room's stream (a vertical scene on a landscape one)
        return json_error(400, f"scene: {exc}", field="scene")
    if hub.storage is not None:
        await hub.storage.audit("operator", "appearance", room, dict(body))
    return json_response(appearance(hub, room))


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    return [WebRoute("GET", "/api/v1/rooms", list_rooms, tags=("rooms",), tenants=True,
                     summary="Every room: state, settings' locale and visibility, bound connectors, slots"),
            WebRoute("GET", "/api/v1/rooms/{room}", get_room, tags=("rooms",), summary="One room",
                     responses={"200": "OK", "404": "No such room"}),
            WebRoute("GET", "/api/v1/rooms/{room}/appearance", get_appearance, tags=("rooms",), tenants=True,
                     summary="The room's avatar and scene: chosen, configured, the choices, the avatar's state"),
            WebRoute("PUT", "/api/v1/rooms/{room}/appearance", put_appearance, tags=("rooms",), tenants=True,
                     summary="Switch the room's avatar and/or scene ({avatar, scene}); a room on air takes it at "
                             "its next line",
                     responses={"200": "The appearance now", "400": "Unknown avatar or scene, or a bad body"})]
