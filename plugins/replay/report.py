"""The replay report: what the room engine decided for every trace event and what it said, when.

::

    {"summary": {"events", "comments", "answered", "aggregated", "dropped", "blocked", "replies",
                 "llm_calls", "llm_calls_by_intent", "reply_latency_ms": {"p50", "p95"}},
     "replies": [{"text", "kind", "channel", "at", "duration", "answers", "sku"}],
     "decisions": {"<event id>": {"outcome", "reason", "reply"?}}}

``at`` is in trace seconds (when a voice line starts, when a chat line is posted); ``duration`` is the
speech time of a voice line (0 for chat); ``sku`` the product the reply is about (None: none, e.g. a
question back "which link do you mean?"). ``reply`` in a decision is the index in ``replies`` of the
reply that settled it (answered and aggregated only; an addition to the issue's format that lets a
reader follow a question to its answer). ``reply_latency_ms`` is measured over every comment an answer
(``kind`` "answer") lists in ``answers``: from the comment's trace time to the reply's ``at``. Greetings
settled by a batched welcome are left out: their wait is the batch window, by design.
``llm_calls_by_intent`` splits ``llm_calls`` by the intent of the question that cost them (``{"spec": 12,
"price": 3}``), to see where a show's LLM calls go.
"""

from __future__ import annotations

import math
from typing import Any

from hub.decisions import Decision, ReplyRecord
from plugins.replay.trace import REPLAY_ROOM

OUTCOME_KEYS = ("answered", "aggregated", "dropped", "blocked")


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank ``q`` percentile (0 < q <= 100) of ``values``, None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


class ReportCollector:
    """Listens to the answer queue (decisions and replies of every room) during a replay."""

    def __init__(self) -> None:
        self.decisions: dict[str, Decision] = {}
        self.replies: list[ReplyRecord] = []
        self.t0 = 0.0

    def on_decision(self, _room: str, decision: Decision) -> None:
        self.decisions[decision.event_id] = decision

    def on_reply(self, _room: str, record: ReplyRecord) -> None:
        self.replies.append(record)

    def build(self, trace: list[dict[str, Any]], *, llm_calls: int,
              llm_calls_by_intent: dict[str, int] | None = None) -> dict[str, Any]:
        """The report for ``trace`` (events without a decision are listed as ignored, ``no_decision``)."""
        times = {r["id"]: float(r["t"]) for r in trace}
        comments = {r["id"] for r in trace if r["type"] == "comment"}
        # Reply indexes are per room; the report lists every room's replies in time order.
        ordered = sorted(self.replies, key=lambda r: (r.at, r.index))
        position = {id(record): n for n, record in enumerate(ordered)}
        by_room_index = {(r.reply.room, r.index): position[id(r)] for r in ordered}
        replies, latencies = [], []
        for record in ordered:
            at = record.at - self.t0
            replies.append({"text": record.reply.text, "kind": record.reply.kind, "channel": record.reply.channel,
                            "at": round(at, 3), "duration": round(record.duration, 3),
                            "answers": list(record.reply.answers), "sku": record.sku})
            if record.reply.kind == "answer":
                latencies.extend(max(0.0, at - times[e]) * 1000 for e in record.reply.answers if e in comments)
        decisions: dict[str, dict[str, Any]] = {}
        counts = dict.fromkeys(OUTCOME_KEYS, 0)
        for record in trace:
            decision = self.decisions.get(record["id"])
            if decision is None:
                decisions[record["id"]] = {"outcome": "ignored", "reason": "no_decision"}
                continue
            entry = decision.as_dict()
            if decision.reply is not None:
                room = str(record.get("room") or REPLAY_ROOM)
                entry["reply"] = by_room_index.get((room, decision.reply), decision.reply)
            decisions[record["id"]] = entry
            if decision.outcome in counts:
                counts[decision.outcome] += 1
        p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
        summary = {"events": len(trace), "comments": len(comments), **counts, "replies": len(replies),
                   "llm_calls": llm_calls, "llm_calls_by_intent": dict(llm_calls_by_intent or {}),
                   "reply_latency_ms": {"p50": None if p50 is None else round(p50),
                                        "p95": None if p95 is None else round(p95)}}
        return {"summary": summary, "replies": replies, "decisions": decisions}
