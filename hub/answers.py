"""Answer backends: what an answer is asked with, and the base class every backend extends.

A backend implements one method, :meth:`AnswerBackend._stream`, yielding text chunks (tokens or whole
sentences). The base class does everything a live show needs around it, the same for every vendor:
cuts the chunks into sentences as they arrive, enforces a first-sentence deadline and a total deadline,
turns any failure into :class:`hub.errors.BackendError` (``retryable`` set), treats an answer with no
sentence as a failure (so the chain falls back), and counts calls, latency and the tokens the *server*
reports in its ``usage`` (never a local tokenizer: tiktoken downloads its tables at run time).

:class:`hub.answer_chain.AnswerChain` strings backends together with fallback and a cache.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from prometheus_client import Counter, Histogram
from pydantic import BaseModel, ConfigDict, Field

from hub.catalog import Product, Shop
from hub.errors import BackendError
from hub.sentences import SentenceSplitter

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger("livehub.answers")

# The intents triage assigns and backends answer. Anything else is answered as "other".
INTENTS = ("price", "stock", "spec", "shipping", "promotion", "purchase", "greeting", "complaint",
           "chitchat", "other")
INTENT_ALIASES = {"size": "spec", "size/spec": "spec", "specs": "spec", "purchase_intent": "purchase",
                  "buy": "purchase", "chit-chat": "chitchat", "chit_chat": "chitchat", "promo": "promotion",
                  "discount": "promotion", "delivery": "shipping", "hello": "greeting"}


def canonical_intent(intent: str) -> str:
    """``intent`` as one of :data:`INTENTS` (aliases mapped, unknown ones become ``other``)."""
    key = (intent or "").strip().lower()
    key = INTENT_ALIASES.get(key, key)
    return key if key in INTENTS else "other"


@dataclass(slots=True)
class AnswerRequest:
    """One question to answer, with everything a backend may ground its answer on.

    ``question`` is the viewer's normalised text. It is untrusted: templates quote it as data (the
    ``untrusted`` filter) and no backend may follow instructions in it.
    """

    question: str
    intent: str = "other"
    locale: str = "zh-CN"
    products: list[Product] = field(default_factory=list)  # relevant ones, most relevant first
    stage_product: Product | None = None
    shop: Shop | None = None
    viewer_history: list[str] = field(default_factory=list)  # the asker's earlier comments (untrusted)
    recent_answers: list[str] = field(default_factory=list)  # what the room was told lately
    asked_by: list[str] = field(default_factory=list)  # display names of everyone who asked this
    room: str = ""
    claim: str = ""  # the question states a figure (hub.claims): "wrong", "right", "asked" (no verdict), ""
    unresolved: bool = False  # it names a product the catalog does not know: never the stage product
    likely: list[Product] = field(default_factory=list)  # unresolved: the products it may mean, best first
    prompt: str = "llm"  # the prompt templates an LLM backend renders: <prompt>/system.j2 and <prompt>/user.j2
    variables: dict[str, Any] = field(default_factory=dict)  # more variables for those templates (a campaign's)

    @property
    def product(self) -> Product | None:
        """The product the question is about: the first relevant one, else the one on stage (not when the
        question named a product the catalog does not know: then none)."""
        if self.products:
            return self.products[0]
        return None if self.unresolved else self.stage_product

    def facts(self) -> list[Product]:
        """The relevant products and the stage product, each once: what a prompt may state facts about."""
        out = list(self.products)
        if self.stage_product is not None and all(p.sku != self.stage_product.sku for p in out):
            out.append(self.stage_product)
        return out

    def template_vars(self) -> dict[str, Any]:
        """Variables every answer and prompt template gets."""
        shop = self.shop or Shop(name="")
        return {"question": self.question, "intent": canonical_intent(self.intent), "shop": shop,
                "currency": shop.currency, "products": list(self.products), "product": self.product,
                "stage_product": self.stage_product, "facts": self.facts(),
                "viewer_history": list(self.viewer_history), "recent_answers": list(self.recent_answers),
                "asked_by": list(self.asked_by), "room": self.room, "claim": self.claim,
                "likely": list(self.likely), **self.variables}


@dataclass(frozen=True, slots=True)
class AnswerChunk:
    """One sentence of an answer, or (``final`` True, ``text`` empty) the end of the answer.

    ``backend`` names who produced it; ``cached`` is True when it came from the answer cache.
    """

    text: str
    backend: str
    final: bool = False
    cached: bool = False


class AnswerBackendSettings(BaseModel):
    """Settings every answer backend has (``[backends.llm.<name>]``); backends extend this model."""

    model_config = ConfigDict(extra="forbid")

    first_sentence_timeout_s: float = Field(5.0, gt=0, description="fall back if no sentence by then")
    total_timeout_s: float = Field(20.0, gt=0, description="stop the answer after this long")
    max_sentence_chars: int = Field(60, ge=10, description="cut longer sentences at a comma")
    max_sentences: int = Field(4, ge=1, description="a live answer is short: stop after this many")


def status_retryable(status: int) -> bool:
    """Whether an HTTP status is worth another try (rate limit, timeout, conflict, server error)."""
    return status in (408, 409, 429) or status >= 500


def classify_error(exc: BaseException) -> bool:
    """Whether an unmapped exception is worth another try: HTTP status if it carries one; network,
    timeout and malformed-data errors yes; anything else (a bug, bad settings) no."""
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(status, int):
        return status_retryable(status)
    return isinstance(exc, (TimeoutError, ConnectionError, OSError, ValueError, EOFError))


class AnswerBackend(abc.ABC):
    """Base class of answer backends. Subclasses set ``name`` and implement :meth:`_stream`."""

    name: ClassVar[str] = "backend"
    uses_llm: ClassVar[bool] = True  # counted as an LLM call (replay's llm_calls)
    cacheable: ClassVar[bool] = True  # worth caching; the catalog's answers are cheaper fresh

    def __init__(self, settings: AnswerBackendSettings | None = None, hub: Hub | None = None) -> None:
        self.settings = settings if settings is not None else AnswerBackendSettings()
        self.hub = hub
        self.calls = 0
        self.usage = {"prompt": 0, "completion": 0}

    @abc.abstractmethod
    def _stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        """Yield text chunks (tokens or sentences). Raise BackendError(retryable=...) on vendor errors."""

    async def aclose(self) -> None:
        """Release clients and connections. The chain calls it once when it closes."""
        return None

    async def answer(self, request: AnswerRequest) -> AsyncIterator[str]:
        """Yield the answer sentence by sentence (at most ``max_sentences``).

        Raises :class:`BackendError` on a failure, a missed deadline or an empty answer, also after some
        sentences were yielded: the chain decides what a partial answer means.
        """
        s = self.settings
        loop = asyncio.get_running_loop()
        started = loop.time()
        splitter = SentenceSplitter(s.max_sentence_chars)
        count, outcome = 0, "ok"
        self.calls += 1
        try:
            async with contextlib.aclosing(self._stream(request)) as chunks:
                iterator = aiter(chunks)
                while count < s.max_sentences:
                    budget = s.first_sentence_timeout_s if count == 0 else s.total_timeout_s
                    deadline = min(started + budget, started + s.total_timeout_s)
                    timer = asyncio.timeout_at(deadline)
                    try:
                        async with timer:
                            chunk = await anext(iterator)
                    except StopAsyncIteration:
                        break
                    except TimeoutError:
                        if not timer.expired():  # the backend's own timeout, not our deadline
                            raise
                        outcome = "timeout"
                        what = "no first sentence" if count == 0 else "answer not finished"
                        raise BackendError(f"{self.name}: {what} within {budget:g} s", retryable=True,
                                           backend=self.name) from None
                    for sentence in splitter.feed(chunk or ""):
                        if count == 0:
                            self._observe_first(loop.time() - started)
                        count += 1
                        yield sentence
                        if count >= s.max_sentences:
                            break
            for sentence in splitter.flush()[: max(0, s.max_sentences - count)]:
                if count == 0:
                    self._observe_first(loop.time() - started)
                count += 1
                yield sentence
            if count == 0:
                outcome = "empty"
                raise BackendError(f"{self.name}: empty answer", retryable=True, backend=self.name)
        except BackendError as exc:
            outcome = "error" if outcome == "ok" else outcome
            exc.backend = exc.backend or self.name
            raise
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except Exception as exc:
            outcome = "error"
            message = f"{self.name}: {type(exc).__name__}: {str(exc)[:300]}"
            raise BackendError(message, retryable=classify_error(exc), backend=self.name) from exc
        finally:
            self._count(outcome)

    # -- what subclasses call ---------------------------------------------------------------------

    def report_usage(self, prompt_tokens: int | None, completion_tokens: int | None) -> None:
        """Record the token counts the server reported (its ``usage``); None counts as zero."""
        for kind, value in (("prompt", prompt_tokens), ("completion", completion_tokens)):
            if value:
                self.usage[kind] += int(value)
                if self.hub is not None:
                    self.hub.metric(Counter, "livehub_llm_tokens", "Tokens used, as reported by the server",
                                    ["backend", "kind"]).labels(self.name, kind).inc(int(value))

    def chat_messages(self, request: AnswerRequest) -> list[tuple[str, str]]:
        """``[("system", ...), ("user", ...)]`` from ``<prompt>/system.j2`` and ``<prompt>/user.j2`` for the
        locale (``llm/`` for answers to viewers; ``enrich/`` for ``livehub catalog enrich``)."""
        from hub.prompts import BUILTIN_DIR, PromptLibrary, prompt_library

        library = prompt_library(self.hub, request.room) if self.hub is not None else PromptLibrary([BUILTIN_DIR])
        variables = request.template_vars()
        return [("system", library.render(f"{request.prompt}/system.j2", request.locale, **variables)),
                ("user", library.render(f"{request.prompt}/user.j2", request.locale, **variables))]

    # -- metrics ------------------------------------------------------------------------------------

    def _count(self, outcome: str) -> None:
        if self.hub is not None:
            self.hub.metric(Counter, "livehub_llm_calls", "Answer backend calls, by backend and outcome",
                            ["backend", "outcome"]).labels(self.name, outcome).inc()

    def _observe_first(self, seconds: float) -> None:
        if self.hub is not None:
            self.hub.metric(Histogram, "livehub_llm_first_sentence_seconds",
                            "Time from asking to the first sentence", ["backend"],
                            buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 16)).labels(self.name).observe(seconds)

