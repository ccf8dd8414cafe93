"""The same question from many viewers is answered once, to all of them.

Two comments are "the same question" when they have the same aggregation key (:func:`question_key`):

* catalog-fact intents (price, stock, promotion, purchase) — same intent, same product, same language:
  "1号多少钱", "这个什么价" (1号 on stage) and "几块?" are one question;
* shipping — same intent and language (the shop's policy does not depend on the product);
* spec, other and chit-chat — additionally the same compact text (two different spec questions about
  one product need two answers; an exact repeat does not);
* complaints are never merged across viewers (each is someone's own problem).

A new ask joins the open item with its key (queued, or being answered right now: it is then included
in that reply's ``answers``). If the key was answered within ``recent_s`` after the reply *ended*, the
ask is settled by that reply (outcome ``aggregated``, reason ``answered_recently``): the host does not
repeat a price it said seconds ago because a laggy viewer asked again. A voice answer is heard on every
platform the room is streamed to; a chat answer was posted only to the chats of its askers' platforms
(:attr:`ReplyRef.platforms`), so it settles later asks from those platforms only.
"""

from __future__ import annotations

from dataclasses import dataclass

from plugins.triage.intent import Intent
from plugins.triage.normalize import NormalizedText
from plugins.triage.queue import Item

__all__ = ["ReplyRef", "Aggregator", "question_key", "thanks_key"]

_BY_PRODUCT = frozenset({Intent.PRICE, Intent.STOCK, Intent.PROMOTION, Intent.PURCHASE})


def question_key(intent: str, sku: str | None, locale: str, text: NormalizedText, viewer: str) -> tuple[str, ...]:
    """The aggregation key of a question (see the module docstring)."""
    if intent in _BY_PRODUCT:
        return ("answer", intent, sku or "", locale)
    if intent == Intent.SHIPPING:
        return ("answer", intent, "", locale)
    if intent == Intent.COMPLAINT:
        return ("answer", intent, sku or "", locale, "viewer:" + viewer)
    return ("answer", intent, sku or "", locale, text.compact)


def thanks_key(category: str, locale: str) -> tuple[str, ...]:
    return ("thanks", category, locale)


@dataclass(frozen=True, slots=True)
class ReplyRef:
    """A published reply, as later asks refer to it: its event id, its index in the room's reply
    log, when it ended (voice: start + speech time; chat: when posted) and where it reached viewers:
    ``platforms`` None for a voice reply (heard on every platform), else the platforms whose chat it was
    posted to."""

    reply_id: str
    index: int
    ends_at: float
    platforms: frozenset[str] | None = None


class Aggregator:
    """Open items by key, and the last reply per key (and per platform, for chat replies) for
    ``recent_s`` seconds."""

    def __init__(self, recent_s: float) -> None:
        self.recent_s = recent_s
        self._open: dict[tuple[str, ...], Item] = {}
        # (key, platform) -> reply; platform None for a voice reply, heard on every platform
        self._recent: dict[tuple[tuple[str, ...], str | None], ReplyRef] = {}

    def open_item(self, key: tuple[str, ...]) -> Item | None:
        """The queued or in-flight item with ``key``, if any."""
        item = self._open.get(key)
        if item is not None and item.state == "done":
            del self._open[key]
            return None
        return item

    def track(self, item: Item) -> None:
        self._open[item.key] = item

    def recent(self, key: tuple[str, ...], now: float, platform: str = "") -> ReplyRef | None:
        """The reply that answered ``key`` for a viewer on ``platform`` and ended at most ``recent_s``
        ago: a voice reply, or a chat reply posted to ``platform``'s chat."""
        found = None
        for slot in ((key, None), (key, platform)):
            ref = self._recent.get(slot)
            if ref is None:
                continue
            if now - ref.ends_at > self.recent_s:
                del self._recent[slot]
            elif found is None or ref.ends_at > found.ends_at:
                found = ref
        return found

    def close(self, item: Item, ref: ReplyRef | None) -> None:
        """``item`` is settled (answered: ``ref``; blocked, expired or dropped: None)."""
        item.state = "done"
        if self._open.get(item.key) is item:
            del self._open[item.key]
        if ref is not None and item.kind == "answer":
            for platform in (None,) if ref.platforms is None else ref.platforms:
                self._recent[(item.key, platform)] = ref

    def prune(self, now: float) -> None:
        """Forget replies older than the window (keeps the table small in a long show)."""
        stale = [k for k, ref in self._recent.items() if now - ref.ends_at > self.recent_s]
        for key in stale:
            del self._recent[key]
