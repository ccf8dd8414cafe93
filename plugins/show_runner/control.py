"""What an operator does to a room, and what the console shows of it. Every action is audited.

Actions take the acting ``actor`` ("operator" from the API) and raise :class:`ShowError` (with the HTTP
status to answer) when they cannot be done: a room not on air (409), an unknown product or queue item
(404). The takeover line is reviewed like every line; a blocked one is not said (it is audited with the
reasons, and the caller answers 422). Pausing and resuming a show move the room's lifecycle
(``paused``/``on_air``). The answer queue is whatever provides :class:`hub.interfaces.AnswerQueue` (the
triage plugin); without one the queue is empty and its actions find nothing.
"""

from __future__ import annotations

from typing import Any

from hub.events import HUB_PLATFORM, Reply, StageChange
from hub.interfaces import AnswerQueue
from hub.review import ReviewContext, ReviewOutcome, review_output
from plugins.show_runner.service import LiveRoom, ShowError, ShowService


def on_air(service: ShowService, room: str) -> LiveRoom:
    live = service.live(room)
    if live is None or not live.timeline.running:
        raise ShowError(f"room {room!r} is not on air", 409)
    return live


def _answers(service: ShowService) -> AnswerQueue | None:
    return service.hub.slots.get(AnswerQueue)


def _running_show(service: ShowService, room: str) -> Any:
    live = service.live(room)
    if live is None or live.run is None:
        raise ShowError(f"no show is running on room {room!r}", 409)
    return live.run


def _room_state(service: ShowService, room: str, state: str, actor: str) -> None:
    hub_room = service.hub.rooms.get(room)
    if hub_room is not None:
        hub_room.set_state(state, by=actor)


async def pause(service: ShowService, room: str, actor: str) -> dict[str, Any]:
    run = _running_show(service, room)
    run.pause()
    _room_state(service, room, "paused", actor)
    await service.audit(actor, "pause", room, {"show": run.rundown.name})
    return run.describe()


async def resume(service: ShowService, room: str, actor: str) -> dict[str, Any]:
    run = _running_show(service, room)
    run.resume()
    _room_state(service, room, "on_air", actor)
    await service.audit(actor, "resume", room, {"show": run.rundown.name})
    return run.describe()


def _stage_sku(service: ShowService, room: str, live: LiveRoom | None) -> str | None:
    answers = _answers(service)
    return (live.bridge.stage_sku if live is not None else None) or \
        (answers.stage_sku(room) if answers is not None else None)


async def takeover(service: ShowService, room: str, text: str,
                   actor: str) -> tuple[ReviewOutcome, Reply | None]:
    """Review ``text``; if it passes, the host says it now (urgent). Returns the review and the reply."""
    live = on_air(service, room)
    stage_sku = _stage_sku(service, room, live)
    locale = live.timeline.locale or service.hub.rooms.ensure(room).locale
    context = ReviewContext(channel="voice", kind="takeover", locale=locale, platform=HUB_PLATFORM, room=room,
                            source="operator", catalog=service.hub.catalog(room), stage_sku=stage_sku)
    outcome = await review_output(service.hub, text, context)
    reply = None
    if not outcome.blocked and outcome.text:
        reply = Reply(platform=HUB_PLATFORM, room=room, text=outcome.text, kind="takeover", channel="voice",
                      source=actor, sku=context.stage_sku)
    await service.audit(actor, "takeover", room, {
        "text": text, "said": reply.text if reply is not None else None, "blocked": reply is None,
        "reasons": outcome.reasons})
    if reply is not None:
        await service.hub.publish(reply)
    return outcome, reply


