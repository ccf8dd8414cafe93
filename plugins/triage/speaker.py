"""Turning one queue item into one reviewed, paced :class:`hub.events.Reply`.

For an answer: build an :class:`hub.answers.AnswerRequest`, stream the answer chain sentence by sentence,
and pass every sentence through :func:`hub.review.review_output` as it arrives (blocked sentences are not
said; rewritten ones are said as rewritten). Sentences stop once the line would exceed ``max_answer_s`` of
speech (voice) or ``max_chat_chars`` (chat): a live answer is short. If review let nothing through and
the answer came from an LLM, the catalog backend is asked once more, since its templates state only
catalog figures. For a thank-you: the batched line, reviewed the same way.

Just before publishing, asks that expired while the answer was being written are taken out (dropped,
``expired``): nothing is answered late. The whole composition runs inside ``busy(clock)`` so a simulated
clock counts its real duration (LLM latency shows in a fast replay).
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from prometheus_client import Counter

from hub.answers import AnswerRequest
from hub.clock import busy
from hub.events import HUB_PLATFORM, Reply
from hub.review import ReviewContext, review_output
from plugins.triage.aggregate import ReplyRef
from plugins.triage.queue import Item
from plugins.triage.records import Decision, ReplyRecord
from plugins.triage.thanks import safe_name, thanks_line

if TYPE_CHECKING:
    from plugins.triage.engine import RoomEngine

log = logging.getLogger("livehub.triage")


def _joiner(locale: str) -> str:
    return "" if locale.lower().startswith("zh") else " "


class Speaker:
    """Composes, reviews and publishes replies for one :class:`RoomEngine`."""

    def __init__(self, engine: RoomEngine) -> None:
        self.engine = engine

    # -- building the request -------------------------------------------------------------------

    def request_for(self, item: Item) -> AnswerRequest:
        engine = self.engine
        catalog = engine.hub.catalog()
        product = catalog.by_sku(item.sku) if catalog is not None and item.sku else None
        stage = catalog.by_sku(engine.stage_sku) if catalog is not None and engine.stage_sku else None
        head = item.head
        names = [n for n in (safe_name(a.name, engine.spam, engine.settings.name_max_chars)
                             for a in item.asks[:10]) if n]
        return AnswerRequest(
            question=head.text.text if head.text is not None else "", intent=item.intent,
            locale=item.locale, products=[product] if product is not None else [], stage_product=stage,
            shop=catalog.shop if catalog is not None else None,
            viewer_history=engine.history_of(head.viewer), recent_answers=engine.log.recent_texts(3),
            asked_by=list(dict.fromkeys(names))[:3], room=engine.room)

    def context_for(self, item: Item, channel: str, source: str) -> ReviewContext:
        engine = self.engine
        return ReviewContext(
            channel=channel, kind=item.kind, locale=item.locale, platform=engine.platform, room=engine.room,
            source=source, catalog=engine.hub.catalog(), stage_sku=engine.stage_sku,
            skus=[item.sku] if item.sku else [],
            viewer_texts=[a.text.raw for a in item.asks[:20] if a.text is not None] + [a.name for a in item.asks[:20]])

    # -- composing ------------------------------------------------------------------------------

    def _fits(self, kept: list[str], sentence: str, item: Item, channel: str) -> bool:
        if not kept:
            return True
        s = self.engine.settings
        text = _joiner(item.locale).join([*kept, sentence])
        if channel == "chat":
            return len(text) <= s.max_chat_chars
        return self.engine.budget.duration(text, item.locale) <= s.max_answer_s

    async def _answer(self, item: Item, channel: str, names: list[str] | None) -> tuple[list[str], str, list[str]]:
        """Stream one chain's answer through review: ``(kept sentences, backend, block reasons)``."""
        chain = self.engine.service.chain_for(names)
        request = self.request_for(item)
        kept: list[str] = []
        reasons: list[str] = []
        backend = ""
        async with contextlib.aclosing(chain.answer(request)) as chunks:
            async for chunk in chunks:
                backend = chunk.backend or backend
                if chunk.final or not chunk.text:
                    continue
                if not self._fits(kept, chunk.text, item, channel):
                    break
                outcome = await review_output(self.engine.hub, chunk.text, self.context_for(item, channel, backend))
                if outcome.text:
                    kept.append(outcome.text)
                reasons.extend(outcome.reasons if outcome.blocked else [])
        return kept, backend, reasons

    async def compose(self, item: Item, channel: str) -> tuple[list[str], str, list[str]]:
        if item.kind == "thanks":
            s = self.engine.settings
            line = thanks_line(item.intent, item.asks, item.locale, spam=self.engine.spam,
                               max_names=s.thanks_names, name_max_chars=s.name_max_chars)
            outcome = await review_output(self.engine.hub, line, self.context_for(item, channel, "template"))
            return ([outcome.text] if outcome.text else []), "template", list(outcome.reasons)
        first = ["catalog"] if item.intent in self.engine.settings.catalog_intents else None
        kept, backend, reasons = await self._answer(item, channel, first)
        if not kept and backend != "catalog":
            log.info("room %s: nothing of the %s answer passed review; asking the catalog", self.engine.room,
                     backend or "chain")
            kept, backend, more = await self._answer(item, channel, ["catalog"])
            reasons.extend(more)
        return kept, backend, reasons

    # -- publishing -----------------------------------------------------------------------------

    async def respond(self, item: Item, channel: str) -> ReplyRecord | None:
        """Say ``item`` on ``channel``; settle every ask it carries. Returns the reply, if any."""
        engine = self.engine
        engine.take(item)
        try:
            with busy(engine.clock):
                kept, backend, reasons = await self.compose(item, channel)
                return await self._publish(item, channel, kept, backend, reasons)
        except Exception as exc:
            engine.hub.report_error(exc, f"triage:{engine.room}:respond")
            engine.settle(item, None, "blocked", f"error: {type(exc).__name__}")
            return None

    async def _publish(self, item: Item, channel: str, kept: list[str], backend: str,
                       reasons: list[str]) -> ReplyRecord | None:
        engine = self.engine
        now = engine.clock.now()
        engine.expire_asks(item, now)
        if not item.asks:
            engine.settle(item, None, "dropped", "expired")
            return None
        if not kept:
            engine.settle(item, None, "blocked", "review: " + (reasons[0] if reasons else "nothing passed"))
            return None
        text = _joiner(item.locale).join(kept)
        duration = engine.budget.duration(text, item.locale) if channel == "voice" else 0.0
        if channel == "voice":
            start = engine.budget.voice.reserve(now, duration)
            engine.budget.observe(duration)
        else:
            start = now
            engine.budget.chat.record(now)
        index = engine.log.next_index()
        reply = Reply(platform=engine.platform or HUB_PLATFORM, room=engine.room, text=text, kind=item.kind,
                      channel=channel, answers=item.event_ids(), source=backend)
        record = ReplyRecord(reply=reply, index=index, at=start, duration=duration, intent=item.intent,
                             sku=item.sku, backend=backend, reasons=tuple(reasons))
        engine.settle(item, ReplyRef(reply.id, index, start + duration), "answered", "")
        engine.hub.metric(Counter, "livehub_triage_replies", "Replies said or posted by the room engine",
                          ["channel", "kind"]).labels(channel, item.kind).inc()
        engine.log.replied(engine.room, record)
        await engine.hub.publish(reply)
        return record


def decision_for(item: Item, position: int, ref: ReplyRef | None, outcome: str, reason: str,
                 at: float) -> Decision:
    """The decision of the ask at ``position`` in a settled item (the first answered, the rest joined)."""
    ask = item.asks[position]
    if outcome != "answered":
        return Decision(ask.event_id, outcome, reason, None, at)
    if position == 0:
        return Decision(ask.event_id, "answered", "thanks" if item.kind == "thanks" else item.intent,
                        ref.index if ref else None, at)
    why = "thanks_batch" if item.kind == "thanks" else "same_question"
    return Decision(ask.event_id, "aggregated", why, ref.index if ref else None, at)

