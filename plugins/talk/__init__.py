"""The console's talk button: the operator's microphone on air over WebRTC, transcribed and checked."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl
from hub.specs import WebRoute

PLUGIN_NAME = "talk"
TAGS = ("media",)


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    from plugins.talk import routes

    return [
        WebRoute("POST", "/api/v1/rooms/{room}/talk", routes.start, tags=TAGS,
                 summary="Talk on air: POST an SDP offer with the microphone (application/sdp), get the answer",
                 responses={"201": "SDP answer; Location names the session", "400": "Not an SDP offer with audio",
                            "404": "Room not on air", "409": "Someone is already talking"}),
        WebRoute("DELETE", "/api/v1/rooms/{room}/talk/{session}", routes.stop, tags=TAGS,
                 summary="Stop talking: the host's voice comes back",
                 responses={"204": "Stopped", "404": "No such talk session"}),
    ]


@hookimpl
async def livehub_shutdown(hub: Any) -> None:
    from plugins.talk.routes import close_all

    await close_all(hub)
