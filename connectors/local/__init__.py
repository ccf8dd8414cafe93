"""The built-in live room (platform ``local``): a viewer page served by the hub, with the stage and a chat.

Configure one room per connector::

    [connectors.room]
    type = "local"
    room = "main"            # mark it public: [rooms.main] public = true
    title = "晨光好物直播间"   # default: the shop's name
    max_comment_chars = 200
    rate_per_minute = 10     # comments a minute per viewer (and 6x that per address)
    chat_replies = "chat"    # chat answers to this page's viewers in its chat ("none": voice only)

It is a platform connector like any other (``hub.platform.PlatformConnector``): viewer comments are
ingested as ``comment`` events of platform ``local``; the host's voice lines and its chat answers to this
page's viewers come back in the page's chat. See ``docs/live-room.md``.
"""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import ConnectorSpec, WebRoute

PLUGIN_NAME = "local"
TAGS = ("live room",)


@hookimpl
def livehub_register_connectors() -> list[ConnectorSpec]:
    from connectors.local.connector import LocalRoomConnector, LocalRoomSettings

    return [ConnectorSpec(type="local", kind="platform", factory=LocalRoomConnector,
                          config_model=LocalRoomSettings,
                          description="The built-in live room: a public viewer page with stage and chat")]


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    from connectors.local import routes

    comment_schema = {"type": "object", "required": ["text", "viewer_id"],
                      "properties": {"name": {"type": "string"}, "text": {"type": "string"},
                                     "viewer_id": {"type": "string"}, "message_id": {"type": "string"}}}
    return [
        WebRoute("GET", "/", routes.page, auth=False, tags=TAGS, summary="The viewer page of the default room"),
        WebRoute("GET", "/live/{room}", routes.page, auth=False, tags=TAGS, summary="A room's viewer page"),
        WebRoute("GET", "/live/{room}/info", routes.info, auth=False, tags=TAGS,
                 summary="Title, host and products on sale of a public room"),
        WebRoute("GET", "/live/{room}/products/{sku}/image", routes.product_image, auth=False, tags=TAGS,
                 summary="A product's image from the catalog"),
        WebRoute("POST", "/live/{room}/comments", routes.post_comment, auth=False, tags=TAGS,
                 request_schema=comment_schema,
                 summary="A viewer comment {name, text, viewer_id, message_id} (rate-limited, resends too) "
                         "→ {id, duplicate}; what was sent is never echoed",
                 responses={"202": "Accepted", "200": "A resend of an accepted comment", "400": "Invalid",
                            "404": "No such public room", "429": "Too many comments (Retry-After)"}),
        WebRoute("GET", "/live/{room}/feed", routes.feed, auth=False, tags=TAGS,
                 summary="WebSocket: the room's viewer comments and host replies",
                 responses={"101": "Switching to the WebSocket protocol", "400": "Not a WebSocket request",
                            "404": "No such public room", "429": "Too many feeds from this address",
                            "503": "The room is full"}),
        WebRoute("GET", "/assets/live/{name}", routes.asset, auth=False, tags=TAGS,
                 summary="The viewer page's script and style"),
    ]
