"""Turning one queue item into one reviewed, paced :class:`hub.events.Reply`.

For an answer: build an :class:`hub.answers.AnswerRequest`, stream the answer chain sentence by sentence,
and pass every sentence through :func:`hub.review.review_output` as it arrives (blocked sentences are not
said; rewritten ones are said as rewritten). A voice answer is heard while it is written: each reviewed
sentence is published at once as a :class:`hub.events.ReplySentence` (the room bridge starts speaking at
the first), and the :class:`~hub.events.Reply` with the whole text follows and ends the line. An LLM's
answer to an intent that must be grounded (below) is held until it has stated the fact asked for; once a
sentence has been published the answer is committed: no fallback replaces it. Sentences stop once the line would exceed ``max_answer_s`` of
speech (voice) or ``max_chat_chars`` (chat): a live answer is short. For a thank-you: the batched line,
reviewed the same way. Every Reply names the product it is about (``sku``) and the viewers it answers or
thanks (``askers``: platform, user and message id; :func:`askers_of`), so a platform connector sends a
chat reply back where it was asked and nobody needs the engine's state to know what a line was about.

Whether an answer came from an LLM is what the chain's backend that wrote it says (``uses_llm``), never
its name. Such an answer is replaced by the catalog backend's (whose templates state only catalog
figures) when review let nothing of it through, or when the intent is one of ``grounded_intents`` and
what review let through does not state the fact asked for (:mod:`plugins.triage.grounding`): a viewer
who asked the price hears the price. A grounded reply is counted
(``livehub_triage_grounding_fallbacks_total{intent}``) and its decision reads ``price (grounded: catalog)``.

An answer is given until its first question is about to expire (``FALLBACK_MARGIN_S`` before): a slow
LLM then gives way to the catalog, so the viewer still gets an answer in time. Just before publishing,
asks that expired while the answer was being written are taken out (dropped, ``expired``): nothing is
answered late. The whole composition runs inside ``busy(clock)`` so a simulated
clock counts its real duration (LLM latency shows in a fast replay).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import Counter

from hub.answers import AnswerRequest
from hub.claims import claim_verdict
from hub.clock import busy
from hub.decisions import Decision, ReplyRecord
from hub.events import HUB_PLATFORM, Asker, Reply, ReplySentence, User, new_event_id
from hub.review import ReviewContext, review_output
from plugins.triage.aggregate import ReplyRef
from plugins.triage.grounding import states_fact
from plugins.triage.queue import Item
from plugins.triage.thanks import safe_name, thanks_line

if TYPE_CHECKING:
    from plugins.triage.engine import RoomEngine

log = logging.getLogger("livehub.triage")

FALLBACK_MARGIN_S = 1.0  # an answer still being written this close to its question's expiry gives way
FINAL_ONLY: tuple[str, ...] = ()  # a chain of the final backends alone: the catalog's answers
MAX_ASKERS = 50  # askers a reply names (a flood item holds thousands), plus the first of every other platform
THANKED_ASKERS = frozenset({"gift", "like", "follow"})  # thank-yous that name their viewers as askers
ANONYMOUS = ("anonymous", "")  # (viewer, name) of an event without a user (RoomEngine._who)


def _joiner(locale: str) -> str:
    return "" if locale.lower().startswith("zh") else " "


@dataclass
class Composed:
    """What one chain answered, after review: the sentences to say and where they came from."""

    sentences: list[str]
    backend: str  # the backend that wrote them ("" if none could; "template" for thank-yous)
    reasons: list[str] = field(default_factory=list)  # why lines were blocked
    from_llm: bool = True  # written by a backend that uses an LLM (or by no known backend)
    request: AnswerRequest | None = None
    note: str = ""  # added to the decision reason: "grounded: catalog"


@dataclass
class SentenceStream:
    """A voice answer's sentences published ahead of its Reply: what went out and the voice time booked."""

    reply_id: str = field(default_factory=new_event_id)
    sentences: list[str] = field(default_factory=list)  # published, in order
    backend: str = ""
    start: float | None = None  # when the voice budget booked the line (None: nothing published yet)
    duration: float = 0.0

    @property
    def started(self) -> bool:
        return self.start is not None


