"""Pieces shared by the web server and route handlers: the hub's app key, JSON responses, loopback checks,
the client address behind trusted proxies (:func:`client_address`), the drive-by guard (Host, Origin and
Content-Type checks; docs/security.md) and an access logger that never writes query strings (a WebSocket
token may travel in ``?token=``).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import re
from collections.abc import Iterable
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
TENANT = "livehub.tenant"
"""``request[TENANT]``: the tenant whose token authorised the request (absent: the operator's token)."""


def request_tenant_rooms(request: Any) -> set[str] | None:
    """The rooms the request may see: its tenant's, or None (every room: the operator's token)."""
    tenant = request.get(TENANT)
    if tenant is None:
        return None
    return set(request.app[HUB_KEY].config.tenants[tenant].rooms)

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "*"})

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""Methods a foreign Origin may not use (a browser sends ``Origin`` on every one of them)."""
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
JSON_TYPE = "application/json"
OTHER_BODY_TYPES: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    # WebRTC offers are SDP text (WHEP-style clients send application/sdp; some send text/plain). An offer
    # only opens a receive-only viewer session; a foreign browser page is still refused by its Origin.
    (re.compile(r"^/(?:api/v1/rooms|live)/[^/]+/webrtc$"), frozenset({"application/sdp", "text/plain"})),
    # A talk offer puts a microphone on air: only application/sdp, which no page can send to another
    # origin without a CORS preflight (text/plain could be a "simple" cross-site request).
    (re.compile(r"^/api/v1/rooms/[^/]+/talk$"), frozenset({"application/sdp"})),
    # A shop's webhook: WooCommerce's creation ping is a form post. Nothing in it is trusted: every
    # delivery's signature is checked over the raw body before it is parsed (hub.shop).
    (re.compile(r"^/shops/[^/]+/webhook$"), frozenset({"application/x-www-form-urlencoded"})),
)
"""Body types some paths take besides JSON: (path pattern, content types). Every other body must be JSON."""


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


FORWARDED_FOR = "X-Forwarded-For"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=16)
def _networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    # ``[web] trusted_proxies`` was validated by the config model; strict=False only spares a second error.
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _parse_ip(text: str) -> IPAddress | None:
    """An address from a peer or an ``X-Forwarded-For`` entry (``1.2.3.4``, ``1.2.3.4:567``, ``::1``,
    ``[::1]:567``), IPv4-mapped IPv6 folded to IPv4; None for anything else."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # IPv4 with a port (IPv6 without brackets has several colons)
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_address(request: web.BaseRequest, trusted_proxies: Iterable[str] | None = None) -> str:
    """The address of the client behind ``request``, for per-client limits: the TCP peer, or, only when the
    peer is a trusted proxy, the right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy.

    ``trusted_proxies`` (addresses and CIDR networks) defaults to the hub's ``[web] trusted_proxies``, empty
    by default: then ``X-Forwarded-For`` is ignored, so a client cannot choose its address by writing one.
    Entries left of the first untrusted one are never read (the client wrote them). Where an address should
    be and is not (garbage), the last trusted hop is the answer, never a string the client chose. When every
    hop is trusted the left-most is the client. Addresses are normalised (``::ffff:1.2.3.4`` is ``1.2.3.4``);
    a peer that is not an IP address (a Unix socket) is returned as aiohttp reports it (often ``""``).

    This is for limits and logs only: authorisation (:func:`is_loopback_peer`) looks at the TCP peer.
    """
    remote = request.remote or ""
    peer = _parse_ip(remote)
    if peer is None:
        return remote
    if trusted_proxies is None:
        app = getattr(request, "app", None)
        hub = app.get(HUB_KEY) if isinstance(app, web.Application) else None
        trusted_proxies = hub.config.web.trusted_proxies if hub is not None else ()
    networks = _networks(tuple(trusted_proxies))
    if not networks or not _is_trusted(peer, networks):
        return str(peer)
    chain = [entry for value in request.headers.getall(FORWARDED_FOR, ()) for entry in value.split(",")]
    client = peer
    for entry in reversed(chain):
        if not entry.strip():
            continue
        address = _parse_ip(entry)
        if address is None:
            return str(client)
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)


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


