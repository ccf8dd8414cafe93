"""The figures of one broadcast, from the hub's database: viewers and comments per minute, questions by intent
and product, the answer rate and latency, what was dropped and blocked and why, the lines the guardrails
rewrote or blocked, orders and GMV by product, conversion (askers who bought) and the new leads.

Sources: the broadcast's row (room, start, end), the room's stored events in that window (comments, stats,
orders, replies), ``room_decisions`` (:mod:`.recorder`), the audit log's reviewed lines and the CRM outbox's
leads.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from hub.storage.tables import audit_log, broadcasts, crm_outbox, room_decisions

MINUTE = 60.0


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def _minute(ts: float, start: float) -> int:
    return int((ts - start) // MINUTE)


async def broadcast_row(storage: Any, broadcast_id: int) -> dict[str, Any] | None:
    async with storage.engine.connect() as conn:
        row = (await conn.execute(sa.select(broadcasts).where(broadcasts.c.id == broadcast_id))).first()
    return dict(row._mapping) if row is not None else None


async def compute(storage: Any, broadcast_id: int, now: float | None = None) -> dict[str, Any] | None:
    """The report's figures (a JSON-ready dict), or None when there is no such broadcast."""
    row = await broadcast_row(storage, broadcast_id)
    if row is None:
        return None
    room = row["room"]
    start = float(row["started_ts"] or row["planned_ts"] or 0.0)
    end = float(row["ended_ts"] or (time.time() if now is None else now))
    viewers: dict[int, int] = {}
    comments: Counter[int] = Counter()
    received: dict[str, float] = {}
    first_reply: dict[str, float] = {}
    orders: list[dict[str, Any]] = []
    async for event in storage.room_events(room, since=start, until=end):
        kind, ts = event.get("type"), float(event.get("received_ts") or start)
        if kind == "stats" and isinstance(event.get("viewers"), int):
            minute = _minute(ts, start)
            viewers[minute] = max(viewers.get(minute, 0), event["viewers"])
        elif kind == "comment":
            comments[_minute(ts, start)] += 1
            received[str(event.get("id"))] = ts
        elif kind == "order":
            orders.append(event)
        elif kind == "reply":
            for answered in event.get("answers") or []:
                first_reply.setdefault(str(answered), ts)
    decisions = await _decisions(storage, room, start, end)
    questions = [d for d in decisions if d["intent"]]
    outcomes = Counter(d["outcome"] for d in questions)
    settled = outcomes["answered"] + outcomes["aggregated"]
    latencies = [first_reply[d["event_id"]] - received[d["event_id"]] for d in questions
                 if d["outcome"] in ("answered", "aggregated") and d["event_id"] in first_reply
                 and d["event_id"] in received]
    sales = _sales(orders)
    askers = {d["asker"] for d in questions if d["asker"]}
    buyers = {_account(o) for o in orders if o.get("status") != "refunded"}
    return {
        "broadcast": {"id": broadcast_id, "room": room, "title": row["title"], "status": row["status"],
                      "started_ts": start, "ended_ts": row["ended_ts"], "minutes": round((end - start) / MINUTE, 1)},
        "viewers_per_minute": [[m, viewers[m]] for m in sorted(viewers)],
        "peak_viewers": max(viewers.values(), default=0),
        "comments_per_minute": [[m, comments[m]] for m in sorted(comments)],
        "comments": sum(comments.values()),
        "questions": {"total": len(questions), "by_intent": dict(Counter(d["intent"] for d in questions)
                                                                  .most_common()),
                      "by_product": dict(Counter(d["sku"] or "(none)" for d in questions).most_common())},
        "answers": {"answered": outcomes["answered"], "aggregated": outcomes["aggregated"],
                    "rate": round(settled / len(questions), 3) if questions else None,
                    "latency_s": {"p50": _pct(latencies, 0.5), "p95": _pct(latencies, 0.95), "n": len(latencies)}},
        "dropped": dict(Counter(d["reason"] for d in decisions if d["outcome"] == "dropped").most_common()),
        "blocked": dict(Counter(d["reason"] for d in decisions if d["outcome"] == "blocked").most_common()),
        "review": await _reviewed(storage, room, start, end),
        "orders": sales,
        "conversion": {"askers": len(askers), "askers_who_bought": len(askers & buyers),
                       "rate": round(len(askers & buyers) / len(askers), 3) if askers else None},
        "leads": {"new": await _new_leads(storage, room, start, end)},
        "generated_ts": round(time.time(), 3),
    }


def _account(order: dict[str, Any]) -> str:
    user = str((order.get("user") or {}).get("id") or "")
    platform = str(order.get("platform") or "")
    return user if user.startswith(f"{platform}:") else f"{platform}:{user}"


def _sales(orders: list[dict[str, Any]]) -> dict[str, Any]:
    gmv: defaultdict[str, Decimal] = defaultdict(Decimal)
    products: dict[str, dict[str, Any]] = {}
    placed = {str(o.get("order_id")) for o in orders if o.get("status") != "refunded"}
    units = 0
    for order in orders:
        sign = -1 if order.get("status") == "refunded" else 1
        try:
            amount = Decimal(str(order.get("amount"))) if order.get("amount") is not None else None
        except InvalidOperation:
            amount = None
        qty = int(order.get("qty") or 0) * sign
        units += qty
        product = products.setdefault(str(order.get("sku")), {"units": 0, "gmv": defaultdict(Decimal)})
        product["units"] += qty
        if amount is not None:
            gmv[str(order.get("currency") or "")] += amount * sign
            product["gmv"][str(order.get("currency") or "")] += amount * sign
    return {"count": len(placed), "units": units, "gmv": {c: str(v) for c, v in gmv.items()},
            "by_product": {sku: {"units": p["units"], "gmv": {c: str(v) for c, v in p["gmv"].items()}}
                           for sku, p in sorted(products.items(), key=lambda kv: -kv[1]["units"])}}


async def _decisions(storage: Any, room: str, start: float, end: float) -> list[dict[str, Any]]:
    query = sa.select(room_decisions).where(room_decisions.c.room == room, room_decisions.c.ts >= start,
                                            room_decisions.c.ts < end).order_by(room_decisions.c.id)
    async with storage.engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(query)]


async def _reviewed(storage: Any, room: str, start: float, end: float) -> dict[str, Any]:
    query = (sa.select(audit_log.c.action, audit_log.c.detail)
             .where(audit_log.c.target == room, audit_log.c.ts >= start, audit_log.c.ts < end,
                    audit_log.c.action.in_(("output_blocked", "output_rewritten"))).order_by(audit_log.c.id))
    async with storage.engine.connect() as conn:
        rows = [dict(r._mapping) for r in await conn.execute(query)]
    reasons = Counter(reason for r in rows for reason in (r["detail"] or {}).get("reasons") or [])
    return {"blocked_lines": sum(r["action"] == "output_blocked" for r in rows),
            "rewritten_lines": sum(r["action"] == "output_rewritten" for r in rows),
            "reasons": dict(reasons.most_common(20))}


async def _new_leads(storage: Any, room: str, start: float, end: float) -> int:
    query = sa.select(sa.func.count(sa.distinct(crm_outbox.c.key))).where(
        crm_outbox.c.key.startswith(f"lead:{room}:", autoescape=True), crm_outbox.c.key.endswith(":open"),
        crm_outbox.c.state != "cancelled", crm_outbox.c.created_ts >= start, crm_outbox.c.created_ts < end)
    async with storage.engine.connect() as conn:
        return int((await conn.execute(query)).scalar() or 0)
