"""The room engine's log: recent decisions and replies of one room, for metrics, the console and listeners.

The records themselves (:class:`~hub.decisions.Decision`, :class:`~hub.decisions.ReplyRecord`) are shared
with other plugins through :mod:`hub.decisions`; every platform event a room sees gets exactly one final
decision (see that module for the outcomes and reasons).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from hub.decisions import OUTCOMES, Decision, Question, ReplyRecord

__all__ = ["RoomLog"]


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
    on_question: list[Callable[[str, Question], None]] = field(default_factory=list)
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

    def asked(self, room: str, question: Question) -> None:
        for listener in self.on_question:
            listener(room, question)

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
