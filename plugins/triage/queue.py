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
    """One viewer event an item settles: its id, who, what (normalised), and when on the room clock;
    where it came from (``platform`` and the platform's ``message_id``), so the reply can go back there."""

    event_id: str
    viewer: str
    name: str
    at: float
    expires_at: float
    text: NormalizedText | None = None
    detail: str = ""  # gift name and count, for thank-you lines
    platform: str = ""
    message_id: str | None = None


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
    voice_only: bool = False  # an asker's platform cannot show a chat reply: the voice answers this item
    claim: bool = False  # the asks state a figure of the fact (bait to correct; see hub.claims)
    followup: bool = False  # asked after the answer began: a short line naming the askers
    unresolved: bool = False  # it names a product the catalog does not know: ask which link is meant
    likely: tuple[str, ...] = ()  # unresolved: the skus it may mean, best first ("您问的是4号羊毛袜吗？")
    speaking_since: float | None = None  # when its voice line began (set once a sentence is published)
    approved: int = 0  # > 0: an operator asked for it next (the n-th approval); it goes before the rest
    state: str = "pending"  # pending | in_flight | done
    seq: int = field(default_factory=lambda: next(_seq))
    _seen: tuple[int, Ask | None, set[str]] | None = field(default=None, init=False, repr=False)

    @property
    def id(self) -> str:
        """A stable id for operators (the console's approve, skip and pin), unique in the process."""
        return str(self.seq)

    @property
    def weight_key(self) -> str:
        return f"thanks:{self.intent}" if self.kind == "thanks" else self.intent

    @property
    def oldest(self) -> float:
        """When the first ask came: asks are appended in arrival order on a monotonic clock."""
        return self.asks[0].at

    @property
    def viewers(self) -> set[str]:
        """Everyone who asked (do not modify the set). A flood item holds thousands of asks and the queue
        scores it often, so the set is kept up to date as asks are appended instead of rebuilt each time;
        it is rebuilt only after asks were taken out (expiry)."""
        asks, seen = self.asks, self._seen
        if seen is not None:
            count, last, viewers = seen
            if count and count <= len(asks) and asks[count - 1] is last:
                if count < len(asks):
                    viewers.update(a.viewer for a in asks[count:])
                    self._seen = (len(asks), asks[-1], viewers)
                return viewers
        viewers = {a.viewer for a in asks}
        self._seen = (len(asks), asks[-1] if asks else None, viewers)
        return viewers

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
        # The same items as a set: remove() is called for every settled item, queued or not (an item
        # dropped on arrival in a flood), and a miss in the list costs a comparison with every item.
        self._queued: set[Item] = set()
        self._served: dict[str, deque[float]] = defaultdict(deque)
        self._floor: float | None = None  # see push()
        self._served_limit = 1024  # see served()

    def __len__(self) -> int:
        return len(self.items)

    def pending_for(self, viewer: str) -> list[Item]:
        """Open answer items first asked by ``viewer``, oldest first."""
        return [i for i in self.items if i.kind == "answer" and i.head.viewer == viewer]

    def push(self, item: Item, now: float) -> list[tuple[Item, str]]:
        """Queue ``item``; returns the items refused or dropped to make room, with the reason.

        In a flood the queue is full and nearly every new item overflows it, so finding the least urgent
        item must not cost a scan of the queue each time. A scan remembers the lowest score left in the
        queue (``_floor``). Until asks expire or a viewer is served, no queued item's score can fall (ageing
        and new askers only raise scores, items leaving only lower ranks), so a new item scoring at or
        below that floor is the least urgent of all (ties drop the newest) and is dropped at once.
        """
        if item.kind == "answer" and len(self.pending_for(item.head.viewer)) >= self.settings.max_pending_per_viewer:
            return [(item, "viewer_limit")]
        self.items.append(item)
        self._queued.add(item)
        dropped: list[tuple[Item, str]] = []
        while len(self.items) > self.settings.max_pending:
            floor = self._floor
            if floor is not None and self.items[-1] is item and len(self.items) == self.settings.max_pending + 1:
                rank = {item.seq: len(self.pending_for(item.head.viewer)) - 1} if item.kind == "answer" else {}
                if self.score(item, now, rank) <= floor:
                    self.items.pop()
                    self._queued.discard(item)
                    dropped.append((item, "overflow"))
                    continue
            ranks = self._viewer_ranks()
            scored = sorted((self.score(i, now, ranks), -i.seq, n) for n, i in enumerate(self.items))
            worst = self.items[scored[0][2]]
            self._floor = scored[1][0] if len(scored) > 1 else None
            self.items.remove(worst)
            self._queued.discard(worst)
            dropped.append((worst, "overflow"))
        if not dropped:
            self._floor = None  # the new item was not scored: it may be below the floor
        return dropped

    def remove(self, item: Item) -> None:
        if item in self._queued:
            self._queued.discard(item)
            self.items.remove(item)

    def expire(self, now: float) -> list[tuple[Item, Ask]]:
        """Take expired asks out of their items (and empty items out of the queue)."""
        expired: list[tuple[Item, Ask]] = []
        for item in list(self.items):
            # The asks of one item share its intent, hence their expiry time, and arrive in order: the
            # first to expire is the first ask. Checking it keeps housekeeping cheap with flood items.
            if item.asks and item.asks[0].expires_at > now:
                continue
            self._floor = None
            keep = [a for a in item.asks if a.expires_at > now]
            if len(keep) != len(item.asks):
                expired.extend((item, a) for a in item.asks if a.expires_at <= now)
                item.asks[:] = keep
            if not item.asks:
                self.items.remove(item)
                self._queued.discard(item)
        return expired

    def next_expiry(self) -> float | None:
        return min((i.asks[0].expires_at for i in self.items if i.asks), default=None)

    # -- priority ---------------------------------------------------------------------------------

    def served(self, viewers: set[str], now: float) -> None:
        """Record that ``viewers`` just got an answer (for fairness)."""
        self._floor = None  # fairness penalties rise: scores may fall (see push)
        for viewer in viewers:
            times = self._served[viewer]
            times.append(now)
            while len(times) > 8:
                times.popleft()
        if len(self._served) > self._served_limit:
            # An answered flood serves thousands of viewers who may never ask again: forget everyone
            # served before the fairness window (they count 0 anyway), so a days-long show stays small.
            horizon = now - self.settings.fairness_window_s
            for viewer in [v for v, times in self._served.items() if not times or times[-1] < horizon]:
                del self._served[viewer]
            self._served_limit = max(1024, 2 * len(self._served))

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
        least: int | None = None
        for viewer in item.viewers:  # the least-served asker; nobody is less served than 0 (stop there)
            value = self._recent_answers(viewer, now) + (rank if viewer == head else 0)
            if least is None or value < least:
                least = value
                if not least:
                    break
        return self.settings.fairness_penalty * (least or 0)

    def score(self, item: Item, now: float, ranks: dict[int, int] | None = None) -> float:
        s = self.settings
        if item.kind == "thanks":  # thank-yous fill quiet moments; they never outgrow a question
            return s.weight(item.weight_key)
        viewers = max(1, len(item.viewers))
        return (s.weight(item.weight_key) + s.popularity_boost * math.log2(viewers)
                + s.ageing_per_s * max(0.0, now - item.oldest) - self.penalty(item, now, ranks))

    def ranked(self, now: float) -> list[tuple[float, Item]]:
        """Ready items, best first: ``(score, item)``; items an operator approved come first, in the
        order they were approved."""
        ranks = self._viewer_ranks()
        ready = [(self.score(i, now, ranks), i) for i in self.items
                 if i.state == "pending" and i.ready_at <= now and i.asks]
        ready.sort(key=lambda pair: (pair[1].approved == 0, pair[1].approved, -pair[0], pair[1].seq))
        return ready

    def by_id(self, item_id: str) -> Item | None:
        """The pending item whose :attr:`Item.id` is ``item_id``."""
        return next((i for i in self.items if i.id == item_id), None)

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
