"""``livehub export-trace``: what the recorder stored of a room, as a trace ``livehub replay`` takes.

Record a real show, then rehearse it against a new config: the viewer events (comments, gifts, likes,
enters, follows, orders, room stats) and the stage changes of one room, in the order they were stored,
timed from the first of them by the hub's receive time (``received_ts``, one clock for every platform).
What the hub said and did (replies, states) is left out: a replay makes its own. Each record keeps the
event's platform and, as its ``id``, the platform's message id, so a viewer who asked on two platforms
stays two viewers and a re-delivered message stays one record.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from plugins.replay.trace import TRACE_TYPES

FIELDS: dict[str, tuple[str, ...]] = {
    "comment": ("text",),
    "gift": ("gift", "count", "value"),
    "like": ("count",),
    "enter": (),
    "follow": (),
    "order": ("order_id", "sku", "qty", "amount"),
    "stats": ("viewers", "likes_total"),
    "stage": ("sku",),
}
"""Per trace type, the event fields a trace record carries besides id, t, type, user and platform."""


def to_record(data: dict[str, Any], start: float, seen: set[str]) -> dict[str, Any] | None:
    """The trace record of one stored event (its :func:`hub.events.to_dict` form), or None when it is not
    a room event a trace holds. ``seen`` collects record ids; a repeated one gets the event's own id."""
    kind = data.get("type")
    if kind not in TRACE_TYPES:
        return None
    received = data.get("received_ts")
    t = max(0.0, float(received) - start) if isinstance(received, int | float) else 0.0
    record_id = str(data.get("message_id") or data.get("id"))
    if record_id in seen:
        record_id = str(data.get("id"))
    seen.add(record_id)
    record: dict[str, Any] = {"id": record_id, "t": round(t, 3), "type": kind}
    user = data.get("user")
    if isinstance(user, dict) and user.get("id") is not None:
        record["user"] = {"id": str(user["id"]), "name": str(user.get("name") or "")}
    if data.get("platform"):
        record["platform"] = data["platform"]
    for name in FIELDS[kind]:
        if data.get(name) is not None or name == "sku":
            record[name] = data.get(name)
    return record


async def trace_records(events: AsyncIterator[dict[str, Any]] | Iterable[dict[str, Any]],
                        ) -> AsyncIterator[dict[str, Any]]:
    """The trace records of stored events (oldest first), timed from the first room event."""
    start: float | None = None
    seen: set[str] = set()

    async def each() -> AsyncIterator[dict[str, Any]]:
        if hasattr(events, "__aiter__"):
            async for data in events:  # type: ignore[union-attr]
                yield data
        else:
            for data in events:  # type: ignore[union-attr]
                yield data

    async for data in each():
        if data.get("type") not in TRACE_TYPES:
            continue
        if start is None:
            received = data.get("received_ts")
            start = float(received) if isinstance(received, int | float) else 0.0
        record = to_record(data, start, seen)
        if record is not None:
            yield record
