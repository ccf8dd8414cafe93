"""What an operator does to a room, and what the console shows of it. Every action is audited.

Actions take the acting ``actor`` ("operator" from the API) and raise :class:`ShowError` (with the HTTP
status to answer) when they cannot be done: a room not on air (409), an unknown product or queue item
(404). The takeover line is reviewed like every line; a blocked one is not said (it is audited with the
reasons, and the caller answers 422).
"""

from __future__ import annotations

from typing import Any

from hub.events import HUB_PLATFORM, Reply, StageChange
from hub.review import ReviewContext, ReviewOutcome, review_output
from plugins.show_runner.service import LiveRoom, ShowError, ShowService
from plugins.triage import operator


def on_air(service: ShowService, room: str) -> LiveRoom:
    live = service.rooms.get(room)
    if live is None or not live.timeline.running:
        raise ShowError(f"room {room!r} is not on air", 409)
    return live


def _engine(service: ShowService, room: str) -> Any:
    from plugins.triage.service import service_for

    triage = service_for(service.hub)
    return triage.engines.get(room) if triage is not None else None


def _running_show(service: ShowService, room: str) -> Any:
    live = service.rooms.get(room)
    if live is None or live.run is None:
        raise ShowError(f"no show is running on room {room!r}", 409)
    return live.run


async def pause(service: ShowService, room: str, actor: str) -> dict[str, Any]:
    run = _running_show(service, room)
    run.pause()
    await service.audit(actor, "pause", room, {"show": run.rundown.name})
    return run.describe()


async def resume(service: ShowService, room: str, actor: str) -> dict[str, Any]:
    run = _running_show(service, room)
    run.resume()
    await service.audit(actor, "resume", room, {"show": run.rundown.name})
    return run.describe()


async def takeover(service: ShowService, room: str, text: str,
                   actor: str) -> tuple[ReviewOutcome, Reply | None]:
    """Review ``text``; if it passes, the host says it now (urgent). Returns the review and the reply."""
    live = on_air(service, room)
    engine = _engine(service, room)
    stage_sku = live.bridge.stage_sku or (engine.stage_sku if engine is not None else None)
    locale = live.timeline.locale or service.hub.config.hub.locale
    context = ReviewContext(channel="voice", kind="takeover", locale=locale, platform=HUB_PLATFORM, room=room,
                            source="operator", catalog=service.hub.catalog(), stage_sku=stage_sku)
    outcome = await review_output(service.hub, text, context)
    reply = None
    if not outcome.blocked and outcome.text:
        reply = Reply(platform=HUB_PLATFORM, room=room, text=outcome.text, kind="takeover", channel="voice",
                      source=actor)
        live.bridge.hint(reply.id, context.stage_sku)
    await service.audit(actor, "takeover", room, {
        "text": text, "said": reply.text if reply is not None else None, "blocked": reply is None,
        "reasons": outcome.reasons})
    if reply is not None:
        await service.hub.publish(reply)
    return outcome, reply


async def stage(service: ShowService, room: str, sku: str | None, actor: str) -> dict[str, Any]:
    """Put ``sku`` on stage (None: nothing); a running show pitches it until its next segment."""
    catalog = service.hub.catalog()
    if sku is not None and catalog is not None and catalog.by_sku(sku) is None:
        raise ShowError(f"no product with sku {sku!r} in the catalog", 404)
    await service.hub.publish(StageChange(platform=HUB_PLATFORM, room=room, sku=sku))
    live = service.rooms.get(room)
    if live is not None and live.run is not None:
        live.run.follow_product(sku)
    await service.audit(actor, "stage", room, {"sku": sku})
    return {"room": room, "stage_sku": sku, "on_air": live is not None}


async def queue_action(service: ShowService, room: str, item_id: str, action: str,
                       actor: str) -> dict[str, Any]:
    """``approve``, ``skip``, ``pin`` or ``unpin`` the queue item ``item_id``."""
    engine = _engine(service, room)
    result: dict[str, Any] = {"room": room, "id": item_id, "action": action}
    if action == "unpin":
        live = service.rooms.get(room)
        if live is None or live.pinned is None or live.pinned["id"] != item_id:
            raise ShowError(f"item {item_id!r} is not pinned on room {room!r}", 404)
        live.timeline.pin_comment(None)
        live.pinned = None
    else:
        item = operator.find_item(engine, item_id) if engine is not None else None
        if item is None:
            raise ShowError(f"no queued item {item_id!r} on room {room!r}", 404)
        result["item"] = operator.item_view(item, engine.clock.now())
        if action == "pin":
            live = on_air(service, room)
            view = result["item"]
            live.timeline.pin_comment((view["author"], view["text"]))
            live.pinned = {"id": item_id, "author": view["author"], "text": view["text"]}
        elif action == "approve":
            operator.approve(engine, item_id)
        elif action == "skip":
            operator.skip(engine, item_id)
        else:
            raise ShowError(f"unknown queue action {action!r}", 404)
    await service.audit(actor, f"queue_{action}", room, {"item": item_id, **({"text": result["item"]["text"]}
                                                                             if "item" in result else {})})
    return result


def room_state(service: ShowService, room: str) -> dict[str, Any]:
    """``GET /rooms/{room}/state``: the show, the stage, the queue, counters, outputs and connectors."""
    live = service.rooms.get(room)
    engine = _engine(service, room)
    run = live.run if live is not None else None
    described = run.describe() if run is not None else {}
    stage_sku = (live.bridge.stage_sku if live is not None else None) or (engine.stage_sku if engine else None)
    timeline = live.timeline.status() if live is not None else None
    queue = operator.queue_view(engine) if engine is not None else []
    pinned_id = live.pinned["id"] if live is not None and live.pinned is not None else None
    return {
        "room": room, "on_air": live is not None and live.timeline.running,
        "show": described.get("show"), "running": run is not None, "paused": bool(described.get("paused")),
        "segment": described.get("segment"), "remaining_s": described.get("remaining_s"),
        "countdown": bool(described.get("countdown")), "stage_sku": stage_sku,
        "speaking": timeline.get("speaking") if timeline else None,
        "pinned": live.pinned if live is not None else None,
        "queue": [{**item, "pinned": pinned_id == item["id"]} for item in queue],
        "counters": operator.room_counters(engine),
        "outputs": [o.status() for o in live.media.outputs] if live is not None else [],
        "connectors": [c.status() for c in service.hub.connectors.values()],
    }


def rooms_overview(service: ShowService) -> list[dict[str, Any]]:
    """``GET /rooms``: every configured, on-air or active room with its show state."""
    from plugins.triage.service import service_for

    triage = service_for(service.hub)
    names = set(service.hub.config.rooms) | set(service.rooms) | set(triage.engines if triage else ())
    out = []
    for name in sorted(names):
        state = room_state(service, name)
        out.append({key: state[key] for key in ("room", "on_air", "show", "running", "paused", "stage_sku",
                                                "remaining_s")}
                   | {"public": bool(service.hub.config.rooms.get(name, {}).get("public", False))})
    return out
