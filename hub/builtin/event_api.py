"""Events over HTTP: publish events with ``POST /api/v1/events``, watch them live on a WebSocket.

* ``POST /api/v1/events`` takes one **platform** event object or a list of them (the JSON of
  :func:`hub.events.to_dict`; only :data:`hub.events.PLATFORM_EVENT_TYPES`: what the hub itself says and
  does, replies, stage changes and states, is never taken from a client). The whole request is checked
  first: one invalid event means 400 naming it (``index``, ``field``, ``reason``) and nothing of the
  request is published. The body is parsed with :func:`hub.jsonbody.loads` (no ``NaN``, nesting capped),
  and every value the database would refuse is refused here, before any acknowledgement: non-finite or
  absurd timestamps and amounts, negative or absurd counts, a platform name longer than its column, lone
  surrogates in any text. Valid events are published in order; ``202 {"accepted": n, "ids": [...]}`` is
  sent only once all of them are **stored** (committed to the database: they survive ``kill -9`` of the
  hub; concurrent requests share one commit). If they are not stored within :data:`STORE_TIMEOUT_S`
  (the database is down) or the hub is stopping, the answer is 503 and nothing is acknowledged: send the
  request again with the same ``id``s or ``message_id``s, and an event already stored is stored once.
* ``GET /api/v1/events/ws`` streams every hub event as JSON text frames, optionally only some types
  (``?types=comment,reply``). Each client gets its own ``drop_oldest`` bus queue of 1000 events, so a
  slow client loses its own oldest events and never slows the hub. Browsers may pass the token as
  ``?token=`` since they cannot set headers on a WebSocket.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections import deque
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hub.bus import BusClosed
from hub.cluster.streams import EVENTS_TARGET
from hub.events import EVENT_TYPES, PLATFORM_EVENT_TYPES, Event, EventFormatError, from_dict, to_dict
from hub.hookspecs import hookimpl
from hub.jsonbody import JsonBodyError, encodable
from hub.jsonbody import loads as load_json
from hub.specs import WebRoute
from hub.web.common import HUB_KEY, dumps, json_error, json_response, request_tenant_rooms

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.bus import EventBus

MAX_EVENTS_PER_REQUEST = 1000
STREAM_QUEUE_SIZE = 1000
HEARTBEAT_S = 30.0
STORE_TIMEOUT_S = 15.0
"""How long ``POST /api/v1/events`` waits for its events to be committed before answering 503."""
TAGS = ("events",)
MAX_PLATFORM_CHARS = 64
"""The ``events.platform`` column's length."""
MAX_TS = 1e11
"""Latest timestamp accepted (year 5138): later ones are garbage, not times."""
MAX_COUNT = 2**53 - 1
"""Largest count accepted (exact in JSON and in every database's integers)."""
MAX_MONEY = Decimal(10) ** 12
"""Amounts must be below this in absolute value (``NUMERIC(14, 2)``)."""
TIMESTAMP_FIELDS = ("platform_ts", "received_ts")
COUNT_FIELDS = ("count", "qty", "viewers", "likes_total")
MONEY_FIELDS = ("value", "value_cny", "amount")

_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "platform", "room"],
    "properties": {"type": {"enum": sorted(PLATFORM_EVENT_TYPES)},
                   "platform": {"type": "string", "maxLength": MAX_PLATFORM_CHARS},
                   "room": {"type": "string"}},
}
REQUEST_SCHEMA: dict[str, Any] = {
    "oneOf": [_EVENT_SCHEMA, {"type": "array", "items": _EVENT_SCHEMA, "maxItems": MAX_EVENTS_PER_REQUEST}],
}


class InvalidEvent(ValueError):
    """An event the API refuses: which field and why."""

    def __init__(self, field: str, reason: str, index: int | None = None) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field, self.reason, self.index = field, reason, index


