"""The answer chain: try the configured backends in order, fall back on failure, cache good answers.

``[backends.llm] default = "a", fallback = ["b"]`` gives the chain a → b → the final backends: those a
plugin registers with ``BackendSpec(final=True)`` (the catalog answers) always come last, so a show never
goes silent because a vendor did. A backend
that errors, misses its first-sentence deadline or says nothing hands over to the next one. One that
fails *after* saying something ends the answer there: switching voices mid-answer would repeat or
contradict what was already said. A listener that stops early (its time budget is full) has the
answer it wants: what it took is cached.

With a simulated clock (``livehub replay --fast``) the chain marks itself busy while it waits for a
backend, so the real time an LLM takes shows in the simulated timeline; it is not busy while the caller
holds a sentence. Backend deadlines are wall-clock time: an LLM is as slow in a replay as live.

The cache keys on (locale, intent, product sku, wording): fifty viewers asking "1号链接多少钱" within the
TTL cost one LLM call. For the catalog-fact intents (price, stock, promotion, shipping) the wording is
left out of the key, as triage leaves it out when it aggregates: "1号多少钱", "一号链接什么价" and "how
much is #1" ask one thing and get one answer (and shipping has one answer for the whole shop). For other
intents the wording is :func:`hub.question_wording.question_wording`: the question without what only
names the product or decorates it, so "1号链接什么材质？" and "这个什么材质呀" share an answer while "多大"
and "多重" do not. A question with no product of its own is about the product on stage: the stage
product is then part of the key.
Every cached sentence is reviewed again when it is said, so a figure that changed meanwhile is corrected by
the fact guard. Only LLM answers are cached; the catalog answers fresh each time, so its stock and price
figures are never stale.

Every backend but the chain's last has a circuit breaker (:mod:`hub.breaker`, ``[backends.llm]
breaker_failures``, ``breaker_cooldown_s``, ``breaker_cooldown_max_s``): after that many failures in a row
(an error, a missed deadline, an empty answer) the chain skips the backend at once, so a dead or hanging
server stops costing every question its deadline; after the cool-down one probe call goes through, and
its success puts the backend back. A call the listener abandons (its own time ran out) counts neither
way. The last backend (the catalog) is always tried: skipping it would leave the question unanswered.
State in :meth:`AnswerChain.status` (``/api/v1/status``) and the metrics
``livehub_answer_breaker_state{backend}`` (0 closed, 1 half-open, 2 open),
``livehub_answer_breaker_short_circuits_total{backend}`` and ``livehub_answer_breaker_opens_total{backend}``.
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Gauge

from hub.answers import AnswerBackend, AnswerChunk, AnswerRequest, canonical_intent
from hub.breaker import OPEN, STATE_VALUES, CircuitBreaker
from hub.clock import Clock, RealClock, busy
from hub.config import BackendChoice
from hub.errors import BackendError, ConfigError
from hub.question_wording import compact, question_wording

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger("livehub.answers")

FACT_INTENTS = frozenset({"price", "stock", "promotion", "shipping"})
"""Intents answered by one catalog fact: their cache key ignores the question's wording."""


def normalise_question(text: str) -> str:
    """The question's text alone: NFKC, case-folded, without spaces and punctuation (see also
    :func:`hub.question_wording.question_wording`, what the cache keys on)."""
    return compact(text)


@dataclass(slots=True)
class CachedAnswer:
    sentences: list[str]
    backend: str
    stored_at: float


class AnswerCache:
    """Recent complete answers by key, for ``ttl_s`` seconds on ``clock``; at most ``max_entries``."""

    def __init__(self, ttl_s: float, *, max_entries: int = 512, clock: Clock | None = None) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.clock = clock or RealClock()
        self._entries: OrderedDict[tuple[str, ...], CachedAnswer] = OrderedDict()

    @staticmethod
    def key(request: AnswerRequest) -> tuple[str, ...]:
        product = request.product
        intent = canonical_intent(request.intent)
        wording = "" if intent in FACT_INTENTS else question_wording(request.question, product)
        if intent == "shipping":  # shop-wide
            about = ""
        elif product is not None:
            about = product.sku
        else:  # "这个呢" means the product on stage: not the same question after the stage changes
            stage = request.stage_product
            about = "stage:" + stage.sku if stage is not None else ""
        if request.claim:  # "是不是39元": the answer corrects (or confirms) a figure, keyed by the verdict
            return (request.locale, intent, about, wording, "claim:" + request.claim)
        return (request.locale, intent, about, wording)

    def get(self, key: tuple[str, ...]) -> CachedAnswer | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self.clock.now() - entry.stored_at > self.ttl_s:
            del self._entries[key]
            return None
        return entry

    def put(self, key: tuple[str, ...], sentences: list[str], backend: str) -> None:
        if self.ttl_s <= 0 or not sentences:
            return
        self._entries[key] = CachedAnswer(list(sentences), backend, self.clock.now())
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


