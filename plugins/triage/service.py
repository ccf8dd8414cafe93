"""The triage service of one hub: the bus subscription, a :class:`RoomEngine` per room, the answer chain.

Engines are created on a room's first event. The clock and the answer chain are shared by every room and
can be swapped before the first event (``livehub replay`` puts in a simulated clock and the chain of
``--llm``). Listeners added to :attr:`TriageService.on_decision` and :attr:`TriageService.on_reply` see
every decision and reply of every room (the replay report is built from them).

The configured chain (and the catalog-only one ``catalog_intents`` use) is built when the service starts,
so the first question of a show does not wait for an SDK import; a chain that cannot be built then is
logged and built again on the first question that needs it.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hub.clock import Clock, RealClock
from hub.errors import ConfigError
from plugins.triage.engine import RoomEngine
from plugins.triage.records import Decision, ReplyRecord
from plugins.triage.settings import TriageSettings
from plugins.triage.spam import SpamFilter, filter_for_hub

if TYPE_CHECKING:
    from hub.answer_chain import AnswerChain
    from hub.app import Hub
    from hub.bus import Subscription

log = logging.getLogger("livehub.triage")

ROOM_EVENT_TYPES = ("comment", "gift", "like", "enter", "follow", "order", "stats", "stage")

_services: weakref.WeakKeyDictionary[Any, TriageService] = weakref.WeakKeyDictionary()


def service_for(hub: Hub) -> TriageService | None:
    """The running triage service of ``hub`` (None if the plugin is disabled or not started)."""
    return _services.get(hub)


class TriageService:
    """See the module docstring."""

    def __init__(self, hub: Hub, settings: TriageSettings | None = None, *, clock: Clock | None = None,
                 spam: SpamFilter | None = None) -> None:
        self.hub = hub
        self.settings = settings or TriageSettings()
        self.clock: Clock = clock or RealClock()
        self.locale = self.settings.locale or hub.config.hub.locale
        self.spam = spam if spam is not None else filter_for_hub(hub, [self.locale, "zh-CN", "en"])
        self.engines: dict[str, RoomEngine] = {}
        self.on_decision: list[Callable[[str, Decision], None]] = []
        self.on_reply: list[Callable[[str, ReplyRecord], None]] = []
        self._chains: dict[tuple[str, ...] | None, AnswerChain] = {}
        self._retired: list[AnswerChain] = []
        self.subscription: Subscription | None = None
        self.speech_estimator: Callable[[str, str], float] | None = None

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
        """The configured chain (``names`` None), or a chain of exactly ``names`` (plus catalog)."""
        key = tuple(names) if names else None
        chain = self._chains.get(key)
        if chain is None:
            from hub.answer_chain import build_answer_chain

            wanted = list(names) if names else self.settings.llm
            try:
                chain = build_answer_chain(self.hub, wanted, clock=self.clock)
            except ConfigError as exc:
                log.error("answer backends unusable, answering from the catalog only: %s", exc)
                chain = build_answer_chain(self.hub, ["catalog"], clock=self.clock)
            self._chains[key] = chain
        return chain

    def prepare_chains(self) -> None:
        """Build the chains answers will need (the configured one; the catalog's for ``catalog_intents``)
        now rather than on the first question. Never raises: a failure is logged and the chain is built
        again when a question needs it."""
        from hub.answer_chain import FINAL_BACKEND

        wanted: list[Sequence[str] | None] = [None]
        if self.settings.catalog_intents:
            wanted.append([FINAL_BACKEND])
        for names in wanted:
            try:
                self.chain_for(names)
            except Exception as exc:  # a missing extra, a broken plugin: the show starts anyway
                log.warning("answer chain %s not built at start (will retry on the first question): %s: %s",
                            "+".join(names) if names else "configured", type(exc).__name__, exc)

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

    # -- running --------------------------------------------------------------------------------

    def engine_for(self, room: str, platform: str = "") -> RoomEngine:
        engine = self.engines.get(room)
        if engine is None:
            engine = self.engines[room] = RoomEngine(self, room, platform)
            engine.budget.estimator = self.speech_estimator
            engine.start()
        return engine

    def handle(self, event: Any) -> None:
        rooms = self.settings.rooms
        if not event.room or (rooms and event.room not in rooms):
            return
        self.engine_for(event.room, event.platform).intake(event)

    @property
    def idle(self) -> bool:
        """Every room has nothing queued, nothing in flight and a silent voice; no event is waiting."""
        waiting = len(self.subscription.queue) if self.subscription is not None else 0
        return not waiting and all(engine.idle for engine in self.engines.values())

    async def start(self) -> None:
        _services[self.hub] = self
        self.subscription = self.hub.bus.subscribe("triage", self.handle, types=ROOM_EVENT_TYPES,
                                                   maxsize=50_000, overflow="drop_oldest")
        self.prepare_chains()

    async def stop(self) -> None:
        if self.subscription is not None:
            await self.hub.bus.unsubscribe(self.subscription, timeout=5.0)
            self.subscription = None
        for engine in list(self.engines.values()):
            await engine.stop()
        for chain in [*self._chains.values(), *self._retired]:
            await chain.aclose()
        self._chains.clear()
        self._retired.clear()
        if _services.get(self.hub) is self:
            del _services[self.hub]
