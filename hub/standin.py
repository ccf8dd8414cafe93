"""Stand-ins: local, protocol-faithful servers of the outside systems connectors talk to.

A stand-in speaks a platform's real wire protocol on ``127.0.0.1:<port>`` so that a connector's whole
code path (auth, framing, cursors, retries, rate limits) runs against it, and it shares one **control
API** with every other stand-in, so tools and tests drive any of them the same way:

* ``POST /_standin/events`` — a JSON list of viewer events in the hub's own event format
  (:func:`hub.events.to_dict`: comment, gift, like, enter, follow, order, stats). ``platform`` may be
  left out (it is the stand-in's system) and so may ``room`` (the stand-in's default platform room). A
  bad event answers 400 with the reason; otherwise each is encoded in the platform's format and queued
  for delivery (:meth:`Standin.deliver`). Answers ``{"accepted": n, "messages": [encoded, ...]}``.
* ``GET /_standin/sent[?kind=chat]`` — what the hub sent to the platform (chat messages, API calls,
  acks), as recorded by the stand-in (:meth:`Standin.record`); ``DELETE /_standin/sent`` clears it.
* ``POST /_standin/faults`` — ``{"kind": "disconnect"}`` drops every live connection;
  ``{"kind": "outage", "seconds": N}`` drops them and answers 503 for N seconds;
  ``{"kind": "rate_limit", "count": N}`` answers the next N sends with the platform's rate-limit answer;
  ``{"kind": "reconnect"}`` sends the platform's own reconnect request on every live connection (400 for
  a platform that has none: :meth:`Standin.request_reconnect`).
* ``GET /_standin/state`` — counts, url and port, and the stand-in's own figures.

:func:`take_token` enforces a platform's send rate with a :class:`hub.ratelimit.TokenBucket`.

A subclass sets :attr:`Standin.system`, adds its platform routes in :meth:`Standin.setup_routes`,
implements :meth:`Standin.deliver` and returns the connector settings that point at it from
:meth:`Standin.connector_settings`. Plugins register it with ``livehub_register_standins`` returning a
:class:`hub.specs.StandinSpec`; ``livehub standin <system>`` runs it and ``hub.testing``'s ``standin``
fixture starts it for a test.
"""

from __future__ import annotations

import abc
import asyncio
import json
import math
import re
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web

from hub.events import PLATFORM_EVENT_TYPES, Event, EventFormatError, from_dict
from hub.jsonbody import JsonBodyError
from hub.jsonbody import loads as load_json
from hub.ratelimit import TokenBucket
from hub.secrets import SecretValue

if TYPE_CHECKING:
    from hub.standin_control import StandinControl

CONTROL_PREFIX = "/_standin/"
FAULT_KINDS = ("disconnect", "outage", "rate_limit", "reconnect")


def take_token(bucket: TokenBucket) -> float:
    """A platform's send limit, server side: 0.0 and a token taken from ``bucket`` (on the monotonic
    clock) when one is there, else the seconds until one will be (nothing taken): answer "slow down"."""
    now = time.monotonic()
    available = bucket.available(now)
    if available >= 1.0:
        bucket.reserve(now)
        return 0.0
    return (1.0 - available) / bucket.rate