class TooManyEvents(InvalidEvent):
    """More than :data:`MAX_EVENTS_PER_REQUEST` events in one request."""

    def __init__(self) -> None:
        super().__init__("", f"at most {MAX_EVENTS_PER_REQUEST} events per request")


# -- checking ------------------------------------------------------------------------------------


def _check_text(data: dict[str, Any]) -> None:
    for key, value in data.items():
        if not encodable(key):
            raise InvalidEvent("", "a field name holds a lone surrogate (not encodable text)")
        if not encodable(value):
            raise InvalidEvent(key, "holds a lone surrogate (not encodable text)")
    user = data.get("user")
    if user is not None:
        if not isinstance(user, dict) or "id" not in user:
            raise InvalidEvent("user", "must be an object with an 'id'")
        uid, name = user.get("id"), user.get("name", "")
        if not isinstance(uid, str | int) or isinstance(uid, bool) or not isinstance(name, str | None):
            raise InvalidEvent("user", "'id' must be a string or an integer and 'name' a string")
        if isinstance(uid, int) and abs(uid) > MAX_COUNT:
            raise InvalidEvent("user", "'id' is too large an integer; send it as a string")


def check_storable(event: Event) -> None:
    """Refuse values the database would refuse or that are nonsense: raises :class:`InvalidEvent`."""
    if not event.platform or len(event.platform) > MAX_PLATFORM_CHARS:
        raise InvalidEvent("platform", f"must be 1 to {MAX_PLATFORM_CHARS} characters")
    for name in TIMESTAMP_FIELDS:
        value = getattr(event, name)
        if value is not None and not (math.isfinite(value) and 0 <= value <= MAX_TS):
            raise InvalidEvent(name, f"must be a finite Unix time in seconds between 0 and {MAX_TS:.0e}")
    for name in COUNT_FIELDS:
        value = getattr(event, name, None)
        if value is not None and not 0 <= value <= MAX_COUNT:
            raise InvalidEvent(name, f"must be a count between 0 and {MAX_COUNT}")
    for name in MONEY_FIELDS:
        value = getattr(event, name, None)
        if value is not None and not (value.is_finite() and abs(value) < MAX_MONEY):
            raise InvalidEvent(name, f"must be a finite amount below {MAX_MONEY:.0e} in absolute value")


def parse_event(data: Any) -> Event:
    """A platform event from an API client's JSON; raises :class:`InvalidEvent` naming the field.

    :func:`hub.events.from_dict` checks field names and types; a missing required field is named here,
    where ``from_dict`` would only report the constructor's ``TypeError``. Hub-internal types (replies,
    stage changes, states) are refused, and so is every value :func:`check_storable` refuses.
    """
    if not isinstance(data, dict):
        raise InvalidEvent("", "an event must be a JSON object")
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise InvalidEvent("type", "unknown event type; platform event types: "
                                   + ", ".join(sorted(PLATFORM_EVENT_TYPES)))
    if kind not in PLATFORM_EVENT_TYPES:
        raise InvalidEvent("type", f"{kind!r} is a hub-internal event type, not taken from API clients; "
                                   f"platform event types: {', '.join(sorted(PLATFORM_EVENT_TYPES))}")
    _check_text(data)
    fields = dataclasses.fields(cls)
    for f in fields:
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and f.name not in data:
            raise InvalidEvent(f.name, "required field missing")
    try:
        event = from_dict(data)
    except EventFormatError as exc:
        field, _, reason = str(exc).partition(": ")
        raise InvalidEvent(field, reason or str(exc)) from None
    except (TypeError, ValueError, ArithmeticError) as exc:  # a constructor's own check
        raise InvalidEvent("", f"not a valid {kind!r} event ({type(exc).__name__})") from None
    check_storable(event)
    return event