class Speaker:
    """Composes, reviews and publishes replies for one :class:`RoomEngine`."""

    def __init__(self, engine: RoomEngine) -> None:
        self.engine = engine

    # -- building the request -------------------------------------------------------------------

    def request_for(self, item: Item) -> AnswerRequest:
        engine = self.engine
        catalog = engine.hub.catalog(engine.room)
        product = catalog.by_sku(item.sku) if catalog is not None and item.sku else None
        stage = catalog.by_sku(engine.stage_sku) if catalog is not None and engine.stage_sku else None
        head = item.head
        names = [n for n in (safe_name(a.name, engine.spam, engine.settings.name_max_chars)
                             for a in item.asks[:10]) if n]
        question = head.text.text if head.text is not None else ""
        claim = ""
        if item.claim:
            claim = claim_verdict(question, item.intent, *(
                (product.price, product.promo_price, product.stock) if product is not None else (None,) * 3)) \
                or "asked"
        return AnswerRequest(
            question=question, intent=item.intent, claim=claim, unresolved=item.unresolved,
            likely=[p for p in (catalog.by_sku(s) for s in item.likely) if p is not None] if catalog else [],
            locale=item.locale, products=[product] if product is not None else [], stage_product=stage,
            shop=catalog.shop if catalog is not None else None,
            viewer_history=engine.history_of(head.viewer), recent_answers=engine.log.recent_texts(3),
            asked_by=list(dict.fromkeys(names))[:3], room=engine.room)

    def context_for(self, item: Item, channel: str, source: str) -> ReviewContext:
        engine = self.engine
        return ReviewContext(
            channel=channel, kind=item.kind, locale=item.locale, platform=engine.platform, room=engine.room,
            source=source, catalog=engine.hub.catalog(engine.room), stage_sku=engine.stage_sku,
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

    async def _answer(self, item: Item, channel: str, names: Sequence[str] | None,
                      within: float | None = None, stream: SentenceStream | None = None) -> Composed:
        """Stream one chain's answer through review, waiting at most ``within`` seconds for sentences;
        with ``stream``, publish the reviewed sentences as soon as they may be heard."""
        chain = self.engine.service.chain_for(names)
        uses_llm = {b.name: b.uses_llm for b in chain.backends}
        request = self.request_for(item)
        kept: list[str] = []
        reasons: list[str] = []
        backend = ""
        deadline = None if within is None else asyncio.get_running_loop().time() + within
        async with contextlib.aclosing(chain.answer(request)) as chunks:
            while True:
                try:
                    async with asyncio.timeout_at(deadline):  # only the wait: a review is never cut short
                        chunk = await anext(chunks)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    reasons.append(f"no answer within {max(within or 0.0, 0.0):.1f} s, before the question expires")
                    break
                backend = chunk.backend or backend
                if chunk.final or not chunk.text:
                    continue
                if not self._fits(kept, chunk.text, item, channel):
                    break
                outcome = await review_output(self.engine.hub, chunk.text, self.context_for(item, channel, backend))
                if outcome.text:
                    kept.append(outcome.text)
                    if stream is not None and not await self._stream(stream, item, kept, backend,
                                                                     uses_llm.get(backend, True), request):
                        break  # every asker left while it was written: say nothing
                reasons.extend(outcome.reasons if outcome.blocked else [])
        return Composed(kept, backend, reasons, uses_llm.get(backend, True), request)

    async def _stream(self, stream: SentenceStream, item: Item, kept: list[str], backend: str, from_llm: bool,
                      request: AnswerRequest) -> bool:
        """Publish the sentences of ``kept`` not yet published, if the answer may be heard now (an LLM's
        answer to a grounded intent once it states the fact). False: no asker is left, stop writing."""
        engine = self.engine
        joiner = _joiner(item.locale)
        if not stream.started:
            if (from_llm and item.intent in engine.settings.grounded_intents
                    and not states_fact(joiner.join(kept), item.intent, request.product, request.shop)):
                return True  # held until it states the fact, or replaced by the catalog's answer
            now = engine.clock.now()
            engine.expire_asks(item, now)
            if not item.asks:
                return False
            stream.backend = backend
            stream.duration = engine.budget.duration(joiner.join(kept), item.locale)
            stream.start = engine.budget.voice.reserve(now, stream.duration)
            item.speaking_since = stream.start  # who asks from now on did not hear it from the start
        else:
            duration = engine.budget.duration(joiner.join(kept), item.locale)
            engine.budget.voice.extend(max(0.0, duration - stream.duration))
            stream.duration = max(duration, stream.duration)
        for text in kept[len(stream.sentences):]:
            await engine.hub.publish(ReplySentence(
                platform=engine.platform or HUB_PLATFORM, room=engine.room, reply=stream.reply_id,
                index=len(stream.sentences), text=text, kind=item.kind, channel="voice",
                answers=item.event_ids(), source=backend, sku=item.sku))
            stream.sentences.append(text)
        return True

    def _time_left(self, item: Item) -> float:
        """Seconds until the first ask of ``item`` expires, less the time to fall back and publish."""
        first = min((a.expires_at for a in item.asks), default=self.engine.clock.now())
        return first - self.engine.clock.now() - FALLBACK_MARGIN_S

    def _grounded(self, item: Item, answer: Composed) -> bool:
        """The answer states the fact its intent asks for (always, for intents not to be grounded)."""
        if item.intent not in self.engine.settings.grounded_intents or answer.request is None:
            return True
        text = _joiner(item.locale).join(answer.sentences)
        return states_fact(text, item.intent, answer.request.product, answer.request.shop)

    async def compose(self, item: Item, channel: str, stream: SentenceStream | None = None) -> Composed:
        answer = await self._compose(item, channel, stream)
        if item.followup and item.kind == "answer" and channel == "chat" and answer.sentences:
            answer = await self._addressed(item, channel, answer)
        return answer

    async def _addressed(self, item: Item, channel: str, answer: Composed) -> Composed:
        """A follow-up in chat: its askers named, then the answer's first sentence (the fact):
        "@小林 @大周 2号链接茶具套装直播间价139元。" The whole line is reviewed again (names are viewers' text);
        if review refuses it, the fact alone is posted."""
        settings = self.engine.settings
        names = list(dict.fromkeys(n for n in (safe_name(a.name, self.engine.spam, settings.name_max_chars)
                                               for a in item.asks) if n))
        shown = names[:settings.follow_up_names]
        others = len({a.viewer for a in item.asks}) - len(shown)
        prefix = " ".join("@" + name for name in shown)
        if others > 0 and prefix:
            prefix += f" 等{others}位" if item.locale.lower().startswith("zh") else f" and {others} more"
        if not prefix:
            answer.sentences = answer.sentences[:1]
            return answer
        line = f"{prefix} {answer.sentences[0]}"
        outcome = await review_output(self.engine.hub, line, self.context_for(item, channel, answer.backend))
        answer.sentences = [outcome.text] if outcome.text and not outcome.blocked else answer.sentences[:1]
        answer.note = answer.note or "follow-up"
        return answer

    async def _compose(self, item: Item, channel: str, stream: SentenceStream | None = None) -> Composed:
        if item.kind == "thanks":
            s = self.engine.settings
            line = thanks_line(item.intent, item.asks, item.locale, spam=self.engine.spam,
                               max_names=s.thanks_names, name_max_chars=s.name_max_chars)
            outcome = await review_output(self.engine.hub, line, self.context_for(item, channel, "template"))
            return Composed([outcome.text] if outcome.text else [], "template", list(outcome.reasons), False)
        first = FINAL_ONLY if item.intent in self.engine.settings.catalog_intents else None
        answer = await self._answer(item, channel, first, within=self._time_left(item), stream=stream)
        if not answer.from_llm or (stream is not None and stream.started):
            return answer
        if not answer.sentences:
            log.info("room %s: nothing of the %s answer passed review; asking the catalog", self.engine.room,
                     answer.backend or "chain")
            fallback = await self._answer(item, channel, FINAL_ONLY, stream=stream)
            fallback.reasons[:0] = answer.reasons
            return fallback
        if self._grounded(item, answer):
            return answer
        fallback = await self._answer(item, channel, FINAL_ONLY, stream=stream)
        if not fallback.sentences:  # the catalog could not say it either: the LLM's reviewed answer stands
            return answer
        log.info("room %s: the %s answer to a %s question did not state it; saying the catalog's",
                 self.engine.room, answer.backend, item.intent)
        self.engine.hub.metric(Counter, "livehub_triage_grounding_fallbacks",
                               "LLM answers replaced by the catalog's because they did not state the asked fact",
                               ["intent"]).labels(item.intent).inc()
        fallback.note = f"grounded: {fallback.backend}"
        return fallback

    # -- publishing -----------------------------------------------------------------------------

    async def respond(self, item: Item, channel: str) -> ReplyRecord | None:
        """Say ``item`` on ``channel``; settle every ask it carries. Returns the reply, if any."""
        engine = self.engine
        engine.take(item)
        stream = SentenceStream() if channel == "voice" and item.kind == "answer" else None
        try:
            with busy(engine.clock):
                return await self._publish(item, channel, await self.compose(item, channel, stream), stream)
        except Exception as exc:
            engine.hub.report_error(exc, f"triage:{engine.room}:respond")
            if stream is not None and stream.started:  # part of it is being said: the Reply ends that line
                with contextlib.suppress(Exception):
                    return await self._publish(item, channel, Composed(stream.sentences, stream.backend), stream)
            engine.settle(item, None, "blocked", f"error: {type(exc).__name__}")
            return None

    async def _publish(self, item: Item, channel: str, answer: Composed,
                       stream: SentenceStream | None = None) -> ReplyRecord | None:
        engine = self.engine
        kept, backend, reasons = answer.sentences, answer.backend, answer.reasons
        now = engine.clock.now()
        streamed = stream is not None and stream.started
        if streamed:  # already being heard: what was published is what is said, asks are not late
            kept, backend = stream.sentences, stream.backend
        else:
            engine.expire_asks(item, now)
        if not item.asks:
            engine.settle(item, None, "dropped", "expired")
            return None
        if not kept:
            engine.settle(item, None, "blocked", "review: " + (reasons[0] if reasons else "nothing passed"))
            return None
        text = _joiner(item.locale).join(kept)
        duration = engine.budget.duration(text, item.locale) if channel == "voice" else 0.0
        if streamed:
            start, duration = stream.start, stream.duration
            engine.budget.observe(duration)
        elif channel == "voice":
            start = engine.budget.voice.reserve(now, duration)
            engine.budget.observe(duration)
        else:
            start = now
            engine.budget.chat.record(now)
        index = engine.log.next_index()
        reply = Reply(platform=engine.platform or HUB_PLATFORM, room=engine.room, text=text, kind=item.kind,
                      channel=channel, answers=item.event_ids(), source=backend, sku=item.sku,
                      askers=askers_of(item))
        if stream is not None:
            reply.id = stream.reply_id
        record = ReplyRecord(reply=reply, index=index, at=start, duration=duration, intent=item.intent,
                             sku=item.sku, backend=backend, reasons=tuple(reasons))
        reason = f"{item.intent} ({answer.note})" if answer.note else ""
        # a voice reply is heard on every platform; a chat reply reaches the chats of its askers' platforms
        # (or the platform it names when it names no asker): a later ask elsewhere is not settled by it
        reached = None if channel == "voice" else frozenset({a.platform for a in reply.askers} or {reply.platform})
        engine.settle(item, ReplyRef(reply.id, index, start + duration, reached), "answered", reason)
        engine.hub.metric(Counter, "livehub_triage_replies", "Replies said or posted by the room engine",
                          ["channel", "kind"]).labels(channel, item.kind).inc()
        engine.log.replied(engine.room, record)
        await engine.hub.publish(reply)
        return record


def askers_of(item: Item) -> list[Asker]:
    """The viewers ``item`` answers, each once, in the order they asked: at most :data:`MAX_ASKERS`,
    plus the first asker of every platform not among them (so the reply goes back to every platform it
    was asked on). Those who commented, and for a thank-you the viewers thanked for a gift, like or
    follow (:data:`THANKED_ASKERS`; ``message_id`` that of their event, if any). Viewers who only
    entered, and events without a user, are not listed (a welcome mentions nobody)."""
    out: list[Asker] = []
    seen: set[tuple[str, str]] = set()
    platforms: set[str] = set()
    thanked = item.kind == "thanks" and item.intent in THANKED_ASKERS
    for ask in item.asks:
        if ask.text is None and (not thanked or (ask.viewer, ask.name) == ANONYMOUS):
            continue  # not a comment, nor a thanked viewer the platform named
        if (ask.platform, ask.viewer) in seen:
            continue
        if len(out) >= MAX_ASKERS and ask.platform in platforms:
            continue
        seen.add((ask.platform, ask.viewer))
        platforms.add(ask.platform)
        out.append(Asker(platform=ask.platform, user=User(id=ask.viewer, name=ask.name), message_id=ask.message_id))
    return out


def decision_for(item: Item, position: int, ref: ReplyRef | None, outcome: str, reason: str,
                 at: float) -> Decision:
    """The decision of the ask at ``position`` in a settled item (the first answered, the rest joined).

    The answered ask's reason is ``reason`` when given ("price (grounded: catalog)"), else the intent."""
    ask = item.asks[position]
    if outcome != "answered":
        return Decision(ask.event_id, outcome, reason, None, at)
    if position == 0:
        return Decision(ask.event_id, "answered", "thanks" if item.kind == "thanks" else (reason or item.intent),
                        ref.index if ref else None, at)
    why = "thanks_batch" if item.kind == "thanks" else "same_question"
    return Decision(ask.event_id, "aggregated", why, ref.index if ref else None, at)