async def stage(service: ShowService, room: str, sku: str | None, actor: str) -> dict[str, Any]:
    """Put ``sku`` on stage (None: nothing); a running show pitches it until its next segment."""
    catalog = service.hub.catalog(room)
    if sku is not None and catalog is not None and catalog.by_sku(sku) is None:
        raise ShowError(f"no product with sku {sku!r} in the catalog", 404)
    await service.hub.publish(StageChange(platform=HUB_PLATFORM, room=room, sku=sku))
    live = service.live(room)
    if live is not None and live.run is not None:
        live.run.follow_product(sku)
    await service.audit(actor, "stage", room, {"sku": sku})
    return {"room": room, "stage_sku": sku, "on_air": live is not None}


async def queue_action(service: ShowService, room: str, item_id: str, action: str,
                       actor: str) -> dict[str, Any]:
    """``approve``, ``skip``, ``pin`` or ``unpin`` the queue item ``item_id``."""
    answers = _answers(service)
    result: dict[str, Any] = {"room": room, "id": item_id, "action": action}
    if action == "unpin":
        live = service.live(room)
        if live is None or live.pinned is None or live.pinned["id"] != item_id:
            raise ShowError(f"item {item_id!r} is not pinned on room {room!r}", 404)
        live.timeline.pin_comment(None)
        live.pinned = None
    else:
        if action not in ("pin", "approve", "skip"):
            raise ShowError(f"unknown queue action {action!r}", 404)
        item = answers.queue_item(room, item_id) if answers is not None else None
        if answers is None or item is None:
            raise ShowError(f"no queued item {item_id!r} on room {room!r}", 404)
        result["item"] = item
        if action == "pin":
            live = on_air(service, room)
            live.timeline.pin_comment((item["author"], item["text"]))
            live.pinned = {"id": item_id, "author": item["author"], "text": item["text"]}
        elif action == "approve":
            answers.approve(room, item_id)
        else:
            answers.skip(room, item_id)
    await service.audit(actor, f"queue_{action}", room, {"item": item_id, **({"text": result["item"]["text"]}
                                                                             if "item" in result else {})})
    return result


EMPTY_COUNTERS = {"comments": 0, "answered": 0, "aggregated": 0, "dropped": 0, "blocked": 0}


def room_state(service: ShowService, room: str) -> dict[str, Any]:
    """``GET /rooms/{room}/state``: the show, the stage, the queue, counters, outputs and connectors."""
    live = service.live(room)
    answers = _answers(service)
    run = live.run if live is not None else None
    described = run.describe() if run is not None else {}
    timeline = live.timeline.status() if live is not None else None
    queue = answers.queue_view(room) if answers is not None else []
    pinned_id = live.pinned["id"] if live is not None and live.pinned is not None else None
    hub_room = service.hub.rooms.get(room)
    return {
        "room": room, "on_air": live is not None and live.timeline.running,
        "state": hub_room.state if hub_room is not None else None,
        "show": described.get("show"), "running": run is not None, "paused": bool(described.get("paused")),
        "segment": described.get("segment"), "remaining_s": described.get("remaining_s"),
        "countdown": bool(described.get("countdown")), "stage_sku": _stage_sku(service, room, live),
        "speaking": timeline.get("speaking") if timeline else None,
        "avatar": timeline.get("avatar") if timeline else None,  # which host draws, and whether it is in fallback
        "pinned": live.pinned if live is not None else None,
        "queue": [{**item, "pinned": pinned_id == item["id"]} for item in queue],
        "counters": answers.counters(room) if answers is not None else dict(EMPTY_COUNTERS),
        "outputs": [o.status() for o in live.media.outputs] if live is not None else [],
        "connectors": [c.status() for c in service.hub.connectors.values()],
    }


def rooms_overview(service: ShowService) -> list[dict[str, Any]]:
    """``GET /shows/rooms``: every room the hub knows (configured, bound, on air or with events) with its
    show state."""
    out = []
    for hub_room in service.hub.rooms:
        state = room_state(service, hub_room.name)
        out.append({key: state[key] for key in ("room", "state", "on_air", "show", "running", "paused",
                                                "stage_sku", "remaining_s")} | {"public": hub_room.public})
    return out