def decode_events(body: bytes | str) -> list[Event]:
    """The events of a ``POST /api/v1/events`` body (one object or a list), all checked.

    Raises :class:`~hub.jsonbody.JsonBodyError` (not acceptable JSON), :class:`TooManyEvents` or
    :class:`InvalidEvent` with ``index`` set to the first invalid event's position.
    """
    data = load_json(body)
    items = data if isinstance(data, list) else [data]
    if len(items) > MAX_EVENTS_PER_REQUEST:
        raise TooManyEvents()
    parsed: list[Event] = []
    for index, item in enumerate(items):
        try:
            parsed.append(parse_event(item))
        except InvalidEvent as exc:
            exc.index = index
            raise
    return parsed


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
        parsed = decode_events(await request.read())
    except JsonBodyError as exc:
        return json_error(400, f"the body is not acceptable JSON: {exc}", field="body")
    except TooManyEvents as exc:
        return json_error(413, str(exc))
    except InvalidEvent as exc:
        return json_error(400, f"invalid event at index {exc.index}: {exc}", index=exc.index, field=exc.field,
                          reason=exc.reason)
    mine = request_tenant_rooms(request)
    foreign = [index for index, event in enumerate(parsed) if mine is not None and event.room not in mine]
    if foreign:  # nothing is taken: a tenant posts to its own rooms only
        return json_error(403, f"event at index {foreign[0]}: room {parsed[foreign[0]].room!r} is not one of "
                               "this tenant's rooms; no event was accepted", index=foreign[0], field="room")
    here, elsewhere = _by_process(hub, parsed)
    try:
        for room, events in elsewhere.items():  # a cluster: the room's process takes them (docs/scale-out.md)
            async with asyncio.timeout(STORE_TIMEOUT_S):
                await hub.cluster.hand(room, EVENTS_TARGET, "events", [to_dict(e) for e in events])
    except (OSError, ConnectionError) as exc:  # TimeoutError included: Redis did not take them in time
        return json_error(503, f"the events could not be handed to their room's process ({type(exc).__name__}): "
                               "not acknowledged; send them again (with the same ids or message_ids, a re-sent "
                               "event is stored once)", headers={"Retry-After": "5"})
    try:
        refused = await hub.publish_stored(here, timeout=STORE_TIMEOUT_S)
    except BusClosed:
        return json_error(503, "the hub is stopping: the events are not acknowledged; send them again "
                               "(with the same ids or message_ids, a re-sent event is stored once)")
    except TimeoutError:
        return json_error(503, f"the events were not stored within {STORE_TIMEOUT_S:.0f} s (is the database "
                               "down?): not acknowledged; send them again with the same ids or message_ids "
                               "(a re-sent event is stored once)", headers={"Retry-After": "5"})
    if refused:
        position = {id(event): index for index, event in enumerate(parsed)}
        indices = sorted(position[id(event)] for event in refused)
        return json_error(422, f"the database refused {len(indices)} of {len(parsed)} events (the others "
                               "are stored)", indices=indices, accepted=len(parsed) - len(indices))
    return json_response({"accepted": len(parsed), "ids": [e.id for e in parsed]}, 202)


def _by_process(hub: Hub, events: list[Event]) -> tuple[list[Event], dict[str, list[Event]]]:
    """The events this process ingests, and (in a cluster with Redis) those of configured rooms another
    process runs, by room."""
    cluster = hub.cluster
    if cluster is None or cluster.streams is None:
        return events, {}
    here: list[Event] = []
    elsewhere: dict[str, list[Event]] = {}
    for event in events:
        room = hub.rooms.get(event.room)
        if room is not None and room.configured and not cluster.owns(event.room):
            elsewhere.setdefault(event.room, []).append(event)
        else:
            here.append(event)
    return here, elsewhere


# -- GET /api/v1/events/ws -------------------------------------------------------------------------


def free_subscriber_name(bus: EventBus) -> str:
    """The lowest free ``websocket-<n>``: names (and their metric labels) are reused, not piled up."""
    taken = {s["name"] for s in bus.stats()}
    n = 1
    while f"websocket-{n}" in taken:
        n += 1
    return f"websocket-{n}"


