"""The triage service of one hub: the bus subscription, a :class:`RoomEngine` per room, the answer chain.

The service lives in ``hub.slots`` (under :class:`TriageService`) and provides the rooms' answering to
other plugins as :class:`hub.interfaces.AnswerQueue` (the show runner, the console's room API and
``livehub replay`` use it there, never through this module). Each room owns its engine
(``hub.rooms[name].slots.get(RoomEngine)``), made on the room's first event.

The clock and the answer chain are shared by every room and can be swapped before the first event
(``livehub replay`` puts in a simulated clock and the chain of ``--llm``). Listeners added to
:attr:`TriageService.on_decision` and :attr:`TriageService.on_reply` see every decision and reply of
every room (the replay report is built from them).

The configured chain (and the catalog-only one ``catalog_intents`` use) is built when the service starts,
so the first question of a show does not wait for an SDK import; a chain that cannot be built then is
logged and built again on the first question that needs it. :meth:`TriageService.hub_status` adds the
chains in use and their backends' circuit breakers to ``/api/v1/status`` (``answers``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hub.clock import Clock, RealClock
from hub.decisions import Decision, Question, ReplyRecord
from hub.errors import ConfigError
from hub.interfaces import AnswerQueue
from plugins.triage import operator
from plugins.triage.engine import RoomEngine
from plugins.triage.settings import TriageSettings
from plugins.triage.spam import SpamFilter, filter_for_hub

if TYPE_CHECKING:
    from hub.answer_chain import AnswerChain
    from hub.app import Hub
    from hub.bus import Subscription

log = logging.getLogger("livehub.triage")

ROOM_EVENT_TYPES = ("comment", "gift", "like", "enter", "follow", "order", "stats", "stage")


def service_for(hub: Hub) -> TriageService | None:
    """The running triage service of ``hub`` (None if the plugin is disabled or not started). Other
    plugins use ``hub.slots.get(AnswerQueue)`` instead."""
    return hub.slots.get(TriageService)


class TriageService(AnswerQueue):
    """See the module docstring."""

    def __init__(self, hub: Hub, settings: TriageSettings | None = None, *, clock: Clock | None = None,
                 spam: SpamFilter | None = None) -> None:
        self.hub = hub
        self.settings = settings or TriageSettings()
        self.clock: Clock = clock or RealClock()
        self.locale = self.settings.locale or hub.config.hub.locale  # the service's (word lists, defaults)
        self.spam = spam if spam is not None else filter_for_hub(hub, [self.locale, "zh-CN", "en"])
        self.on_decision: list[Callable[[str, Decision], None]] = []
        self.on_reply: list[Callable[[str, ReplyRecord], None]] = []
        self.on_question: list[Callable[[str, Question], None]] = []  # shared with the rooms' logs
        self._chains: dict[tuple[str, ...] | None, AnswerChain] = {}
        self._retired: list[AnswerChain] = []
        self.subscription: Subscription | None = None
        self.speech_estimator: Callable[[str, str], float] | None = None
        self._bad_rooms: set[str] = set()

    # -- configuration (before the first event) ---------------------------------------------------

    def use_clock(self, clock: Clock) -> None:
        if self.engines:
            raise RuntimeError("the clock must be set before the first room starts")
        self.clock = clock
        for chain in self._chains.values():  # built at start: their caches now age on this clock
            chain.use_clock(clock)

    def use_speech_estimator(self, estimator: Callable[[str, str], float] | None) -> None:
        """Let a voice plugin that knows real durations (``estimator(text, locale)`` → seconds) pace
        every room, now and later; None goes back to the characters-per-second estimate."""
        self.speech_estimator = estimator
        for engine in self.engines.values():
            engine.budget.estimator = estimator

    def use_chain(self, chain: AnswerChain) -> None:
        """Answer with ``chain`` (replay's ``--llm``) instead of the configured one."""
        replaced = self._chains.get(None)
        if replaced is not None and replaced is not chain:
            self._retired.append(replaced)  # closed at stop: it may hold a client
        self._chains[None] = chain

    def chain_for(self, names: Sequence[str] | None = None) -> AnswerChain:
        """The configured chain (``names`` None), or a chain of exactly ``names`` followed by the final
        backends (``names`` empty: the final backends alone, the catalog's answers)."""
        key = None if names is None else tuple(names)
        chain = self._chains.get(key)
        if chain is None:
            from hub.answer_chain import build_answer_chain

            wanted = list(names) if names is not None else self.settings.llm
            try:
                chain = build_answer_chain(self.hub, wanted, clock=self.clock)
            except ConfigError as exc:
                log.error("answer backends unusable, answering with the final backends only: %s", exc)
                chain = build_answer_chain(self.hub, (), clock=self.clock)
            self._chains[key] = chain
        return chain

    def prepare_chains(self) -> None:
        """Build the chains answers will need (the configured one; the final backends' for
        ``catalog_intents``) now rather than on the first question. Never raises: a failure is logged and
        the chain is built again when a question needs it."""
        wanted: list[Sequence[str] | None] = [None]
        if self.settings.catalog_intents:
            wanted.append(())
        for names in wanted:
            try:
                self.chain_for(names)
            except Exception as exc:  # a missing extra, a broken plugin: the show starts anyway
                log.warning("answer chain %s not built at start (will retry on the first question): %s: %s",
                            "configured" if names is None else "+".join(names) or "final", type(exc).__name__,
                            exc)

    @property
    def llm_calls(self) -> int:
        return sum(chain.stats.llm_calls for chain in [*self._chains.values(), *self._retired])

    @property
    def llm_calls_by_intent(self) -> dict[str, int]:
        """:attr:`llm_calls` per intent (price, spec, complaint, ...), most first."""
        totals: dict[str, int] = {}
        for chain in [*self._chains.values(), *self._retired]:
            for intent, count in chain.stats.llm_calls_by_intent.items():
                totals[intent] = totals.get(intent, 0) + count
        return dict(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))

    def hub_status(self) -> dict[str, Any]:
        """What ``/api/v1/status`` shows of answering (``answers``): the LLM calls so far and each chain in
        use, its backends and their circuit breakers (see :meth:`hub.answer_chain.AnswerChain.status`)."""
        chains = [{"name": "configured" if key is None else "+".join(key) or "final", **chain.status()}
                  for key, chain in self._chains.items()]
        return {"answers": {"llm_calls": self.llm_calls, "chains": chains}}

    # -- running --------------------------------------------------------------------------------

    @property
    def engines(self) -> dict[str, RoomEngine]:
        """The engines of the rooms by name (a view: each room keeps its own in its slots)."""
        return {room.name: engine for room in self.hub.rooms
                if (engine := room.slots.get(RoomEngine)) is not None and engine.service is self}

    def engine(self, room: str) -> RoomEngine | None:
        """``room``'s engine, None before its first event."""
        found = self.hub.rooms.get(room)
        return found.slots.get(RoomEngine) if found is not None else None

    def room_locale(self, room: str) -> str:
        """The language a room's host speaks: ``[plugins.triage] locale``, else the room's own
        (``[rooms.<name>] locale``), else ``[hub] locale`` when set, else the shop's (the catalog's
        ``shop.locale``: an English shop's host speaks English without more configuration)."""
        if self.settings.locale:
            return self.settings.locale
        found = self.hub.rooms.get(room)
        if found is not None and found.core.locale:
            return found.core.locale
        hub_settings = self.hub.config.hub
        if "locale" in hub_settings.model_fields_set:
            return hub_settings.locale
        catalog = self.hub.catalog(room)
        shop_locale = getattr(catalog.shop, "locale", None) if catalog is not None else None
        return shop_locale or hub_settings.locale

    def engine_for(self, room: str, platform: str = "") -> RoomEngine:
        """``room``'s engine, made and started on first use (raises ValueError for a bad room name)."""
        slots = self.hub.rooms.ensure(room).slots
        engine = slots.get(RoomEngine)
        if engine is None:
            engine = slots.set(RoomEngine, RoomEngine(self, room, platform))
            engine.budget.estimator = self.speech_estimator
            engine.start()
        return engine

    def handle(self, event: Any) -> None:
        rooms = self.settings.rooms
        if not event.room or (rooms and event.room not in rooms):
            return
        try:
            engine = self.engine_for(event.room, event.platform)
        except ValueError as exc:  # not a room name: said once per name, never answered
            if event.room not in self._bad_rooms and len(self._bad_rooms) < 100:
                self._bad_rooms.add(event.room)
                log.warning("triage: events of room %r are not answered: %s", event.room, exc)
            return
        engine.intake(event)

    @property
    def idle(self) -> bool:
        """Every room has nothing queued, nothing in flight and a silent voice; no event is waiting."""
        return not self.waiting_events and all(engine.idle for engine in self.engines.values())

    @property
    def waiting_events(self) -> int:
        return len(self.subscription.queue) if self.subscription is not None else 0

    # -- AnswerQueue: a room's queue, for the operator and the show -----------------------------

    def queue_view(self, room: str) -> list[dict[str, Any]]:
        engine = self.engine(room)
        return operator.queue_view(engine) if engine is not None else []

    def queue_item(self, room: str, item_id: str) -> dict[str, Any] | None:
        engine = self.engine(room)
        item = operator.find_item(engine, item_id) if engine is not None else None
        return operator.item_view(item, engine.clock.now()) if item is not None and engine is not None else None

    def approve(self, room: str, item_id: str) -> bool:
        engine = self.engine(room)
        return engine is not None and operator.approve(engine, item_id)

    def skip(self, room: str, item_id: str) -> bool:
        engine = self.engine(room)
        return engine is not None and operator.skip(engine, item_id)

    def counters(self, room: str) -> dict[str, int]:
        return operator.room_counters(self.engine(room))

    def stage_sku(self, room: str) -> str | None:
        engine = self.engine(room)
        return engine.stage_sku if engine is not None else None

    def voice_waiting(self, room: str) -> bool:
        engine = self.engine(room)
        return engine is not None and engine.voice_waiting()

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        self.hub.slots.set(TriageService, self)
        self.hub.slots.provide(AnswerQueue, self)
        self.subscription = self.hub.bus.subscribe("triage", self.handle, types=ROOM_EVENT_TYPES,
                                                   maxsize=50_000, overflow="drop_oldest")
        self.prepare_chains()

    async def stop(self) -> None:
        self.hub.slots.discard(AnswerQueue, self)
        if self.subscription is not None:
            await self.hub.bus.unsubscribe(self.subscription, timeout=5.0)
            self.subscription = None
        for room in self.hub.rooms:
            engine = room.slots.get(RoomEngine)
            if engine is not None and engine.service is self:
                await engine.stop()
                room.slots.discard(RoomEngine, engine)
        for chain in [*self._chains.values(), *self._retired]:
            await chain.aclose()
        self._chains.clear()
        self._retired.clear()
        self.hub.slots.discard(TriageService, self)
