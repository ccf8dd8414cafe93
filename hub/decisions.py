"""What the answering plugin decided for each room event and what it said: shared records.

The plugin that answers viewers (:class:`hub.interfaces.AnswerQueue`) reports, to listeners any plugin
may add (``livehub replay`` builds its report from them, benchmarks count them):

* one final :class:`Decision` per platform event of a room, ``outcome`` one of :data:`OUTCOMES`:

  * ``answered`` — the first ask a reply settles (reason: the intent, or ``thanks``; ``price (grounded:
    catalog)`` when an LLM answer missed the asked fact and the catalog's was said instead);
  * ``aggregated`` — settled by a reply to the same question (``same_question``), a reply said just
    before (``answered_recently``) or a batched thank-you (``thanks_batch``);
  * ``dropped`` — ``spam:*``, ``abuse``, ``injection``, ``expired``, ``overflow``, ``viewer_limit``,
    ``operator_skip``;
  * ``blocked`` — the answer was written but review let nothing of it through (``review: <reason>``), or
    writing it failed (``error: <exception>``);
  * ``ignored`` — nothing to say (``chitchat``, ``not_a_question``, ``empty``, ``stats``, ``stage``,
    ``refunded``: a refund is not thanked).

  ``reply`` is the index of the settling reply in the room's reply log (answered and aggregated only);
* a :class:`ReplyRecord` per published :class:`hub.events.Reply`, with its room-clock start and speech time;
* a :class:`Question` per viewer comment taken as a question, with its intent and the product it is about
  (the CRM's timeline and leads are built from them), whatever its decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.events import Reply, User

__all__ = ["OUTCOMES", "Decision", "ReplyRecord", "Question"]

OUTCOMES = ("answered", "aggregated", "dropped", "blocked", "ignored")


@dataclass(frozen=True, slots=True)
class Decision:
    """The final decision on one event (``event_id``) of a room, at ``at`` on the room clock."""

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


@dataclass(frozen=True, slots=True)
class Question:
    """A viewer's question (event ``event_id``, written on ``platform`` by ``user``): its ``intent`` (price,
    stock, spec, shipping, promotion, purchase, complaint, other) and the product it is about (``sku``: named,
    or the one on stage for a product question; None when unknown). ``text`` is what they wrote."""

    event_id: str
    platform: str
    user: User
    intent: str
    sku: str | None
    text: str
    at: float = 0.0