@dataclass
class ChainStats:
    """What the chain did, for replay reports and tests (the same is exported as metrics)."""

    questions: int = 0
    cache_hits: int = 0
    fallbacks: int = 0
    unanswered: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    short_circuits: dict[str, int] = field(default_factory=dict)  # skipped at once: their breaker was open
    llm_calls: int = 0  # calls to backends that use an LLM (the catalog does not)
    llm_calls_by_intent: dict[str, int] = field(default_factory=dict)  # the same, per canonical intent


class AnswerChain:
    """Backends tried in order; the last should be (and by :func:`build_answer_chain` are) the final ones.

    ``breaker_failures`` (0: off), ``breaker_cooldown_s`` and ``breaker_cooldown_max_s`` set the circuit
    breaker of every backend but the last (see the module docstring); ``breaker_random`` is the jitter's
    random source (tests pass a constant). The breakers time their cool-down on the chain's clock.
    """

    def __init__(self, hub: Hub | None, backends: Sequence[AnswerBackend], *, cache_ttl_s: float = 120.0,
                 cache_size: int = 512, clock: Clock | None = None, breaker_failures: int = 3,
                 breaker_cooldown_s: float = 30.0, breaker_cooldown_max_s: float = 300.0,
                 breaker_random: Callable[[], float] | None = None) -> None:
        if not backends:
            raise ValueError("an answer chain needs at least one backend")
        self.hub = hub
        self.backends = list(backends)
        self.clock = clock or RealClock()
        self.cache = AnswerCache(cache_ttl_s, max_entries=cache_size, clock=self.clock)
        self.stats = ChainStats()
        extra = {"random": breaker_random} if breaker_random is not None else {}
        self.breakers: list[CircuitBreaker | None] = [
            CircuitBreaker(backend.name, failures=breaker_failures, cooldown_s=breaker_cooldown_s,
                           cooldown_max_s=breaker_cooldown_max_s, clock=self._now, on_change=self._breaker_changed,
                           logger=log, what=f"answer backend {backend.name}", **extra)
            for backend in self.backends[:-1]] + [None]
        for breaker in self.breakers:
            if breaker is not None and breaker.enabled:
                self._breaker_changed(breaker, "", breaker.state)

    @property
    def names(self) -> list[str]:
        return [b.name for b in self.backends]

    def use_clock(self, clock: Clock) -> None:
        """Time the cache, the breakers (and a replay's busy marks) on ``clock`` from now on; cached
        answers are dropped and the breakers start closed."""
        self.clock = clock
        self.cache.clock = clock
        self.cache.clear()
        for breaker in self.breakers:
            if breaker is not None:
                breaker.reset()
                self._breaker_changed(breaker, "", breaker.state)

    def breaker(self, name: str) -> CircuitBreaker | None:
        """The circuit breaker of backend ``name`` (None for the last backend, which has none)."""
        for backend, breaker in zip(self.backends, self.breakers, strict=True):
            if backend.name == name:
                return breaker
        return None

    def status(self) -> dict[str, Any]:
        """The chain for a status page: its backends in order, and each breaker's state (see
        :meth:`hub.breaker.CircuitBreaker.status`; the last backend has none: it is always tried)."""
        return {"backends": self.names,
                "breakers": {backend.name: breaker.status()
                             for backend, breaker in zip(self.backends, self.breakers, strict=True)
                             if breaker is not None and breaker.enabled}}

    def _now(self) -> float:
        return self.clock.now()

    def _breaker_changed(self, breaker: CircuitBreaker, _old: str, new: str) -> None:
        self._metric(Gauge, "livehub_answer_breaker_state",
                     "Circuit breaker of each answer backend: 0 closed, 1 half-open (one probe call), 2 open "
                     "(skipped)", ["backend"]).labels(breaker.name).set(STATE_VALUES[new])
        if new == OPEN:
            self._metric(Counter, "livehub_answer_breaker_opens", "Times an answer backend's circuit breaker "
                         "opened (again after a failed probe included)", ["backend"]).labels(breaker.name).inc()

    async def answer(self, request: AnswerRequest) -> AsyncIterator[AnswerChunk]:
        """Yield the answer's sentences as they come, then one chunk with ``final=True`` and no text.

        The final chunk names the backend that answered (``""`` if none could: then no sentence came).
        Never raises for a backend's failure.
        """
        self.stats.questions += 1
        key = self.cache.key(request)
        hit = self.cache.get(key)
        if hit is not None:
            self.stats.cache_hits += 1
            self._metric(Counter, "livehub_answer_cache_hits", "Answers served from the answer cache").inc()
            for sentence in hit.sentences:
                yield AnswerChunk(sentence, hit.backend, cached=True)
            yield AnswerChunk("", hit.backend, final=True, cached=True)
            return
        for position, backend in enumerate(self.backends):
            breaker = self.breakers[position]
            if breaker is not None and not breaker.allow():  # it keeps failing: the next one answers now
                self.stats.short_circuits[backend.name] = self.stats.short_circuits.get(backend.name, 0) + 1
                self._metric(Counter, "livehub_answer_breaker_short_circuits", "Answer calls that skipped a "
                             "backend at once because its circuit breaker was open",
                             ["backend"]).labels(backend.name).inc()
                continue
            if position:
                self.stats.fallbacks += 1
            said: list[str] = []
            settled = False  # the breaker heard how the call went; if not, the listener gave up on it
            self.stats.calls[backend.name] = self.stats.calls.get(backend.name, 0) + 1
            if backend.uses_llm:
                self.stats.llm_calls += 1
                intent = canonical_intent(request.intent)
                self.stats.llm_calls_by_intent[intent] = self.stats.llm_calls_by_intent.get(intent, 0) + 1
            try:
                async with contextlib.aclosing(backend.answer(request)) as sentences:
                    while True:
                        with busy(self.clock):  # a replay's simulated clock counts the backend's real time
                            try:
                                sentence = await anext(sentences)
                            except StopAsyncIteration:
                                break
                        said.append(sentence)
                        try:
                            yield AnswerChunk(sentence, backend.name)
                        except GeneratorExit:  # the listener has all it wants: that is the answer
                            if backend.cacheable:
                                self.cache.put(key, said, backend.name)
                            if breaker is not None:
                                breaker.success()
                                settled = True
                            raise
            except BackendError as exc:
                self.stats.failures[backend.name] = self.stats.failures.get(backend.name, 0) + 1
                if breaker is not None:
                    breaker.failure(str(exc))
                    settled = True
                if not said:
                    log.warning("answer backend %s failed, trying the next one: %s", backend.name, exc)
                    continue
                log.warning("answer backend %s failed after %d sentences: %s", backend.name, len(said), exc)
                yield AnswerChunk("", backend.name, final=True)
                return
            except BaseException:  # cancelled, or closed while it was asked: the listener gave up
                if breaker is not None and not settled:
                    if said:  # it was answering: it works
                        breaker.success()
                    else:  # says nothing about the backend either way
                        breaker.abandon()
                raise
            if breaker is not None and not settled:
                breaker.success()
            if backend.cacheable:
                self.cache.put(key, said, backend.name)
            yield AnswerChunk("", backend.name, final=True)
            return
        self.stats.unanswered += 1
        log.error("no answer backend could answer (tried %s)", ", ".join(self.names))
        yield AnswerChunk("", "", final=True)

    async def text(self, request: AnswerRequest) -> tuple[str, str]:
        """The whole answer at once: ``(text, backend)``; sentences joined for the locale."""
        sentences, backend = [], ""
        async with contextlib.aclosing(self.answer(request)) as chunks:
            async for chunk in chunks:
                if chunk.text:
                    sentences.append(chunk.text)
                backend = chunk.backend
        joiner = "" if request.locale.lower().startswith("zh") else " "
        return joiner.join(sentences), backend

    async def aclose(self) -> None:
        """Close every backend's clients."""
        for backend in self.backends:
            try:
                await backend.aclose()
            except Exception as exc:  # closing must not stop the others from closing
                log.warning("closing answer backend %s: %s", backend.name, exc)

    def _metric(self, kind: type, name: str, doc: str, labels: Sequence[str] = ()) -> Any:
        if self.hub is None:
            return _NullMetric()
        return self.hub.metric(kind, name, doc, labels)


