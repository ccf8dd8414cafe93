"""The hub's HTTP server: health, readiness, Prometheus metrics, the OpenAPI document and every plugin
route, behind one middleware that keeps errors and secrets out of responses.

* ``auth=True`` routes ask :func:`hub.hookspecs.livehub_authorize`; anything but ``True`` is a 401.
* A handler that raises becomes ``500 {"error": "internal error"}`` and is reported with
  ``hub.report_error(exc, "route:<path>")``; no traceback reaches the client.
* Every JSON or text body, and every header, is passed through the config's redactor before it leaves.
* The access log (``livehub.web.access``, DEBUG) never holds query strings or headers.
* The server refuses to listen beyond loopback without an API token (``web.host`` ConfigError).
* Before any route, :class:`hub.web.common.DriveByGuard` refuses a foreign ``Host`` (421), a foreign
  ``Origin`` on state-changing methods and WebSocket upgrades (403) and non-JSON bodies (415).
* Client errors (those refusals, every 4xx answer, HTTP messages aiohttp cannot parse) are logged at
  WARNING once per kind a minute, never per request (:mod:`hub.web.client_errors`; docs/security.md).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import weakref
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

from hub import __version__
from hub.errors import ConfigError, PluginError
from hub.specs import Handler, WebRoute
from hub.web.client_errors import ClientErrorLog, ParseErrorFilter
from hub.web.common import (
    HUB_KEY,
    DriveByGuard,
    RedactingAccessLogger,
    bind_problem,
    format_url,
    json_error,
    json_response,
    request_tenant_rooms,
    unauthorized,
)
from hub.web.openapi import API_PREFIX, build_document

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger("livehub.web")
access_log = logging.getLogger("livehub.web.access")

CORE = "core"
REDACTED_TYPES = ("text/", "application/json", "application/problem+json")


def request_counter(hub: Hub) -> Counter:
    """``livehub_http_requests_total{method,route,status}``, the hub's metric (created on first use)."""
    return hub.metric(Counter, "livehub_http_requests", "HTTP requests served, by route template and status",
                      ["method", "route", "status"])


