"""Pieces shared by the web server and route handlers: the hub's app key, JSON responses, loopback checks
and an access logger that never writes query strings (a WebSocket token may travel in ``?token=``).
"""

from __future__ import annotations

import ipaddress
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.config import WebSettings
    from hub.secrets import Redactor

HUB_KEY: web.AppKey[Hub] = web.AppKey("livehub.hub")
"""Where route handlers find the hub: ``request.app[HUB_KEY]``."""

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def dumps(data: Any) -> str:
    """JSON text for API responses; values JSON does not know (decimals, paths) become strings."""
    return json.dumps(data, ensure_ascii=False, default=str)


def json_response(data: Any, status: int = 200, *, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response serialised with :func:`dumps`."""
    return web.json_response(data, status=status, headers=headers, dumps=dumps)


def json_error(status: int, message: str, *, headers: dict[str, str] | None = None,
               **details: Any) -> web.Response:
    """The API's one error shape: ``{"error": message, **details}`` with HTTP ``status``."""
    return json_response({"error": message, **details}, status, headers=headers)


def unauthorized() -> web.Response:
    """401 with ``WWW-Authenticate: Bearer``, as RFC 6750 asks of bearer-token APIs."""
    return json_error(401, "unauthorized: a valid API token is required",
                      headers={"WWW-Authenticate": 'Bearer realm="livehub"'})


def is_loopback_host(host: str) -> bool:
    """True for addresses only this machine can reach: 127.0.0.0/8, ::1 and the name ``localhost``."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False  # another host name: it may resolve to anything
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def is_loopback_peer(request: web.BaseRequest) -> bool:
    """True when the TCP peer of ``request`` is this machine (no proxy headers are trusted)."""
    remote = request.remote
    return bool(remote) and is_loopback_host(remote)  # type: ignore[arg-type]


def bind_problem(settings: WebSettings) -> str | None:
    """Why the server must not listen as configured (``web.host: reason``), or None when it may.

    Listening beyond loopback without an API token would publish the API to the network unguarded.
    """
    if settings.token is None and not is_loopback_host(settings.host):
        return (f"web.host: refusing to listen on {settings.host!r} without an API token; set "
                '[web] token = {env = "LIVEHUB_API_TOKEN"} (or the LIVEHUB_API_TOKEN variable), '
                'or listen on 127.0.0.1')
    return None


def format_url(host: str, port: int) -> str:
    host = host.strip("[]")
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class RedactingAccessLogger(AbstractAccessLogger):
    """One DEBUG line per request: method, path without its query string, status and duration.

    Headers and query strings are never logged; the path is passed through the config's redactor.
    Bind a redactor with :meth:`for_redactor` (aiohttp builds the logger from a class).
    """

    redactor: Redactor | None = None

    @classmethod
    def for_redactor(cls, redactor: Redactor) -> type[RedactingAccessLogger]:
        return type("BoundRedactingAccessLogger", (cls,), {"redactor": redactor})

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        path = request.path
        if self.redactor is not None:
            path = self.redactor.redact(path)
        self.logger.debug("%s %s %s %.1fms", request.method, path, response.status, time * 1000)

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.DEBUG)


def static_file(directory: Path, types: dict[str, str], name: str) -> web.FileResponse:
    """``directory / name`` if ``name`` is one of ``types`` (file name → content type), else 404; not cached
    by browsers and never sniffed. Only listed names are served, so no path ever leaves ``directory``."""
    if name not in types:
        raise web.HTTPNotFound()
    return web.FileResponse(directory / name, headers={"Content-Type": types[name], "Cache-Control": "no-cache",
                                                       "X-Content-Type-Options": "nosniff"})
