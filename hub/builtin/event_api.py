"""Events over HTTP: publish events with ``POST /api/v1/events``, watch them live on a WebSocket.

* ``POST /api/v1/events`` takes one event object or a list of them (the JSON of
  :func:`hub.events.to_dict`). The whole request is checked first: one invalid event means 400 naming
  it (``index``, ``field``, ``reason``) and nothing of the request is published. Valid events are
  published in order; ``202 {"accepted": n}`` is sent only once the bus has accepted all of them.
* ``GET /api/v1/events/ws`` streams every hub event as JSON text frames, optionally only some types
  (``?types=comment,reply``). Each client gets its own ``drop_oldest`` bus queue of 1000 events, so a
  slow client loses its own oldest events and never slows the hub. Browsers may pass the token as
  ``?token=`` since they cannot set headers on a WebSocket.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hub.bus import BusClosed
from hub.events import EVENT_TYPES, Event, EventFormatError, from_dict, to_dict
from hub.hookspecs import hookimpl
from hub.specs import WebRoute
from hub.web.common import HUB_KEY, dumps, json_error, json_response

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.bus import EventBus

MAX_EVENTS_PER_REQUEST = 1000
STREAM_QUEUE_SIZE = 1000
HEARTBEAT_S = 30.0
TAGS = ("events",)

_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "platform", "room"],
    "properties": {"type": {"enum": sorted(EVENT_TYPES)}, "platform": {"type": "string"},
                   "room": {"type": "string"}},
}
REQUEST_SCHEMA: dict[str, Any] = {
    "oneOf": [_EVENT_SCHEMA, {"type": "array", "items": _EVENT_SCHEMA, "maxItems": MAX_EVENTS_PER_REQUEST}],
}


class InvalidEvent(ValueError):
    """An event the API refuses: which field and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field, self.reason = field, reason


# -- checking ------------------------------------------------------------------------------------


def parse_event(data: Any) -> Event:
    """An event from an API client's JSON; raises :class:`InvalidEvent` naming the field.

    :func:`hub.events.from_dict` checks field names and types; a missing required field is named here,
    where ``from_dict`` would only report the constructor's ``TypeError``.
    """
    if not isinstance(data, dict):
        raise InvalidEvent("", "an event must be a JSON object")
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise InvalidEvent("type", f"unknown event type {kind!r}; known: {', '.join(sorted(EVENT_TYPES))}")
    fields = dataclasses.fields(cls)
    for f in fields:
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and f.name not in data:
            raise InvalidEvent(f.name, "required field missing")
    try:
        return from_dict(data)
    except EventFormatError as exc:
        field, _, reason = str(exc).partition(": ")
        raise InvalidEvent(field, reason or str(exc)) from None


def parse_types(text: str | None) -> frozenset[str] | None:
    """The ``?types=`` filter: None for all types; raises ValueError naming unknown types."""
    if not text:
        return None
    wanted = frozenset(t.strip() for t in text.split(",") if t.strip())
    unknown = sorted(wanted - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(sorted(EVENT_TYPES))}")
    return wanted or None


# -- POST /api/v1/events ---------------------------------------------------------------------------


async def post_events(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    try:
        body = await request.json()
    except ValueError:
        return json_error(400, "the body is not valid JSON", field="body")
    items = body if isinstance(body, list) else [body]
    if len(items) > MAX_EVENTS_PER_REQUEST:
        return json_error(413, f"at most {MAX_EVENTS_PER_REQUEST} events per request")
    parsed: list[Event] = []
    for index, item in enumerate(items):
        try:
            parsed.append(parse_event(item))
        except InvalidEvent as exc:
            return json_error(400, f"invalid event at index {index}: {exc}", index=index, field=exc.field,
                              reason=exc.reason)
    accepted = 0
    for event in parsed:
        try:
            await hub.publish(event)
        except BusClosed:
            return json_error(503, "the hub is stopping", accepted=accepted)
        accepted += 1
    return json_response({"accepted": accepted, "ids": [e.id for e in parsed]}, 202)


# -- GET /api/v1/events/ws -------------------------------------------------------------------------


def free_subscriber_name(bus: EventBus) -> str:
    """The lowest free ``websocket-<n>``: names (and their metric labels) are reused, not piled up."""
    taken = {s["name"] for s in bus.stats()}
    n = 1
    while f"websocket-{n}" in taken:
        n += 1
    return f"websocket-{n}"


class EventStream:
    """Sends bus events to one WebSocket once its handshake is done; gives up quietly once it closes."""

    def __init__(self, ws: web.WebSocketResponse, hub: Hub) -> None:
        self.ws = ws
        self.redact = hub.config.redactor.redact
        self.open = asyncio.Event()

    async def send(self, event: Event) -> None:
        await self.open.wait()
        if self.ws.closed or not self.ws.prepared:
            return
        try:
            await self.ws.send_str(self.redact(dumps(to_dict(event))))
        except (ConnectionError, RuntimeError):
            pass  # the client went away; the handler's receive loop ends and unsubscribes


async def events_ws(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB_KEY]
    try:
        wanted = parse_types(request.query.get("types"))
    except ValueError as exc:
        return json_error(400, str(exc), field="types")
    if hub.bus.closed:
        return json_error(503, "the hub is stopping")
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S)
    stream = EventStream(ws, hub)
    # Subscribe before the handshake: every event published after the client sees it is delivered.
    sub = hub.bus.subscribe(free_subscriber_name(hub.bus), stream.send, types=wanted,
                            maxsize=STREAM_QUEUE_SIZE, overflow="drop_oldest")
    try:
        await ws.prepare(request)
        if hub.web is not None:
            hub.web.track_websocket(ws)
        stream.open.set()
        async for _ in ws:
            pass  # the stream is one-way: what a client sends is ignored (protocol pings are answered)
    finally:
        stream.open.set()
        await hub.bus.unsubscribe(sub, timeout=1.0)
    return ws


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    return [
        WebRoute("POST", "/api/v1/events", post_events, tags=TAGS, request_schema=REQUEST_SCHEMA,
                 summary="Publish one event or a list of events; 202 once the bus accepted all",
                 responses={"202": "All events accepted", "400": "An invalid event (nothing published)",
                            "413": "Too many events", "503": "The hub is stopping"}),
        WebRoute("GET", "/api/v1/events/ws", events_ws, tags=TAGS,
                 summary="WebSocket streaming every hub event as JSON (?types=comment,reply to filter; "
                         "?token= accepted)",
                 responses={"101": "Switching to the WebSocket protocol", "400": "Unknown event type"}),
    ]
