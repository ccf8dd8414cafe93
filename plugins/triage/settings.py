"""``[plugins.triage]``: how the room engine weighs, batches, paces and expires.

Every default is a number a live show can run on; each is explained where it is declared. Per-intent
tables (``weights``, ``expiry_s``) merge with the defaults, so a merchant sets only what they change::

    [plugins.triage]
    locale = "zh-CN"                  # default: [hub] locale
    expiry_s = { price = 25 }         # price questions live 25 s instead of 20
    chat_rate_limit = 10              # this platform allows 10 chat messages ...
    chat_rate_window_s = 30           # ... per 30 s
    catalog_intents = []              # let the LLM phrase facts too (default: the catalog says them)
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from plugins.triage.grounding import GROUNDED_INTENTS
from plugins.triage.intent import Intent

THANKS_CATEGORIES = ("gift", "order", "follow", "enter", "like")

DEFAULT_WEIGHTS: dict[str, float] = {
    # the catalog facts a buyer waits for
    "price": 10.0, "stock": 10.0, "shipping": 9.0, "promotion": 9.0, "purchase": 8.0,
    # details, then people
    "spec": 7.0, "complaint": 5.0, "other": 2.5, "greeting": 2.0, "chitchat": 1.0,
    # thank-you lines (batched)
    "thanks:gift": 6.0, "thanks:order": 5.0, "thanks:follow": 4.0, "thanks:enter": 2.0, "thanks:like": 1.5,
}

DEFAULT_EXPIRY_S: dict[str, float] = {
    # a price heard 20 s late is noise: the viewer has scrolled on or asked again
    "price": 20.0, "stock": 20.0, "promotion": 25.0, "shipping": 30.0, "purchase": 30.0, "spec": 30.0,
    "complaint": 90.0, "other": 20.0, "greeting": 20.0, "chitchat": 15.0,
    # thank-yous: their batch window plus room to wait for a quiet moment
    "thanks:gift": 90.0, "thanks:order": 90.0, "thanks:follow": 90.0, "thanks:enter": 90.0,
    "thanks:like": 120.0,
}

DEFAULT_THANKS_WINDOW_S: dict[str, float] = {
    # a gift deserves a quick thank-you; a welcome can wait for company
    "gift": 8.0, "order": 20.0, "follow": 30.0, "enter": 45.0, "like": 60.0,
}

CATALOG_INTENTS = ("price", "stock", "promotion", "shipping", "purchase", "complaint")
"""Answered from the catalog by default. The four facts: a figure must be exact, and the catalog says it
at once and for free ("never invents a price"). Purchase remarks ("拍了", "怎么买"): the answer is the
link to open and its price. Complaints: an apology, support and the shop's returns policy, with no
promise a model might make up. An LLM is used where language is needed: details, chit-chat, the rest."""

_KEYS = frozenset(DEFAULT_WEIGHTS)


def _merge(defaults: dict[str, float], given: dict[str, float], what: str) -> dict[str, float]:
    unknown = sorted(set(given) - _KEYS)
    if unknown:
        raise ValueError(f"unknown {what} key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}")
    return {**defaults, **given}


class TriageSettings(BaseModel):
    """The validated ``[plugins.triage]`` table."""

    model_config = ConfigDict(extra="forbid")

    locale: str | None = Field(None, description="the room's language; default: [hub] locale")
    rooms: list[str] = Field(default_factory=list, description="rooms to run; empty: every room")
    llm: list[str] | None = Field(None, description="answer backends to try; default: [backends.llm]")
    catalog_intents: list[str] = Field(
        default_factory=lambda: list(CATALOG_INTENTS),
        description="answered from the catalog's templates, never an LLM; [] lets an LLM phrase them too")
    grounded_intents: list[str] = Field(
        default_factory=lambda: list(GROUNDED_INTENTS),
        description="an LLM answer that does not state the asked catalog fact is replaced by the catalog's")

    # aggregation
    recent_answer_s: float = Field(15.0, ge=0, description="a repeat this soon after the answer joins it")
    follow_up: bool = Field(True, description=(
        "a question asked after its answer began (or just after it) gets a short chat line naming its "
        "askers and the fact; on voice only when chat is off and nothing else is queued"))
    follow_up_batch_s: float = Field(2.0, ge=0, le=15, description="askers collected into one follow-up line")
    follow_up_names: int = Field(4, ge=0, le=20, description="askers a follow-up line names (then '等N位')")
    # queue
    weights: dict[str, float] = Field(default_factory=dict)
    expiry_s: dict[str, float] = Field(default_factory=dict)
    ageing_per_s: float = Field(0.3, ge=0, description="priority gained per second of waiting")
    popularity_boost: float = Field(2.0, ge=0, description="priority per doubling of the askers")
    fairness_penalty: float = Field(3.0, ge=0, description="priority lost per answer the viewer just had")
    fairness_window_s: float = Field(60.0, gt=0)
    max_pending: int = Field(200, ge=1, description="queue length; the least urgent are dropped beyond")
    max_pending_per_viewer: int = Field(3, ge=1, description="one viewer's open questions at most")
    # speaking budget
    zh_chars_per_s: float = Field(4.5, gt=0)
    en_words_per_s: float = Field(2.6, gt=0)
    sentence_pause_s: float = Field(0.25, ge=0)
    max_answer_s: float = Field(14.0, gt=0, description="a spoken answer stops after this much speech")
    voice_gap_s: float = Field(0.3, ge=0, description="silence between two spoken lines")
    # chat
    chat_enabled: bool = True
    chat_rate_limit: int = Field(20, ge=0, description="chat replies per window (platform limit)")
    chat_rate_window_s: float = Field(30.0, gt=0)
    chat_when_voice_wait_s: float = Field(6.0, ge=0, description="post in chat if the voice is this far off")
    chat_intents: list[str] = Field(default_factory=lambda: ["complaint"],
                                    description="answered in chat: personal matters not for the whole room")
    max_chat_chars: int = Field(120, ge=20)
    # thanks
    thanks_window_s: dict[str, float] = Field(default_factory=dict,
                                              description="per category: collect this long before thanking")
    thanks_in_chat: bool = Field(False, description="thank-yous may go to chat when the voice is busy")
    thanks_names: int = Field(2, ge=0, description="names said in a thank-you line")
    name_max_chars: int = Field(8, ge=1, description="longer display names are cut")
    # bookkeeping
    tick_s: float = Field(1.0, gt=0, description="housekeeping interval (expiry, batches)")
    history_viewers: int = Field(5000, ge=10)

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        return _merge(DEFAULT_WEIGHTS, value, "weights")

    @field_validator("expiry_s")
    @classmethod
    def _expiry(cls, value: dict[str, float]) -> dict[str, float]:
        if any(v <= 0 for v in value.values()):
            raise ValueError("expiry times must be positive")
        return _merge(DEFAULT_EXPIRY_S, value, "expiry_s")

    @field_validator("thanks_window_s")
    @classmethod
    def _thanks_window(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(THANKS_CATEGORIES))
        if unknown:
            raise ValueError(f"unknown thanks categor(ies) {', '.join(unknown)}; known: {', '.join(THANKS_CATEGORIES)}")
        if any(v < 0 for v in value.values()):
            raise ValueError("windows cannot be negative")
        return {**DEFAULT_THANKS_WINDOW_S, **value}

    @field_validator("grounded_intents")
    @classmethod
    def _grounded(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(GROUNDED_INTENTS))
        if unknown:
            raise ValueError(f"no single catalog fact answers {', '.join(unknown)}; "
                             f"groundable: {', '.join(GROUNDED_INTENTS)}")
        return value

    @field_validator("chat_intents", "catalog_intents")
    @classmethod
    def _chat_intents(cls, value: list[str]) -> list[str]:
        known = {i.value for i in Intent}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown intent(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return value

    def model_post_init(self, _context: Any) -> None:
        if not self.weights:
            self.weights = dict(DEFAULT_WEIGHTS)
        if not self.expiry_s:
            self.expiry_s = dict(DEFAULT_EXPIRY_S)
        if not self.thanks_window_s:
            self.thanks_window_s = dict(DEFAULT_THANKS_WINDOW_S)

    def weight(self, key: str) -> float:
        return self.weights.get(key, self.weights.get("other", 1.0))

    def expiry(self, key: str) -> float:
        return self.expiry_s.get(key, self.expiry_s.get("other", 20.0))