class _NullMetric:
    def inc(self, amount: float = 1) -> None:
        pass

    def set(self, value: float) -> None:
        pass

    def labels(self, *_values: str) -> _NullMetric:
        return self


def final_backends(hub: Hub) -> list[str]:
    """The LLM backends every chain ends with: those registered with ``BackendSpec(final=True)``, in the
    registry's order (the catalog answers: no network, always something to say)."""
    return [name for (kind, name), (_plugin, spec) in hub.registry.backends.items() if kind == "llm" and spec.final]


def chain_names(hub: Hub, names: Sequence[str] | None = None) -> list[str]:
    """Backend names to try: ``names``, else ``[backends.llm] default`` + ``fallback``; then the final
    backends. ``names=()`` is a chain of the final backends alone. ConfigError when the chain is empty."""
    if names is None:
        choice = hub.settings.backend_choice.get("llm")
        names = [n for n in ([choice.default, *choice.fallback] if choice else []) if n]
    out = list(dict.fromkeys([*names, *final_backends(hub)]))
    if not out:
        raise ConfigError("no llm backend: [backends.llm] names none and no plugin registers a final llm "
                          "backend (BackendSpec(final=True)); enable one or name one in [backends.llm]")
    return out


def backend_settings(hub: Hub, name: str, overrides: dict[str, Any] | None = None) -> Any:
    """The validated settings of LLM backend ``name`` (``[backends.llm.<name>]`` or the defaults),
    with ``overrides`` applied and validated again. Raises :class:`ConfigError`."""
    spec = hub.registry.backends[("llm", name)][1]
    model = spec.config_model
    current = hub.settings.backends.get(("llm", name))
    if model is None:
        if overrides:
            raise ConfigError(f"backends.llm.{name}: this backend has no settings to override "
                              f"({', '.join(overrides)})")
        return None
    data = {k: getattr(current, k) for k in model.model_fields} if current is not None else {}
    unknown = sorted(set(overrides or {}) - set(model.model_fields))
    if unknown:
        raise ConfigError(f"backends.llm.{name}: no setting named {', '.join(map(repr, unknown))} "
                          f"(settings: {', '.join(model.model_fields)})")
    data.update(overrides or {})
    from pydantic import ValidationError

    from hub.config import format_validation_error

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, f"backends.llm.{name}")) from None