class WebServer:
    """Serves one hub over HTTP. ``port`` and ``url`` give the bound address once started."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.settings = hub.config.web
        self.host = self.settings.host
        self.port = self.settings.port
        self.app: web.Application | None = None
        self.mounted: list[tuple[str, WebRoute]] = []
        self.openapi: dict[str, Any] = {}
        self._runner: web.AppRunner | None = None
        self._websockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()
        self._requests = request_counter(hub)
        self.guard = DriveByGuard(self.settings)
        self.client_errors = ClientErrorLog()
        self._parse_filter = ParseErrorFilter(self.client_errors)

    @property
    def url(self) -> str:
        return format_url(self.host, self.port)

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Check the bind address, mount every route and listen. Raises ConfigError when refused."""
        problem = bind_problem(self.settings)
        if problem:
            raise ConfigError(problem, file=self.hub.config.source)
        self.app = self.build_app()
        grace = min(5.0, self.hub.config.hub.shutdown_timeout)
        runner = web.AppRunner(self.app, handle_signals=False, shutdown_timeout=grace,
                               access_log=access_log,
                               access_log_class=RedactingAccessLogger.for_redactor(self.hub.config.redactor))
        await runner.setup()
        logging.getLogger("aiohttp.server").addFilter(self._parse_filter)
        try:
            await web.TCPSite(runner, self.settings.host, self.settings.port).start()
        except OSError as exc:
            await runner.cleanup()
            logging.getLogger("aiohttp.server").removeFilter(self._parse_filter)
            where = format_url(self.settings.host, self.settings.port)
            raise ConfigError(f"web.port: cannot listen on {where}: {exc.strerror or exc}",
                              file=self.hub.config.source) from None
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("web server listening on %s", self.url)

    async def stop(self) -> None:
        """Close WebSockets, finish in-flight requests (a short grace), then close the listener."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        logging.getLogger("aiohttp.server").removeFilter(self._parse_filter)

    def track_websocket(self, ws: web.WebSocketResponse) -> None:
        """Have ``ws`` closed (1001 going away) when the server stops, so shutdown never waits on it."""
        self._websockets.add(ws)

    async def _close_websockets(self, app: web.Application) -> None:
        sockets = [ws for ws in list(self._websockets) if not ws.closed]
        await asyncio.gather(*(ws.close(code=WSCloseCode.GOING_AWAY, message=b"hub stopping")
                               for ws in sockets), return_exceptions=True)

    # -- building -------------------------------------------------------------------------------

    def core_routes(self) -> list[WebRoute]:
        """Routes the server itself serves, without any plugin. None of them needs the token."""
        return [
            WebRoute("GET", "/healthz", self.healthz, auth=False, summary="Liveness: 200 while serving",
                     tags=(CORE,)),
            WebRoute("GET", "/readyz", self.readyz, auth=False, tags=(CORE,),
                     summary="Readiness: 200 once the hub has started, 503 before and while stopping",
                     responses={"200": "Ready", "503": "Not ready"}),
            WebRoute("GET", "/metrics", self.metrics, auth=False, tags=(CORE,),
                     summary="Prometheus metrics (text exposition format)"),
            WebRoute("GET", f"{API_PREFIX}/openapi.json", self.openapi_json, auth=False, tags=(CORE,),
                     summary="This OpenAPI document"),
        ]

    def build_app(self) -> web.Application:
        """A fresh application with the core routes and every plugin route mounted."""
        app = web.Application(middlewares=[self._make_middleware()])
        app[HUB_KEY] = self.hub
        app.on_shutdown.append(self._close_websockets)
        self.mounted = []
        taken: dict[tuple[str, str], str] = {}
        loaded = set(self.hub.plugins.loaded())  # a plugin that failed to start serves nothing
        candidates = [(CORE, r) for r in self.core_routes()] + [
            (plugin, route) for plugin, route in self.hub.registry.routes if plugin in loaded]
        for plugin, route in candidates:
            key = (route.method.upper(), route.path)
            if key in taken:
                self._route_refused(plugin, route, f"already served by plugin {taken[key]!r}")
                continue
            try:
                app.router.add_route(route.method, route.path,
                                     self._guard(self._room_local(route), route.auth, self._tenant_ok(route)))
            except (ValueError, RuntimeError, TypeError) as exc:
                self._route_refused(plugin, route, str(exc))
                continue
            taken[key] = plugin
            self.mounted.append((plugin, route))
        self.openapi = build_document(self.mounted, title=f"{self.hub.config.hub.name} API",
                                      version=__version__,
                                      description="LiveHub's HTTP API, generated from the mounted routes.")
        return app

    def _route_refused(self, plugin: str, route: WebRoute, reason: str) -> None:
        error = PluginError(plugin, "mount routes", f"{route.method} {route.path} not mounted: {reason}")
        self.hub.report_error(error, "web:routes")

    def _room_local(self, route: WebRoute) -> Handler:
        """A route about one ``{room}``, in a cluster: answered by the process that runs the room
        (hub/cluster/forward.py), after this process checked the token."""
        if "{room}" not in route.path or not self.hub.config.cluster.enabled:
            return route.handler
        from hub.cluster.forward import room_forwarder

        return room_forwarder(self.hub, route.handler)

    @staticmethod
    def _tenant_ok(route: WebRoute) -> bool:
        """Whether a tenant's token may call ``route``: routes about one ``{room}`` (its own rooms only) and
        those that say they show a tenant only its own (``WebRoute.tenants``)."""
        return "{room}" in route.path or route.tenants

    def _guard(self, handler: Handler, auth: bool, tenant_ok: bool = False) -> Handler:
        """``handler`` behind the authorisation hook when ``auth`` is set; a tenant's token reaches only
        the routes ``tenant_ok`` allows, and of those only its own rooms (another room is "not found")."""
        if not auth:
            return handler

        async def authorised_only(request: web.Request) -> web.StreamResponse:
            if not await self.authorize(request):
                return unauthorized()
            rooms = request_tenant_rooms(request)
            if rooms is not None:
                if not tenant_ok:
                    return json_error(403, "this route is the hub operator's: a tenant's token does not reach it")
                room = request.match_info.get("room")
                if room is not None and room not in rooms:
                    return json_error(404, "no such room")
            return await handler(request)

        return authorised_only

    async def authorize(self, request: web.Request) -> bool:
        """Ask ``livehub_authorize``; only an explicit True lets the request through."""
        try:
            answer = self.hub.plugins.hook.livehub_authorize(request=request, hub=self.hub)
            if inspect.isawaitable(answer):
                answer = await answer
        except Exception as exc:
            self.hub.report_error(exc, "web:authorize")
            return False
        return answer is True

    def _make_middleware(self) -> Any:
        @web.middleware
        async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
            resource = request.match_info.route.resource
            template = resource.canonical if resource is not None else "unmatched"
            refused = self.guard.check(request)
            if refused is not None:
                status, message, reason = refused
                self._log_refusal(request, reason, status)
                self._count(request, template, status)
                return json_error(status, message)
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                if exc.status < 400 or not request.path.startswith("/api/"):
                    self._count(request, template, exc.status)
                    if 400 <= exc.status < 500:
                        self.client_errors.note(f"{exc.status} {request.method} {template}", exc.reason)
                    raise
                response = http_error_as_json(exc)
            except Exception as exc:  # a failing handler must not take the hub or a secret with it
                self.hub.report_error(exc, f"route:{template}")
                response = json_error(500, "internal error")
            self._count(request, template, response.status)
            if 400 <= response.status < 500:
                self._log_client_error(request, template, response)
            return self._redact(response)

        return guard

    def _log_refusal(self, request: web.Request, reason: str, status: int) -> None:
        """A refusal of the drive-by guard is a client error: one WARNING per kind a minute, naming the
        method, path, Host and Origin (redacted, cut short)."""
        redact = self.hub.config.redactor.redact

        def shown(value: str | None) -> str:
            return redact(value)[:100] if value is not None else "-"

        self.client_errors.note(f"{status} refused ({reason})",
                                f"{request.method} {shown(request.path)!r}: Host {shown(request.headers.get('Host'))!r}, "
                                f"Origin {shown(request.headers.get('Origin'))!r}, "
                                f"Content-Type {shown(request.headers.get('Content-Type'))!r}")

    def _log_client_error(self, request: web.Request, template: str, response: web.StreamResponse) -> None:
        """A 4xx answer (not 401/404 of an unknown route: those are noted too, under their template)."""
        message = ""
        if isinstance(response, web.Response) and isinstance(response.body, bytes | bytearray):
            message = bytes(response.body[:300]).decode("utf-8", "replace")
        self.client_errors.note(f"{response.status} {request.method} {template}",
                                self.hub.config.redactor.redact(message)[:160] or response.reason or "")

    def _count(self, request: web.Request, template: str, status: int) -> None:
        self._requests.labels(request.method, template, str(status)).inc()

    def _redact(self, response: web.StreamResponse) -> web.StreamResponse:
        redact = self.hub.config.redactor.redact
        for name, value in list(response.headers.items()):
            if redact(value) != value:
                response.headers.popall(name)
                response.headers.add(name, redact(value))
        if (isinstance(response, web.Response) and not response.prepared
                and isinstance(response.body, bytes | bytearray)
                and response.content_type.startswith(REDACTED_TYPES)):
            text = bytes(response.body).decode("utf-8", "replace")
            redacted = redact(text)
            if redacted != text:
                response.body = redacted.encode("utf-8")
        return response

    # -- core handlers --------------------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.Response:
        return json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        if self.hub.ready:
            return json_response({"status": "ready"})
        return json_response({"status": "not ready"}, 503)

    async def metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(self.hub.metrics)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def openapi_json(self, request: web.Request) -> web.Response:
        return json_response(self.openapi)


def http_error_as_json(exc: web.HTTPException) -> web.Response:
    """aiohttp's plain-text HTTP errors (404, 405, 413, ...) in the API's JSON error shape."""
    text = exc.text or ""
    message = exc.reason if text in ("", f"{exc.status}: {exc.reason}") else text
    headers = {k: v for k, v in exc.headers.items() if k.lower() not in ("content-type", "content-length")}
    return json_error(exc.status, message, headers=headers)
