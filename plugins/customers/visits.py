"""A viewer's visit to a room, as the CRM sees it: one note per visit that gathers their questions (intent and
product), gifts and orders, written once the visit is over; and the keys that make every CRM write idempotent.

A visit starts at a viewer's first activity in a room and lasts while they come back within
``note_after_s`` of their last activity (or until the room's show ends). Its note waits in the CRM outbox (a
write with a due time, amended with each new activity) and is written once, when it falls due: a visit is one
note whatever the hub restarts or CRM outages meanwhile.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Visit", "RoomCustomers", "account_of", "note_prefix", "lead_key", "summary"]

MAX_LINES = 200
"""Questions (and gifts, orders) kept in one note; more are counted, not listed."""


def account_of(platform: str, user_id: str) -> str:
    """The CRM key of a viewer's account, ``"<platform>:<user id>"`` (a user id that already names its
    platform is kept)."""
    return user_id if user_id.startswith(f"{platform}:") else f"{platform}:{user_id}"


def note_prefix(room: str, account: str | None = None) -> str:
    """The key prefix of a room's visit notes (of one account when given)."""
    return f"note:{room}:" if account is None else f"note:{room}:{account}:"


def lead_key(room: str, account: str, sku: str) -> str:
    """The deal key of the lead a viewer's question opens on a product in a room."""
    return f"lead:{room}:{account}:{sku}"


@dataclass
class Visit:
    """One viewer's visit: the outbox key of its note and the note's payload so far."""

    key: str
    payload: dict[str, Any]

    @classmethod
    def start(cls, room: str, account: str, name: str, first_event: str) -> Visit:
        payload = {"external_key": account, "text": "", "subject": f"LiveHub: visit to live room {room}",
                   "room": room, "name": name, "started": round(time.time(), 3), "questions": [], "gifts": [],
                   "orders": [], "more": 0}
        return cls(f"{note_prefix(room, account)}{first_event}", payload)

    def add(self, kind: str, line: dict[str, Any]) -> None:
        lines = self.payload.setdefault(kind, [])
        if sum(len(self.payload.get(k) or []) for k in ("questions", "gifts", "orders")) >= MAX_LINES:
            self.payload["more"] = int(self.payload.get("more") or 0) + 1
        else:
            lines.append(line)
        self.payload["last"] = round(time.time(), 3)
        self.payload["text"] = summary(self.payload)


@dataclass
class RoomCustomers:
    """Per-room state (on the room's slots): open visits by account, and what each viewer bought."""

    visits: dict[str, Visit] = field(default_factory=dict)
    bought: set[tuple[str, str]] = field(default_factory=set)


def summary(payload: dict[str, Any]) -> str:
    """The note's text: what the viewer asked, gave and bought during the visit."""
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(float(payload.get("started") or 0)))
    out = [f"Visit to live room {payload.get('room')} from {started}."]
    questions = payload.get("questions") or []
    if questions:
        out.append(f"Questions ({len(questions)}):")
        out += [f"- {q.get('intent')} about {q.get('sku') or 'no product'}: {q.get('text')}" for q in questions]
    orders = payload.get("orders") or []
    if orders:
        out.append(f"Orders ({len(orders)}):")
        out += [f"- order {o.get('order_id')}: {o.get('qty')} x {o.get('sku')}"
                + (f", {o.get('amount')} {o.get('currency')}" if o.get("amount") is not None else "")
                + (" (refunded)" if o.get("status") == "refunded" else "") for o in orders]
    gifts = payload.get("gifts") or []
    if gifts:
        out.append("Gifts: " + ", ".join(f"{g.get('gift')} x{g.get('count')}" for g in gifts))
    if payload.get("more"):
        out.append(f"(and {payload['more']} more not listed)")
    return "\n".join(out)
