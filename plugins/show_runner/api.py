"""The room control API (``/api/v1``, API token; see docs/live-room.md). Every action is audited.

Errors are the API's one shape, ``{"error": message, ...}``: 400 a bad body (rundowns add ``field``,
``reason`` and ``problems``), 404 an unknown show, product or queue item, 409 a room not on air or
without a show, 422 a takeover line the guardrails blocked (with ``reasons``), 503 the show runner off.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.jsonbody import JsonBodyError
from hub.jsonbody import loads as load_json
from hub.specs import WebRoute
from hub.web.common import HUB_KEY, json_error, json_response, request_tenant_rooms
from plugins.show_runner import control
from plugins.show_runner.rundown import RundownError, parse_rundown
from plugins.show_runner.service import ShowError, ShowService, show_service

TAGS = ("shows",)
OPERATOR = "operator"
MAX_TAKEOVER_CHARS = 500


def _service(request: web.Request) -> ShowService:
    service = show_service(request.app[HUB_KEY])
    if service is None:
        raise web.HTTPServiceUnavailable(text="the show runner is not running")
    return service


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = load_json(await request.read())
    except JsonBodyError as exc:
        raise ShowError(f"the body is not acceptable JSON: {exc}", 400) from None
    if not isinstance(body, dict):
        raise ShowError("the body must be a JSON object", 400)
    return body


def _handler(action: Any) -> Any:
    """Wrap ``action(request, service, room)`` so a :class:`ShowError` becomes its JSON error."""
    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            return await action(request, _service(request), request.match_info.get("room", ""))
        except ShowError as exc:
            return json_error(exc.status, str(exc))
    handle.__doc__ = action.__doc__
    return handle


def _visible(request: web.Request, room: str | None) -> bool:
    """Whether a show of ``room`` is the request's: the operator's token any; a tenant's token those of its rooms
    and the shared ones (no room)."""
    rooms = request_tenant_rooms(request)
    return rooms is None or room is None or room in rooms


async def list_shows(request: web.Request, service: ShowService, _room: str) -> web.Response:
    return json_response([show for show in await service.library.all() if _visible(request, show.get("room"))])


async def define_show(request: web.Request, service: ShowService, _room: str) -> web.Response:
    try:
        rundown = parse_rundown(await _body(request), "api")
    except RundownError as exc:
        first = exc.problems[0]
        return json_error(400, str(exc), field=first.field, reason=first.reason,
                          problems=[p.as_dict() for p in exc.problems])
    if request_tenant_rooms(request) is not None:  # a tenant defines shows of its own rooms, over none but its own
        existing = await service.library.get(rundown.name)
        if rundown.room is None or not _visible(request, rundown.room):
            return json_error(403, "room: a tenant's show names one of its rooms", field="room")
        if existing is not None and (existing.room is None or not _visible(request, existing.room)):
            return json_error(409, "a show of that name exists already: choose another name", field="name")
    created = await service.library.save(rundown)
    await service.audit(OPERATOR, "show_define", rundown.room or "", {"show": rundown.name, "created": created})
    return json_response({**rundown.as_json(), "source": "api"}, 201 if created else 200)


async def list_rooms(request: web.Request, service: ShowService, _room: str) -> web.Response:
    rooms = request_tenant_rooms(request)
    return json_response([r for r in control.rooms_overview(service) if rooms is None or r["room"] in rooms])


async def room_state(request: web.Request, service: ShowService, room: str) -> web.Response:
    return json_response(control.room_state(service, room))


async def start_show(request: web.Request, service: ShowService, room: str) -> web.Response:
    body = await _body(request)
    show, duration = body.get("show"), body.get("duration_min")
    if not isinstance(show, str) or not show:
        raise ShowError("show: required, the name of a defined show", 400)
    number = isinstance(duration, int | float) and not isinstance(duration, bool)
    if duration is not None and (not number or duration <= 0):
        raise ShowError("duration_min: must be a number of minutes > 0", 400)
    found = await service.library.get(show)
    if found is not None and not _visible(request, found.room):  # another tenant's show is no show at all
        raise ShowError(f"no show named {show!r}", 404)
    if await service.start_show(room, show, duration_min=duration, actor=OPERATOR) is None:
        return json_response({"room": room, "show": show, "runs_elsewhere": True,  # the room's process starts it
                              "detail": "another process of the cluster runs this room"}, 202)
    return json_response(control.room_state(service, room), 201)


async def stop_show(request: web.Request, service: ShowService, room: str) -> web.Response:
    stopped = await service.stop_show(room, actor=OPERATOR, reason="stopped by the operator")
    return json_response({"room": room, "stopped": stopped})


async def pause(request: web.Request, service: ShowService, room: str) -> web.Response:
    return json_response(await control.pause(service, room, OPERATOR))


async def resume(request: web.Request, service: ShowService, room: str) -> web.Response:
    return json_response(await control.resume(service, room, OPERATOR))


async def takeover(request: web.Request, service: ShowService, room: str) -> web.Response:
    text = (await _body(request)).get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TAKEOVER_CHARS:
        raise ShowError(f"text: required, 1 to {MAX_TAKEOVER_CHARS} characters", 400)
    outcome, reply = await control.takeover(service, room, text.strip(), OPERATOR)
    if reply is None:
        return json_error(422, "the guardrails blocked this line; it was not said", reasons=outcome.reasons)
    return json_response({"room": room, "said": True, "text": reply.text, "changed": outcome.changed,
                          "reasons": outcome.reasons, "reply_id": reply.id})


async def stage(request: web.Request, service: ShowService, room: str) -> web.Response:
    body = await _body(request)
    sku = body.get("sku")
    if "sku" not in body or not (sku is None or (isinstance(sku, str) and sku)):
        raise ShowError("sku: required, a product's sku (or null for none)", 400)
    return json_response(await control.stage(service, room, sku, OPERATOR))


def _queue(action: str) -> Any:
    async def act(request: web.Request, service: ShowService, room: str) -> web.Response:
        item_id = request.match_info["item_id"]
        return json_response(await control.queue_action(service, room, item_id, action, OPERATOR))
    return act


SHOW_SCHEMA: dict[str, Any] = {"type": "object", "required": ["name", "segments"],
                               "description": "A rundown: name, room, locale, loop, idle_fill_s, round_gap_s, "
                                              "segments [{sku, minutes, lines, variants, promotion}]"}
START_SCHEMA = {"type": "object", "required": ["show"], "properties": {
    "show": {"type": "string"}, "duration_min": {"type": "number", "exclusiveMinimum": 0}}}
TEXT_SCHEMA = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
SKU_SCHEMA = {"type": "object", "required": ["sku"], "properties": {"sku": {"type": ["string", "null"]}}}
ROOM = "/api/v1/rooms/{room}"


def routes() -> list[WebRoute]:
    def route(method: str, path: str, action: Any, summary: str, responses: dict[str, str] | None = None,
              schema: dict[str, Any] | None = None) -> WebRoute:
        return WebRoute(method, path, _handler(action), tags=TAGS, summary=summary, request_schema=schema,
                        responses={"200": "OK", **(responses or {})}, tenants=True)  # scoped: see _visible

    queue = {"404": "No such queued item"}
    return [
        route("GET", "/api/v1/shows", list_shows, "Defined shows (files and API), with their source"),
        route("POST", "/api/v1/shows", define_show, "Define or replace a show", {"201": "Created",
              "400": "Bad rundown: field and reason"}, SHOW_SCHEMA),
        route("GET", "/api/v1/shows/rooms", list_rooms, "Every room with its show state (the rooms themselves: "
              "GET /api/v1/rooms)"),
        route("GET", f"{ROOM}/state", room_state, "A room's show, stage, queue, counters, outputs, connectors"),
        route("POST", f"{ROOM}/show/start", start_show, "Start a show on the room now",
              {"201": "Started", "404": "No such show", "409": "A show is running"}, START_SCHEMA),
        route("POST", f"{ROOM}/show/stop", stop_show, "Stop the room's show"),
        route("POST", f"{ROOM}/pause", pause, "Pause the show's pitch (answers go on)", {"409": "No show"}),
        route("POST", f"{ROOM}/resume", resume, "Resume the show's pitch", {"409": "No show"}),
        route("POST", f"{ROOM}/takeover", takeover, "The host says this line now (reviewed)",
              {"409": "Room not on air", "422": "Blocked by the guardrails"}, TEXT_SCHEMA),
        route("POST", f"{ROOM}/stage", stage, "Switch the product on stage", {"404": "No such product"},
              SKU_SCHEMA),
        route("POST", f"{ROOM}/queue/{{item_id}}/approve", _queue("approve"), "Answer this item next", queue),
        route("POST", f"{ROOM}/queue/{{item_id}}/skip", _queue("skip"), "Drop this item unanswered", queue),
        route("POST", f"{ROOM}/queue/{{item_id}}/pin", _queue("pin"), "Show this comment on screen", queue),
        route("POST", f"{ROOM}/queue/{{item_id}}/unpin", _queue("unpin"), "Take the pinned comment down",
              queue),
    ]
