"""The core's room settings and the rooms API, registered as a plugin like any other.

``[rooms.<name>]`` keys of the core (:class:`hub.rooms.RoomSettings`: title, locale, public) and of the
media core (:class:`hub.media.rooms.RoomMediaSettings`: size, fps, voices, avatar, outputs);
``GET /api/v1/rooms`` lists every room with its state, bindings and slots.
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


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    return [WebRoute("GET", "/api/v1/rooms", list_rooms, tags=("rooms",), tenants=True,
                     summary="Every room: state, settings' locale and visibility, bound connectors, slots"),
            WebRoute("GET", "/api/v1/rooms/{room}", get_room, tags=("rooms",), summary="One room",
                     responses={"200": "OK", "404": "No such room"})]