def build_answer_chain(hub: Hub, names: Sequence[str] | None = None, *,
                       overrides: dict[str, Any] | None = None, cache_ttl_s: float = 120.0,
                       clock: Clock | None = None) -> AnswerChain:
    """Build the hub's chain from config (or from ``names``, e.g. ``livehub replay --llm <name>``), ending
    with the :func:`final_backends` (``names=()``: those alone).

    ``overrides`` (e.g. ``{"model": "qwen2.5:7b"}`` for ``--llm-model``) apply to the *first* backend's
    settings. The breakers follow ``[backends.llm] breaker_*`` (also for a chain of ``names``). Raises
    :class:`ConfigError` for an unknown backend or bad settings, and
    :class:`hub.errors.MissingExtraError` when a backend's optional package is not installed.
    """
    backends: list[AnswerBackend] = []
    for position, name in enumerate(chain_names(hub, names)):
        if ("llm", name) not in hub.registry.backends:
            known = ", ".join(n for k, n in hub.registry.backends if k == "llm") or "none"
            raise ConfigError(f"unknown llm backend {name!r} (known: {known})")
        spec = hub.registry.backends[("llm", name)][1]
        settings = backend_settings(hub, name, overrides if position == 0 else None)
        backends.append(spec.factory(settings, hub))
    choice = hub.settings.backend_choice.get("llm") or BackendChoice()
    return AnswerChain(hub, backends, cache_ttl_s=cache_ttl_s, clock=clock, breaker_failures=choice.breaker_failures,
                       breaker_cooldown_s=choice.breaker_cooldown_s,
                       breaker_cooldown_max_s=choice.breaker_cooldown_max_s)