def is_websocket_upgrade(request: web.BaseRequest) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def split_host(value: str) -> tuple[str, int | None]:
    """``Host`` header or origin authority → (lower-case name without brackets or final dot, port or None)."""
    value = value.strip().lower()
    port: int | None = None
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
    else:
        name, sep, tail = value.rpartition(":")
        if sep and tail.isdigit() and ":" not in name:
            port = int(tail)
        else:
            name = value
    return name.rstrip("."), port


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class DriveByGuard:
    """Refuses what a web page the operator visits could make the browser send (docs/security.md):

    * a ``Host`` that is not one of the hub's names (DNS rebinding) → 421, on every request;
    * an ``Origin`` that is not the hub's own nor configured, on a state-changing method or a WebSocket
      upgrade → 403;
    * a POST/PUT/PATCH body that is not ``application/json`` (per-path exceptions in
      :data:`OTHER_BODY_TYPES`) → 415, so "simple" cross-origin requests never reach a handler.

    :meth:`check` answers ``(status, message, reason)`` for a refused request, else None.
    """

    def __init__(self, settings: WebSettings) -> None:
        bind = settings.host.strip().strip("[]").lower()
        self.any_host = "*" in settings.allowed_hosts
        self.any_ip = bind in WILDCARD_HOSTS  # listening on every address: the machine's IPs name it
        self.names = {name.strip("[]").rstrip(".") for name in settings.allowed_hosts}
        if bind not in WILDCARD_HOSTS:
            self.names.add(bind)
        self.origins = set(settings.allowed_origins)

    def host_allowed(self, host: str | None) -> bool:
        if host is None or self.any_host:
            return True  # no Host: HTTP/1.0 tools, never a browser
        name, _ = split_host(host)
        if not name:
            return False
        return is_loopback_host(name) or name in self.names or (self.any_ip and _is_ip(name))

    def origin_allowed(self, origin: str, host: str | None, scheme: str) -> bool:
        """``origin`` is the hub's own (the request's Host, default ports folded) or configured."""
        normalized = origin.strip().rstrip("/").lower()
        if normalized in self.origins:
            return True
        origin_scheme, sep, authority = normalized.partition("://")
        if not sep or origin_scheme not in ("http", "https") or host is None:
            return False  # "null" (sandboxed frames, file: pages) and other schemes are never the hub
        default = 443 if origin_scheme == "https" else 80
        origin_name, origin_port = split_host(authority)
        host_name, host_port = split_host(host)
        host_default = 443 if scheme == "https" else 80
        return origin_name == host_name and (origin_port or default) == (host_port or host_default)

    @staticmethod
    def body_allowed(request: web.BaseRequest) -> bool:
        if request.method not in BODY_METHODS or not request.body_exists:
            return True
        mime = request.content_type.lower()
        if mime == JSON_TYPE:
            return True
        return any(pattern.match(request.path) and mime in types for pattern, types in OTHER_BODY_TYPES)

    def check(self, request: web.BaseRequest) -> tuple[int, str, str] | None:
        host = request.headers.get("Host")
        if not self.host_allowed(host):
            return 421, "this hub does not answer to that host name (see [web] allowed_hosts)", "host"
        origin = request.headers.get("Origin")
        if origin is not None and (request.method in STATE_CHANGING or is_websocket_upgrade(request)):
            if not self.origin_allowed(origin, host, request.scheme):
                return 403, "cross-origin request refused (see [web] allowed_origins)", "origin"
        if not self.body_allowed(request):
            return 415, f"the body must be {JSON_TYPE} (Content-Type: {JSON_TYPE})", "content-type"
        return None
