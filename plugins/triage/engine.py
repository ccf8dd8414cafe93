"""The room engine: one per room, turning that room's events into decisions and replies.

**Intake** (synchronous, from the bus): a comment is normalised, checked for spam, abuse and injection
(dropped), classified, resolved to a product and aggregated with the same question from other viewers
or queued; welcomes, follows, likes, gifts, orders and greeting comments join a thank-you batch; stage
changes move the product on stage.

**Speaking** (two loops, as hub tasks): the *voice* loop waits until the voice is free, takes the best
item and says it; the *chat* loop posts, within the platform's rate limit, the items the voice will not
reach soon. Where a reply goes:

* voice — normally: the whole room hears it, and live buyers watch rather than read;
* chat — when the voice backlog before the item is longer than ``chat_when_voice_wait_s`` (a price the
  voice would say in 20 s is worth more posted now), for intents in ``chat_intents`` (complaints: a
  written customer-service answer, not amplified on air), and for questions in another language than
  the room's (an English viewer in a Chinese show gets an English line in chat, the voice stays Chinese).

All times come from the engine's :class:`hub.clock.Clock`, so a replay on a simulated clock behaves as live.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from typing import TYPE_CHECKING, Any

from hub.clock import timer
from hub.counters import FastCounter
from hub.decisions import Decision, Question
from hub.events import HUB_PLATFORM, Event, StageChange, User
from hub.platform import voice_only_platforms
from plugins.triage.aggregate import Aggregator, ReplyRef, question_key, thanks_key
from plugins.triage.budget import SpeechBudget
from plugins.triage.intent import PRODUCT_INTENTS, Intent, detect_intent
from plugins.triage.normalize import NormalizedText, locale_for, normalize
from plugins.triage.products import ProductResolver
from plugins.triage.queue import Ask, AskQueue, Item
from plugins.triage.records import RoomLog
from plugins.triage.speaker import Speaker, decision_for
from plugins.triage.thanks import THANKS_FOR_EVENT

if TYPE_CHECKING:
    from plugins.triage.service import TriageService


class RoomEngine:
    """Triage, queue and speaking budget of one room (see the module docstring)."""

    def __init__(self, service: TriageService, room: str, platform: str = "") -> None:
        self.service, self.hub, self.settings = service, service.hub, service.settings
        self.clock, self.spam, self.locale = service.clock, service.spam, service.room_locale(room)
        # the platform the room's replies name by default: the first viewer platform seen, never the hub's own
        self.room, self.platform = room, (platform if platform != HUB_PLATFORM else "")
        s = self.settings
        self.queue = AskQueue(s)
        self.aggregator = Aggregator(s.recent_answer_s)
        self.budget = SpeechBudget(zh_chars_per_s=s.zh_chars_per_s, en_words_per_s=s.en_words_per_s,
                                   pause_s=s.sentence_pause_s, gap_s=s.voice_gap_s,
                                   chat_limit=s.chat_rate_limit if s.chat_enabled else 0,
                                   chat_window_s=s.chat_rate_window_s)
        self.log = RoomLog(on_decision=service.on_decision, on_reply=service.on_reply,  # the service's lists:
                           on_question=service.on_question)  # a listener added later sees what follows
        self.speaker = Speaker(self)
        self.stage_sku: str | None = None
        self.in_flight = 0
        self.comments = 0
        self.voice_item: Item | None = None  # what the voice is writing or saying now
        self._history: OrderedDict[str, deque[str]] = OrderedDict()
        self._resolver: ProductResolver | None = None
        self._wake: asyncio.Future[None] | None = None
        self._voice_only: tuple[float, frozenset[str]] = (-1.0, frozenset())  # (when read, platforms)
        self.tasks: list[asyncio.Task[Any]] = []
        # Metrics counted on every event, looked up once: hub.metric() and labels() cost microseconds.
        self._comments_counter: Any = None
        self._decision_counters: dict[str, Any] = {}

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self.tasks = [self.hub.create_task(self._voice_loop(), name=f"triage:{self.room}:voice")]
        if self.budget.chat.limit > 0:
            self.tasks.append(self.hub.create_task(self._chat_loop(), name=f"triage:{self.room}:chat"))

    async def stop(self) -> None:
        """Stop speaking (what is queued is left unsaid)."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []

    @property
    def idle(self) -> bool:
        """Nothing queued, nothing being written, and the voice has finished speaking."""
        return not self.queue.items and not self.in_flight and self.budget.voice.is_free(self.clock.now())

    # -- intake ---------------------------------------------------------------------------------

    def intake(self, event: Event) -> None:
        """Take one event of this room (never blocks, never raises for bad viewer input)."""
        now = self.clock.now()
        if isinstance(event, StageChange):
            self.stage_sku = event.sku
            self.decide(Decision(event.id, "ignored", "stage", at=now))
            return
        if not self.platform and event.platform != HUB_PLATFORM:
            self.platform = event.platform
        kind = event.type
        if kind == "comment":
            self._comment(event, now)
        elif kind == "order" and getattr(event, "status", "placed") == "refunded":
            self.decide(Decision(event.id, "ignored", "refunded", at=now))  # money returned: no thank-you
            return
        elif kind in THANKS_FOR_EVENT:
            detail = str(getattr(event, "value", None) or getattr(event, "count", "") or "")
            self._thanks(event, THANKS_FOR_EVENT[kind], now, detail=detail)
        elif kind == "stats":
            self.decide(Decision(event.id, "ignored", "stats", at=now))
            return
        else:
            return
        self._notify()

    def _comment(self, event: Any, now: float) -> None:
        if self._comments_counter is None:
            self._comments_counter = self.hub.metric(FastCounter, "livehub_triage_comments",
                                                     "Comments seen by the room engine")
        self._comments_counter.inc()
        self.comments += 1
        text = normalize(event.text)
        if text.empty:
            self.decide(Decision(event.id, "ignored", "empty", at=now))
            return
        reason = self.spam.check(text)
        if reason is not None:
            self.decide(Decision(event.id, "dropped", reason, at=now))
            return
        found = detect_intent(text)
        intent = found.intent
        if intent == Intent.GREETING:
            self._thanks(event, "enter", now, text=text)
            return
        if intent in (Intent.CHIT_CHAT, Intent.OTHER) and not found.question:
            self.decide(Decision(event.id, "ignored", "chitchat" if intent == Intent.CHIT_CHAT else
                                 "not_a_question", at=now))
            return
        ref = self.resolver().resolve(text, self.stage_sku, product_question=intent in PRODUCT_INTENTS)
        locale = locale_for(text.lang, self.locale)
        viewer, name = self._who(event)
        self.log.asked(self.room, Question(event.id, event.platform, event.user or User(viewer, name), intent.value,
                                           ref.sku, event.text, now))
        key = question_key(intent, ref.sku, locale, text, viewer)
        if found.claim:  # a figure to correct: its own answer, never "answered recently" by the plain fact
            key = (*key, "claim")
        unresolved = ref.source == "unknown_name"
        if unresolved:  # named a product the catalog does not know: ask which link, never the stage's
            key = (*key, "unknown:" + ref.phrase)
        ask = Ask(event.id, viewer, name, now, now + self.settings.expiry(intent), text,
                  platform=event.platform, message_id=event.message_id)
        self._remember(viewer, text.text)
        foreign = locale.split("-")[0] != self.locale.split("-")[0]
        prefer_chat = intent in self.settings.chat_intents or foreign
        self._join_or_queue(key, ask, now, lambda: Item(key, "answer", intent.value, locale, ref.sku,
                                                        prefer_chat=prefer_chat, claim=found.claim,
                                                        unresolved=unresolved, likely=ref.likely))

    def _thanks(self, event: Any, category: str, now: float, *, text: NormalizedText | None = None,
                detail: str = "") -> None:
        viewer, name = self._who(event)
        ask = Ask(event.id, viewer, name, now, now + self.settings.expiry(f"thanks:{category}"), text, detail,
                  platform=event.platform, message_id=event.message_id)
        key = thanks_key(category, self.locale)
        ready = now + self.settings.thanks_window_s.get(category, 30.0)
        self._join_or_queue(key, ask, now, lambda: Item(key, "thanks", category, self.locale, ready_at=ready))

    def voice_only(self, platform: str, now: float) -> bool:
        """Whether ``platform``'s viewers in this room can only hear answers (no chat reply reaches them);
        the connectors are asked at most once a second."""
        when, platforms = self._voice_only
        if now - when >= 1.0 or when < 0:
            platforms = voice_only_platforms(self.hub, self.room)
            self._voice_only = (now, platforms)
        return platform in platforms

    def _join_or_queue(self, key: tuple[str, ...], ask: Ask, now: float, make: Any) -> None:
        if self.voice_only(ask.platform, now):
            make = self._voice_made(make)
        item = self.aggregator.open_item(key)
        heard = (item is not None and item.kind == "answer" and item.state == "in_flight"
                 and item.speaking_since is not None and item.speaking_since <= now)
        if item is not None and not heard and (item.state == "pending" or item.state == "in_flight"):
            item.asks.append(ask)  # its answer is still to come: it answers this ask too
            item.voice_only = item.voice_only or self.voice_only(ask.platform, now)
            return
        ref = self.aggregator.recent(key, now, ask.platform) if key[0] == "answer" else None
        if heard or ref is not None:
            # The answer began before this viewer asked: from their side, nobody answered them.
            if self._follow_up(key, ask, now, make):
                return
            if heard and item is not None:
                item.asks.append(ask)
                item.voice_only = item.voice_only or self.voice_only(ask.platform, now)
            else:
                self.decide(Decision(ask.event_id, "aggregated", "answered_recently",
                                     ref.index if ref is not None else None, at=now))
            return
        self._queue_new(make(), ask, now)

    def _queue_new(self, item: Item, ask: Ask, now: float) -> None:
        item.asks.append(ask)
        self.aggregator.track(item)
        for dropped, reason in self.queue.push(item, now):
            self.settle(dropped, None, "dropped", reason)

    def _follow_up(self, key: tuple[str, ...], ask: Ask, now: float, make: Any) -> bool:
        """Queue (or join) the follow-up of ``key``: a short line naming the askers who asked after its
        answer began, collected for ``follow_up_batch_s``. In chat; on voice only when chat is off and
        nothing else waits (in a flood the voice never repeats itself). False: not followed up."""
        voice_only = self.voice_only(ask.platform, now)
        if not self.settings.follow_up or ((voice_only or not self._chat_open()) and len(self.queue)):
            return False
        follow_key = (*key, "followup")
        pending = self.aggregator.open_item(follow_key)
        if pending is not None and pending.state == "pending":
            pending.asks.append(ask)
            pending.voice_only = pending.voice_only or voice_only
            return True
        item = make()
        item.key, item.followup, item.prefer_chat = follow_key, True, not voice_only
        item.ready_at = now + self.settings.follow_up_batch_s
        self._queue_new(item, ask, now)
        return True

    @staticmethod
    def _voice_made(make: Any) -> Any:
        """``make`` for an ask whose platform has no chat: the item it makes is answered on voice."""
        def voice() -> Item:
            item = make()
            item.voice_only, item.prefer_chat = True, False
            return item
        return voice

    @staticmethod
    def _who(event: Any) -> tuple[str, str]:
        user = event.user
        return (user.id, user.name) if user is not None else ("anonymous", "")

    def resolver(self) -> ProductResolver:
        """The product resolver for the current catalog (rebuilt when the catalog reloads)."""
        catalog = self.hub.catalog(self.room)
        if self._resolver is None or self._resolver.catalog is not catalog:
            self._resolver = ProductResolver(catalog)
        return self._resolver

    def _remember(self, viewer: str, text: str) -> None:
        history = self._history.get(viewer)
        if history is None:
            history = self._history[viewer] = deque(maxlen=4)
        else:
            self._history.move_to_end(viewer)
        history.append(text)
        while len(self._history) > self.settings.history_viewers:
            self._history.popitem(last=False)

    def history_of(self, viewer: str) -> list[str]:
        """The viewer's earlier comments (the latest, being answered now, left out)."""
        return list(self._history.get(viewer, ()))[:-1][-3:]

    # -- settling -------------------------------------------------------------------------------

    def decide(self, decision: Decision) -> None:
        self._decisions_counter(decision.outcome).inc()
        self.log.decide(self.room, decision)

    def _decisions_counter(self, outcome: str) -> Any:
        counter = self._decision_counters.get(outcome)
        if counter is None:
            counter = self._decision_counters[outcome] = self.hub.metric(
                FastCounter, "livehub_triage_decisions", "Room engine decisions per event, by outcome",
                ["outcome"]).labels(outcome)
        return counter

    def take(self, item: Item) -> None:
        """``item`` is about to be said: out of the queue, still open for the same question."""
        self.queue.remove(item)
        item.state = "in_flight"
        self.in_flight += 1

    def expire_asks(self, item: Item, now: float) -> None:
        """Drop the asks of a taken item that expired while its answer was being written."""
        late = [a for a in item.asks if a.expires_at <= now]
        for ask in late:
            item.asks.remove(ask)
            self.decide(Decision(ask.event_id, "dropped", "expired", at=now))

    def settle(self, item: Item, ref: ReplyRef | None, outcome: str, reason: str) -> None:
        """Record the final decision of every ask in ``item`` and close it."""
        if item.state == "done":
            return
        now = self.clock.now()
        if item.state == "in_flight":
            self.in_flight -= 1
        self.queue.remove(item)
        self.aggregator.close(item, ref if outcome == "answered" else None)
        counts: dict[str, int] = {}  # a batch of thousands of asks adds to the metric once per outcome
        for position in range(len(item.asks)):
            decision = decision_for(item, position, ref, outcome, reason, now)
            counts[decision.outcome] = counts.get(decision.outcome, 0) + 1
            self.log.decide(self.room, decision)
        for decided, count in counts.items():
            self._decisions_counter(decided).inc(count)
        if outcome == "answered" and item.kind == "answer":
            self.queue.served(item.viewers, now)
        self._notify()

    def housekeeping(self, now: float) -> None:
        for item, ask in self.queue.expire(now):
            self.decide(Decision(ask.event_id, "dropped", "expired", at=now))
            if not item.asks:
                self.aggregator.close(item, None)
        self.aggregator.prune(now)

    # -- speaking loops -------------------------------------------------------------------------

    def wake(self) -> None:
        """Look at the queue again now (an operator changed it)."""
        self._notify()

    def _notify(self) -> None:
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)
        self._wake = None

    async def _idle(self, now: float) -> None:
        """Wait for new work, the next expiry or batch, at most 30 s."""
        moments = [m for m in (self.queue.next_expiry(), self.queue.next_ready(now)) if m is not None]
        delay = max(0.0, min([now + 30.0, *moments]) - now)
        if self._wake is None or self._wake.done():
            self._wake = asyncio.get_running_loop().create_future()
        alarm = timer(self.clock, delay)
        try:
            await asyncio.wait([alarm, self._wake], return_when=asyncio.FIRST_COMPLETED)
        finally:
            alarm.cancel()

    def _chat_open(self) -> bool:
        return self.budget.chat.limit > 0

    def _voice_accepts(self, item: Item, _rank: int) -> bool:
        return item.approved > 0 or item.voice_only or not (item.prefer_chat and self._chat_open())

    def voice_waiting(self) -> bool:
        """The voice is writing an answer, or one is ready for it. A show's pitch waits meanwhile, so
        answers go between its sentences and a flood of questions holds the pitch."""
        return self.voice_item is not None or self.queue.best(self.clock.now(), self._voice_accepts) is not None

    async def _voice_loop(self) -> None:
        while True:
            now = self.clock.now()
            self.housekeeping(now)
            wait = self.budget.voice.wait(now)
            if wait > 0:
                await self.clock.sleep(wait)
                continue
            item = self.queue.best(now, self._voice_accepts)
            if item is None:
                await self._idle(now)
                continue
            self.voice_item = item
            try:
                await self.speaker.respond(item, "voice")
            finally:
                self.voice_item = None

    def _chat_accepts(self, item: Item, rank: int, now: float) -> bool:
        if item.approved or item.voice_only or (item.kind == "thanks" and not self.settings.thanks_in_chat):
            return False
        if item.prefer_chat:
            return True
        return self.budget.voice_start_estimate(now, rank) > self.settings.chat_when_voice_wait_s

    async def _chat_loop(self) -> None:
        while True:
            now = self.clock.now()
            self.housekeeping(now)
            slot = self.budget.chat.next_slot(now)
            if slot is None:
                return
            if slot > now:
                await self.clock.sleep(slot - now)
                continue
            item = self.queue.best(now, lambda i, rank, now=now: self._chat_accepts(i, rank, now))
            if item is None:
                await self._idle(now)
                continue
            await self.speaker.respond(item, "chat")
