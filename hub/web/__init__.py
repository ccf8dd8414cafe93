"""The hub's web server and what route handlers need from it.

Handlers reach the hub as ``request.app[HUB_KEY]`` and answer errors with :func:`json_error`, the API's
one error shape (``{"error": "..."}``). WebSocket handlers should call
``hub.web.track_websocket(ws)`` so the server closes them when the hub stops. Every request passes the
:class:`DriveByGuard` (Host, Origin, JSON bodies) before any handler runs; see docs/security.md.
"""

from hub.web.common import (
    HUB_KEY,
    DriveByGuard,
    is_loopback_host,
    is_loopback_peer,
    json_error,
    json_response,
    static_file,
)
from hub.web.server import WebServer

__all__ = ["HUB_KEY", "DriveByGuard", "WebServer", "is_loopback_host", "is_loopback_peer", "json_error",
           "json_response", "static_file"]