class Standin(abc.ABC):
    """Base of every stand-in: the aiohttp server, the control API, recording and faults."""

    system: ClassVar[str] = ""
    """The system this stands in for (``livehub standin <system>``); also the ``platform`` of its events."""
    connector_type: ClassVar[str] = ""
    """The connector type whose ``[connectors.x]`` table points at it (default: :attr:`system`)."""
    secret_env: ClassVar[dict[str, str]] = {}
    """Connector settings that are secrets, and the environment variable the printed table reads each
    from: ``{"token": "ACME_TOKEN"}``."""
    default_room: ClassVar[str] = "demo"
    """The platform room events go to when they name none."""
    room_bound: ClassVar[bool] = True
    """False for a system that feeds no room of its own (a shop: rooms name it with ``shop = "<name>"``); its
    connector table then has no ``room`` key."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, ssl_context: Any = None) -> None:
        self.host, self.port = host, port
        self.ssl_context = ssl_context  # an ssl.SSLContext: serve HTTPS (a shop that takes Basic auth only so)
        self.posted = 0  # viewer events accepted through the control API
        self.calls = 0  # platform-protocol requests served (control API excluded)
        self._sent: list[dict[str, Any]] = []
        self._seq = 0
        self._outage_until = 0.0
        self._forced_rate_limits = 0
        self._live: dict[int, tuple[web.BaseRequest, asyncio.Task[Any] | None]] = {}  # by serial number
        self._serial = 0
        self._runner: web.AppRunner | None = None

    # -- what a subclass provides ---------------------------------------------------------------

    def setup_routes(self, router: web.UrlDispatcher) -> None:  # noqa: B027 - optional, not abstract
        """Add the platform's protocol routes (HTTP or WebSocket handlers) to ``router``."""

    @abc.abstractmethod
    async def deliver(self, event: Event) -> Any:
        """Encode ``event`` in the platform's format and queue it for the connector; return the encoded
        message (shown in the control API's answer). Raise ``ValueError`` for an event the platform
        cannot carry (answered 400)."""

    def connector_settings(self) -> dict[str, Any]:
        """The connector settings (besides ``type`` and ``room``) that point a hub at this stand-in,
        e.g. ``{"api_base": self.url, "token": self.token}``. Keys in :attr:`secret_env` are secrets."""
        return {}

    def request_reconnect(self) -> int:
        """Ask every live connection to reconnect the way the platform does (a reconnect message, a
        close frame); return how many were asked. ``NotImplementedError``: the platform has no such request."""
        raise NotImplementedError(f"{self.system} has no reconnect request")

    def room_keys(self) -> dict[str, str]:
        """Keys a ``[rooms.<room>]`` table needs to use this system (a shop: ``{"shop": <name>}``); none by default."""
        return {}

    def notes(self) -> list[str]:
        """Lines ``livehub standin`` prints above the table (e.g. where the stand-in pushes to)."""
        return []

    def state(self) -> dict[str, Any]:
        """``GET /_standin/state``; a subclass adds its own figures to ``super().state()``."""
        return {"system": self.system, "url": self.url if self._runner else "", "port": self.port,
                "posted": self.posted, "calls": self.calls, "sent": len(self._sent),
                "live_connections": len(self._live), "outage_s": round(self.outage_left(), 3),
                "forced_rate_limits": self._forced_rate_limits}

    # -- helpers for subclasses -----------------------------------------------------------------

    def record(self, kind: str, **data: Any) -> dict[str, Any]:
        """Record something the hub sent (``kind`` "chat", "api", "ack", ...) for ``GET /_standin/sent``."""
        self._seq += 1
        entry = {"n": self._seq, "kind": kind, "at": time.time(), **data}
        self._sent.append(entry)
        return entry

    def sent(self, kind: str | None = None) -> list[dict[str, Any]]:
        """What was recorded, oldest first (only ``kind`` if given)."""
        return [e for e in self._sent if kind is None or e["kind"] == kind]

    def take_rate_limit(self) -> bool:
        """True (and one fewer left) while a ``rate_limit`` fault is pending: answer this send with the
        platform's rate-limit answer."""
        if self._forced_rate_limits > 0:
            self._forced_rate_limits -= 1
            return True
        return False

    def outage_left(self) -> float:
        return max(0.0, self._outage_until - time.monotonic())

    def outage_response(self, request: web.Request) -> web.StreamResponse:
        """What every protocol request gets during an outage (override for the platform's own form)."""
        retry = str(max(1, math.ceil(self.outage_left())))
        return _json({"error": "service unavailable"}, status=503, headers={"Retry-After": retry})

    async def disconnect(self) -> int:
        """Drop every live protocol connection (long polls, WebSockets); return how many."""
        live, self._live = list(self._live.values()), {}
        for request, task in live:
            if request.transport is not None:
                request.transport.close()
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        await asyncio.sleep(0)
        return len(live)

    def control(self) -> StandinControl:
        """A client of this stand-in's control API (:class:`hub.standin_control.StandinControl`)."""
        from hub.standin_control import StandinControl

        return StandinControl(self.url)

    # -- running --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://host:port`` (``https://`` with an ``ssl_context``) once started."""
        if self._runner is None and not self.port:
            raise RuntimeError(f"the {self.system} stand-in is not started")
        return f"{'https' if self.ssl_context is not None else 'http'}://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> Standin:
        """Serve on ``host:port`` (port 0: a free one, kept for a later restart). Returns ``self``."""
        if self._runner is not None:
            return self
        app = web.Application(middlewares=[self._middleware])
        router = app.router
        router.add_post(CONTROL_PREFIX + "events", self._post_events)
        router.add_get(CONTROL_PREFIX + "sent", self._get_sent)
        router.add_delete(CONTROL_PREFIX + "sent", self._clear_sent)
        router.add_post(CONTROL_PREFIX + "faults", self._post_fault)
        router.add_get(CONTROL_PREFIX + "state", self._get_state)
        self.setup_routes(router)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True, ssl_context=self.ssl_context)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self.port = runner.addresses[0][1]
        self._runner = runner
        return self

    async def stop(self) -> None:
        """Stop serving (live connections dropped). State is kept: :meth:`start` serves again, same port."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        await self.disconnect()
        await runner.cleanup()

    async def __aenter__(self) -> Standin:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- pointing a hub at it -------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The environment variables the printed table reads secrets from, with their values."""
        settings = self.connector_settings()
        return {var: str(settings[key]) for key, var in self.secret_env.items() if key in settings}

    def connector_config(self, *, room: str = "main") -> dict[str, Any]:
        """The ``[connectors.x]`` table as a dict for in-process config (secrets as values, no env)."""
        settings = self.connector_settings()
        for key in self.secret_env:
            if key in settings:
                settings[key] = SecretValue(str(settings[key]), f"standin:{self.system}")
        bound = {"room": room} if self.room_bound else {}
        return {"type": self.connector_type or self.system, **bound, **settings}

    def connector_table(self, name: str | None = None, *, room: str = "main") -> str:
        """The ``[connectors.<name>]`` TOML table pointing a hub at this stand-in; secrets are written
        as ``{env = "VAR"}`` references (:meth:`env` gives their values)."""
        settings = self.connector_settings()
        lines = [f"[connectors.{_toml_key(name or self.system)}]",
                 f"type = {_toml_value(self.connector_type or self.system)}"]
        if self.room_bound:
            lines.append(f"room = {_toml_value(room)}")
        for key, value in settings.items():
            if key in self.secret_env:
                lines.append(f"{_toml_key(key)} = {{env = {_toml_value(self.secret_env[key])}}}")
            else:
                lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"

    # -- the control API ------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        self.calls += 1
        if self.outage_left() > 0:
            return self.outage_response(request)
        self._serial += 1
        serial = self._serial
        self._live[serial] = (request, asyncio.current_task())
        try:
            return await handler(request)
        finally:
            self._live.pop(serial, None)

    async def _post_events(self, request: web.Request) -> web.Response:
        try:
            body = load_json(await request.read())
        except JsonBodyError as exc:
            return _error(400, f"the body must be JSON: a list of events ({exc})")
        items = body if isinstance(body, list) else [body]
        try:
            events = [self._viewer_event(item, i) for i, item in enumerate(items)]
        except EventFormatError as exc:
            return _error(400, str(exc))
        messages = []
        for i, event in enumerate(events):
            try:
                messages.append(await self.deliver(event))
            except ValueError as exc:
                return _error(400, f"[{i}] {exc}", accepted=len(messages), messages=messages)
            self.posted += 1
        return _json({"accepted": len(messages), "messages": messages}, status=202)

    def _viewer_event(self, item: Any, index: int) -> Event:
        if not isinstance(item, dict):
            raise EventFormatError(f"[{index}] an event must be a JSON object")
        kind = item.get("type")
        if kind not in PLATFORM_EVENT_TYPES:
            raise EventFormatError(f"[{index}] type: {kind!r} is not a viewer event "
                                   f"(one of {', '.join(sorted(PLATFORM_EVENT_TYPES))})")
        platform = item.get("platform", self.system)
        if platform != self.system:
            raise EventFormatError(f"[{index}] platform: this stand-in is {self.system!r}, not {platform!r}")
        data = {**item, "platform": self.system, "room": item.get("room") or self.default_room}
        try:
            return from_dict(data)
        except EventFormatError as exc:
            raise EventFormatError(f"[{index}] {exc}") from None

    async def _get_sent(self, request: web.Request) -> web.Response:
        return _json({"sent": self.sent(request.query.get("kind") or None)})

    async def _clear_sent(self, request: web.Request) -> web.Response:
        cleared, self._sent = len(self._sent), []
        return _json({"cleared": cleared})

    async def _post_fault(self, request: web.Request) -> web.Response:
        try:
            body = load_json(await request.read())
        except JsonBodyError:
            body = None
        kind = body.get("kind") if isinstance(body, dict) else None
        if kind not in FAULT_KINDS:
            return _error(400, f"kind: one of {', '.join(FAULT_KINDS)}")
        if kind == "disconnect":
            return _json({"fault": kind, "dropped": await self.disconnect()})
        if kind == "reconnect":
            try:
                return _json({"fault": kind, "asked": self.request_reconnect()})
            except NotImplementedError as exc:
                return _error(400, str(exc))
        field = "seconds" if kind == "outage" else "count"
        amount = body.get(field)
        if not isinstance(amount, (int, float)) or isinstance(amount, bool) or amount <= 0 or (
                kind == "rate_limit" and not isinstance(amount, int)):
            return _error(400, f"{field}: a positive {'number' if kind == 'outage' else 'integer'} is required")
        if kind == "rate_limit":
            self._forced_rate_limits += amount
            return _json({"fault": kind, "count": self._forced_rate_limits})
        self._outage_until = max(self._outage_until, time.monotonic() + float(amount))
        dropped = await self.disconnect()
        return _json({"fault": kind, "seconds": round(self.outage_left(), 3), "dropped": dropped})

    async def _get_state(self, request: web.Request) -> web.Response:
        return _json(self.state())


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer with text as it is (readable with curl), not as \\u escapes."""
    return web.json_response(data, status=status, headers=headers, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return _json({"error": message, **extra}, status=status)


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) and math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        # a JSON string is a TOML basic string, once DEL (which JSON leaves raw) is escaped too
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, Iterable) and not isinstance(value, (dict, bytes)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a TOML value")
