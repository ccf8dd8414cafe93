"""What the room engine decided and said, for metrics, ``livehub replay`` and tests.

Every platform event a room sees gets exactly one final :class:`Decision`:

* ``answered`` — the first ask a reply settles (reason: the intent, or ``thanks``; ``price (grounded:
  catalog)`` when an LLM answer missed the asked fact and the catalog's was said instead);
* ``aggregated`` — settled by a reply to the same question (``same_question``), a reply said just
  before (``answered_recently``) or a batched thank-you (``thanks_batch``);
* ``dropped`` — ``spam:*``, ``abuse``, ``injection``, ``expired``, ``overflow``, ``viewer_limit``;
* ``blocked`` — the answer was written but review let nothing of it through (``review: <reason>``), or
  writing it failed (``error: <exception>``);
* ``ignored`` — nothing to say (``chitchat``, ``not_a_question``, ``empty``, ``stats``, ``stage``).

``reply`` is the index of the settling reply in the room's reply log (answered and aggregated only).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hub.events import Reply

OUTCOMES = ("answered", "aggregated", "dropped", "blocked", "ignored")


@dataclass(frozen=True, slots=True)
class Decision:
    event_id: str
    outcome: str
    reason: str
    reply: int | None = None
    at: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"outcome": self.outcome, "reason": self.reason}
        if self.reply is not None:
            out["reply"] = self.reply
        return out


@dataclass(frozen=True, slots=True)
class ReplyRecord:
    """A published reply with its room-clock start, its speech time (voice) and what it was about."""

    reply: Reply
    index: int
    at: float
    duration: float
    intent: str = ""
    sku: str | None = None
    backend: str = ""
    reasons: tuple[str, ...] = ()


@dataclass
class RoomLog:
    """Recent decisions and replies of one room (bounded), plus listeners that see every one."""

    max_decisions: int = 20_000
    max_replies: int = 500
    decisions: OrderedDict[str, Decision] = field(default_factory=OrderedDict)
    replies: list[ReplyRecord] = field(default_factory=list)
    reply_count: int = 0
    on_decision: list[Callable[[str, Decision], None]] = field(default_factory=list)
    on_reply: list[Callable[[str, ReplyRecord], None]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    def decide(self, room: str, decision: Decision) -> None:
        previous = self.decisions.pop(decision.event_id, None)
        if previous is not None:  # a re-delivered event: count it once
            self.counts[previous.outcome] -= 1
        self.decisions[decision.event_id] = decision
        self.counts[decision.outcome] += 1
        while len(self.decisions) > self.max_decisions:
            self.decisions.popitem(last=False)
        for listener in self.on_decision:
            listener(room, decision)

    def next_index(self) -> int:
        index = self.reply_count
        self.reply_count += 1
        return index

    def replied(self, room: str, record: ReplyRecord) -> None:
        self.replies.append(record)
        if len(self.replies) > self.max_replies:
            del self.replies[: len(self.replies) - self.max_replies]
        for listener in self.on_reply:
            listener(room, record)

    def recent_texts(self, n: int = 3) -> list[str]:
        return [r.reply.text for r in self.replies[-n:] if r.reply.kind == "answer"]
