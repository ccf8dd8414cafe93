"""The OBS overlay: ``/overlay/<room>``, a transparent page showing the host, captions and product card
and playing the host's voice, for an OBS browser source (the way onto platforms that penalise
third-party RTMP pushes)."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import WebRoute

PLUGIN_NAME = "overlay"


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    from plugins.overlay.feed import overlay_page, overlay_socket

    return [
        WebRoute("GET", "/overlay/{room}", overlay_page, auth=False, tags=("media",),
                 summary="Transparent overlay page for an OBS browser source (token in #token=)"),
        WebRoute("GET", "/overlay/{room}/ws", overlay_socket, tags=("media",),
                 summary="The overlay's feed: host poses, scene pictures and per-frame state with audio "
                         "(WebSocket; token as ?token=)"),
    ]