class EventStream:
    """Sends events to one WebSocket once its handshake is done: this process's bus events, and in a cluster
    with Redis the other processes' (hub/cluster/feed.py); gives up quietly once it closes."""

    def __init__(self, ws: web.WebSocketResponse, hub: Hub, rooms: set[str] | None = None) -> None:
        self.ws = ws
        self.rooms = rooms  # a tenant's: only events of these rooms
        self.redact = hub.config.redactor.redact
        self.open = asyncio.Event()
        self._lock = asyncio.Lock()
        self._remote: deque[dict[str, Any]] = deque(maxlen=STREAM_QUEUE_SIZE)  # oldest dropped for a slow client
        self._more = asyncio.Event()

    async def send(self, event: Event) -> None:
        if self.rooms is None or event.room in self.rooms:
            await self._send_text(dumps(to_dict(event)))

    async def _send_text(self, text: str) -> None:
        await self.open.wait()
        if self.ws.closed or not self.ws.prepared:
            return
        try:
            async with self._lock:
                await self.ws.send_str(self.redact(text))
        except (ConnectionError, RuntimeError):
            pass  # the client went away; the handler's receive loop ends and unsubscribes

    def remote(self, wanted: frozenset[str] | None) -> Any:
        """The listener of another process's events (a dict each), filtered like the bus subscription."""
        def deliver(event: dict[str, Any]) -> None:
            if (wanted is None or event.get("type") in wanted) and (self.rooms is None
                                                                     or event.get("room") in self.rooms):
                self._remote.append(event)
                self._more.set()

        return deliver

    async def send_remote(self) -> None:
        while True:
            await self._more.wait()
            self._more.clear()
            while self._remote:
                await self._send_text(dumps(self._remote.popleft()))


async def events_ws(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB_KEY]
    try:
        wanted = parse_types(request.query.get("types"))
    except ValueError as exc:
        return json_error(400, str(exc), field="types")
    if hub.bus.closed:
        return json_error(503, "the hub is stopping")
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S)
    stream = EventStream(ws, hub, request_tenant_rooms(request))
    # Subscribe before the handshake: every event published after the client sees it is delivered.
    sub = hub.bus.subscribe(free_subscriber_name(hub.bus), stream.send, types=wanted,
                            maxsize=STREAM_QUEUE_SIZE, overflow="drop_oldest")
    feed = getattr(hub.cluster, "feed", None)
    stop_listening = feed.listen(stream.remote(wanted)) if feed is not None else None
    remote = asyncio.create_task(stream.send_remote()) if feed is not None else None
    try:
        await ws.prepare(request)
        if hub.web is not None:
            hub.web.track_websocket(ws)
        stream.open.set()
        async for _ in ws:
            pass  # the stream is one-way: what a client sends is ignored (protocol pings are answered)
    finally:
        stream.open.set()
        if stop_listening is not None:
            stop_listening()
        if remote is not None:
            remote.cancel()
            await asyncio.gather(remote, return_exceptions=True)
        await hub.bus.unsubscribe(sub, timeout=1.0)
    return ws


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    return [
        WebRoute("POST", "/api/v1/events", post_events, tags=TAGS, request_schema=REQUEST_SCHEMA, tenants=True,
                 summary="Publish one event or a list of events; 202 once all are stored in the database (a "
                         "tenant's token: events of its own rooms only)",
                 responses={"202": "All events stored", "400": "An invalid event (nothing published)",
                            "403": "A tenant's event names another room (nothing published)",
                            "413": "Too many events",
                            "422": "The database refused some events (the others are stored)",
                            "503": "Not stored in time (database down) or the hub is stopping: send "
                                   "again with the same ids"}),
        WebRoute("GET", "/api/v1/events/ws", events_ws, tags=TAGS, tenants=True,
                 summary="WebSocket streaming every hub event as JSON (?types=comment,reply to filter; "
                         "?token= accepted)",
                 responses={"101": "Switching to the WebSocket protocol", "400": "Unknown event type"}),
    ]
