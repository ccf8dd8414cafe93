"""The ``webrtc`` output: the room's host to browsers with aiortc, signalled WHIP-style over HTTP."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec, WebRoute

PLUGIN_NAME = "output_webrtc"
TAGS = ("media",)


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.output_webrtc.output import WebRTCOutput, WebRTCSettings

    return [BackendSpec(kind="output", name="webrtc", factory=WebRTCOutput, config_model=WebRTCSettings,
                        description="The room to browsers (aiortc), WHIP-style signalling")]


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    from plugins.output_webrtc import routes

    offer = {"201": "SDP answer (application/sdp); Location names the session", "400": "Not an SDP offer",
             "404": "Room not on air", "503": "Too many viewers"}
    return [
        WebRoute("POST", "/api/v1/rooms/{room}/webrtc", routes.offer, tags=TAGS, responses=offer,
                 summary="Watch a room: POST an SDP offer (application/sdp), get the answer (WHIP-style)"),
        WebRoute("DELETE", "/api/v1/rooms/{room}/webrtc/{session}", routes.close, tags=TAGS,
                 summary="End a WebRTC session", responses={"204": "Closed", "404": "No such session"}),
        WebRoute("POST", "/live/{room}/webrtc", routes.public_offer, auth=False, tags=TAGS, responses=offer,
                 summary="Watch a public room (rooms.<room>.public = true) without the API token"),
        WebRoute("DELETE", "/live/{room}/webrtc/{session}", routes.public_close, auth=False, tags=TAGS,
                 summary="End a public WebRTC session", responses={"204": "Closed", "404": "No such session"}),
        WebRoute("GET", "/watch/{room}", routes.player, auth=False, tags=TAGS,
                 summary="A minimal player page for a room (token in #token= unless the room is public)"),
    ]


@hookimpl
async def livehub_shutdown(hub: Any) -> None:
    from plugins.output_webrtc.routes import close_everything

    await close_everything(hub)
