"""What an operator sees of a room's queue and may do to it (the console's queue actions).

* :func:`queue_view` — the pending items, in the order the voice would take them: ``{id, kind, intent,
  sku, text, author, askers, waiting_s, approved}``. ``text`` is the first viewer's comment as written: it
  is for display to the operator only and never said or posted.
* :func:`approve` — say this item next: it goes before every other ready item (approved ones among
  themselves in approval order), is said by the voice even if it would have gone to chat, and a batched
  thank-you stops waiting for its window.
* :func:`skip` — drop the item; every ask it carries is decided ``dropped``, reason ``operator_skip``.
* :func:`room_counters` — ``{comments, answered, aggregated, dropped, blocked}`` of the room so far.

Only *pending* items can be approved or skipped; one already being written or said is not in the queue.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from plugins.triage.queue import Item

if TYPE_CHECKING:
    from plugins.triage.engine import RoomEngine

OPERATOR_SKIP = "operator_skip"
_approvals = itertools.count(1)


def item_view(item: Item, now: float) -> dict[str, Any]:
    """One queue item as the console shows it."""
    head = item.head if item.asks else None
    text = ""
    if head is not None:
        text = head.text.raw if head.text is not None else head.detail
    return {"id": item.id, "kind": item.kind, "intent": item.intent, "sku": item.sku, "text": text,
            "author": head.name if head is not None else "", "askers": len(item.viewers),
            "waiting_s": round(max(0.0, now - item.oldest), 1) if item.asks else 0.0,
            "approved": item.approved > 0}


def queue_view(engine: RoomEngine) -> list[dict[str, Any]]:
    """Pending items: ready ones in the order the voice would take them, then those still batching."""
    now = engine.clock.now()
    ready = [item for _, item in engine.queue.ranked(now)]
    waiting = sorted((i for i in engine.queue.items if i.state == "pending" and i not in ready and i.asks),
                     key=lambda i: (i.ready_at, i.seq))
    return [item_view(item, now) for item in [*ready, *waiting]]


def find_item(engine: RoomEngine, item_id: str) -> Item | None:
    """The pending item ``item_id`` of this room, if it is still queued."""
    item = engine.queue.by_id(item_id)
    return item if item is not None and item.state == "pending" else None


def approve(engine: RoomEngine, item_id: str) -> bool:
    """Have the voice say ``item_id`` next; False when no such item is pending."""
    item = find_item(engine, item_id)
    if item is None:
        return False
    item.approved = next(_approvals)
    item.prefer_chat = False
    item.ready_at = 0.0
    engine.wake()
    return True


def skip(engine: RoomEngine, item_id: str) -> bool:
    """Drop ``item_id`` unsaid (decisions ``dropped``/``operator_skip``); False when not pending."""
    item = find_item(engine, item_id)
    if item is None:
        return False
    engine.settle(item, None, "dropped", OPERATOR_SKIP)
    return True


def room_counters(engine: RoomEngine | None) -> dict[str, int]:
    """Comments the room engine saw, and its decisions by outcome (zeros before the first event)."""
    if engine is None:
        return {"comments": 0, "answered": 0, "aggregated": 0, "dropped": 0, "blocked": 0}
    counts = engine.log.counts
    return {"comments": engine.comments, "answered": counts["answered"], "aggregated": counts["aggregated"],
            "dropped": counts["dropped"], "blocked": counts["blocked"]}
