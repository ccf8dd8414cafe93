"""The room's question queue: what to say next, when many viewers want an answer at once.

An :class:`Item` is one thing to say (an answer, or a batched thank-you) and the :class:`Ask` s it
settles: every viewer event it answers. Its priority is computed when the speaker looks for work, not
when it is queued, because it changes with time:

``score = weight(intent) + popularity_boost·log2(viewers) + ageing_per_s·age − fairness``

* **weights** rank what buyers wait for (price, stock, shipping, promotion, purchase) above details
  (size/spec), complaints, greetings and chit-chat;
* **ageing** lets a patient low-weight question overtake fresh high-weight ones eventually;
* **fairness** subtracts ``fairness_penalty`` per answer the viewer got within ``fairness_window_s`` and per
  earlier open question of the same viewer, so one viewer's ten questions queue behind everyone else's
  first; an item asked by many keeps the penalty of its least-served asker;
* **expiry** is per ask: an ask older than its intent's ``expiry_s`` leaves the item (recorded as dropped,
  reason ``expired``) and is never answered late; an item with no asks left disappears.

Thank-you items score their weight alone (no ageing, popularity or fairness): they fill quiet moments and
never outgrow a real question, however long they wait.

The queue holds at most ``max_pending`` items (the least urgent is dropped, reason ``overflow``) and at
most ``max_pending_per_viewer`` open questions per viewer (reason ``viewer_limit``). Picking scans the
items (a few hundred at most), which is simpler and cheaper than re-heaping priorities that age.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from plugins.triage.normalize import NormalizedText
from plugins.triage.settings import TriageSettings

__all__ = ["Ask", "Item", "AskQueue"]

_seq = itertools.count(1)


@dataclass(slots=True)
class Ask:
    """One viewer event an item settles: its id, who, what (normalised), and when on the room clock."""

    event_id: str
    viewer: str
    name: str
    at: float
    expires_at: float
    text: NormalizedText | None = None
    detail: str = ""  # gift name and count, for thank-you lines


@dataclass(slots=True, eq=False)
class Item:
    """One thing to say. ``key`` is what aggregates asks (see :mod:`plugins.triage.aggregate`)."""

    key: tuple[str, ...]
    kind: str  # "answer" | "thanks"
    intent: str  # an Intent value, or the thanks category for thanks
    locale: str
    sku: str | None = None
    asks: list[Ask] = field(default_factory=list)
    ready_at: float = 0.0  # thank-you batches wait for their window
    prefer_chat: bool = False
    state: str = "pending"  # pending | in_flight | done
    seq: int = field(default_factory=lambda: next(_seq))

    @property
    def weight_key(self) -> str:
        return f"thanks:{self.intent}" if self.kind == "thanks" else self.intent

    @property
    def oldest(self) -> float:
        return min(a.at for a in self.asks)

    @property
    def viewers(self) -> set[str]:
        return {a.viewer for a in self.asks}

    @property
    def head(self) -> Ask:
        return self.asks[0]

    def event_ids(self) -> list[str]:
        return [a.event_id for a in self.asks]


class AskQueue:
    """Pending items of one room (see the module docstring)."""

    def __init__(self, settings: TriageSettings) -> None:
        self.settings = settings
        self.items: list[Item] = []
        self._served: dict[str, deque[float]] = defaultdict(deque)

    def __len__(self) -> int:
        return len(self.items)

    def pending_for(self, viewer: str) -> list[Item]:
        """Open answer items first asked by ``viewer``, oldest first."""
        return [i for i in self.items if i.kind == "answer" and i.head.viewer == viewer]

    def push(self, item: Item, now: float) -> list[tuple[Item, str]]:
        """Queue ``item``; returns the items refused or dropped to make room, with the reason."""
        if item.kind == "answer" and len(self.pending_for(item.head.viewer)) >= self.settings.max_pending_per_viewer:
            return [(item, "viewer_limit")]
        self.items.append(item)
        dropped: list[tuple[Item, str]] = []
        while len(self.items) > self.settings.max_pending:
            ranks = self._viewer_ranks()
            worst = min(self.items, key=lambda i: (self.score(i, now, ranks), -i.seq))
            self.items.remove(worst)
            dropped.append((worst, "overflow"))
        return dropped

    def remove(self, item: Item) -> None:
        if item in self.items:
            self.items.remove(item)

    def expire(self, now: float) -> list[tuple[Item, Ask]]:
        """Take expired asks out of their items (and empty items out of the queue)."""
        expired: list[tuple[Item, Ask]] = []
        for item in list(self.items):
            keep = [a for a in item.asks if a.expires_at > now]
            if len(keep) != len(item.asks):
                expired.extend((item, a) for a in item.asks if a.expires_at <= now)
                item.asks[:] = keep
            if not item.asks:
                self.items.remove(item)
        return expired

    def next_expiry(self) -> float | None:
        return min((a.expires_at for i in self.items for a in i.asks), default=None)

    # -- priority ---------------------------------------------------------------------------------

    def served(self, viewers: set[str], now: float) -> None:
        """Record that ``viewers`` just got an answer (for fairness)."""
        for viewer in viewers:
            times = self._served[viewer]
            times.append(now)
            while len(times) > 8:
                times.popleft()

    def _recent_answers(self, viewer: str, now: float) -> int:
        times = self._served.get(viewer)
        if not times:
            return 0
        horizon = now - self.settings.fairness_window_s
        while times and times[0] < horizon:
            times.popleft()
        if not times:
            del self._served[viewer]
            return 0
        return len(times)

    def _viewer_ranks(self) -> dict[int, int]:
        """Per answer item (by ``seq``): how many older open items its first asker has."""
        counts: dict[str, int] = {}
        ranks: dict[int, int] = {}
        for item in sorted(self.items, key=lambda i: i.seq):
            if item.kind == "answer":
                viewer = item.head.viewer
                ranks[item.seq] = counts.get(viewer, 0)
                counts[viewer] = ranks[item.seq] + 1
        return ranks

    def penalty(self, item: Item, now: float, ranks: dict[int, int] | None = None) -> float:
        if item.kind != "answer":
            return 0.0
        rank = (ranks if ranks is not None else self._viewer_ranks()).get(item.seq, 0)
        head = item.head.viewer
        return self.settings.fairness_penalty * min(
            self._recent_answers(v, now) + (rank if v == head else 0) for v in item.viewers)

    def score(self, item: Item, now: float, ranks: dict[int, int] | None = None) -> float:
        s = self.settings
        viewers = max(1, len(item.viewers))
        if item.kind == "thanks":  # thank-yous fill quiet moments; they never outgrow a question
            return s.weight(item.weight_key)
        return (s.weight(item.weight_key) + s.popularity_boost * math.log2(viewers)
                + s.ageing_per_s * max(0.0, now - item.oldest) - self.penalty(item, now, ranks))

    def ranked(self, now: float) -> list[tuple[float, Item]]:
        """Ready items, best first: ``(score, item)``."""
        ranks = self._viewer_ranks()
        ready = [(self.score(i, now, ranks), i) for i in self.items
                 if i.state == "pending" and i.ready_at <= now and i.asks]
        ready.sort(key=lambda pair: (-pair[0], pair[1].seq))
        return ready

    def best(self, now: float, accept: Callable[[Item, int], bool] = lambda item, rank: True) -> Item | None:
        """The best ready item that ``accept(item, rank)`` agrees to; ``rank`` is how many ready items
        are better (the voice would say them first)."""
        for rank, (_, item) in enumerate(self.ranked(now)):
            if accept(item, rank):
                return item
        return None

    def next_ready(self, now: float) -> float | None:
        """When the earliest not-yet-ready item becomes ready."""
        return min((i.ready_at for i in self.items if i.ready_at > now), default=None)
