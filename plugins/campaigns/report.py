"""A campaign's results per variant: messages sent, people who clicked, clicks, orders attributed and their
GMV, and the variant that won.

**Attribution**: an order of the item's product, placed from one of the person's accounts within
``attribution_hours`` after their click (the latest click before it), counts for the variant that person got;
each order counts once. Opens are not counted (that would need a tracking pixel in every email; LiveHub adds
none).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from hub.storage.tables import campaign_deliveries, campaign_items, events, person_identities


async def campaign_report(storage: Any, campaign: str, attribution_hours: float = 72.0) -> dict[str, Any]:
    window = attribution_hours * 3600.0
    async with storage.engine.connect() as conn:
        rows = [dict(r._mapping) for r in await conn.execute(
            sa.select(campaign_deliveries.c.person_id, campaign_deliveries.c.state, campaign_deliveries.c.clicks,
                      campaign_deliveries.c.clicked_ts, campaign_deliveries.c.channel, campaign_items.c.variant,
                      campaign_items.c.sku)
            .join(campaign_items, campaign_items.c.id == campaign_deliveries.c.item_id)
            .where(campaign_deliveries.c.campaign == campaign))]
        people = {r["person_id"] for r in rows if r["clicked_ts"]}
        accounts: dict[tuple[str, str], int] = {}
        if people:
            for acc in await conn.execute(sa.select(person_identities.c.platform, person_identities.c.user_id,
                                                    person_identities.c.person_id)
                                          .where(person_identities.c.person_id.in_(people))):
                accounts[(acc.platform, acc.user_id)] = acc.person_id
        since = min((r["clicked_ts"] for r in rows if r["clicked_ts"]), default=None)
        orders: list[tuple[int, float, dict[str, Any]]] = []
        if accounts and since is not None:
            query = sa.select(events.c.platform, events.c.user_id, events.c.received_ts, events.c.payload).where(
                events.c.type == "order", events.c.received_ts >= since,
                sa.tuple_(events.c.platform, events.c.user_id).in_(list(accounts)))
            for order in await conn.execute(query):
                orders.append((accounts[(order.platform, order.user_id)], float(order.received_ts),
                               dict(order.payload or {})))
    variants: dict[str, dict[str, Any]] = defaultdict(lambda: {"sent": 0, "clicked": 0, "clicks": 0, "orders": 0,
                                                               "gmv": defaultdict(Decimal)})
    clicks: dict[tuple[int, str], list[tuple[float, str]]] = defaultdict(list)  # (person, sku) → (time, variant)
    for r in rows:
        v = variants[r["variant"]]
        v["sent"] += r["state"] == "sent"
        v["clicked"] += r["clicks"] > 0
        v["clicks"] += r["clicks"]
        if r["clicked_ts"]:
            clicks[(r["person_id"], r["sku"])].append((float(r["clicked_ts"]), r["variant"]))
    counted: set[str] = set()
    for person, at, order in orders:
        if order.get("status") == "refunded" or str(order.get("order_id")) in counted:
            continue
        before = [c for c in clicks.get((person, str(order.get("sku"))), []) if c[0] <= at <= c[0] + window]
        if not before:
            continue
        variant = max(before)[1]
        counted.add(str(order.get("order_id")))
        variants[variant]["orders"] += 1
        try:
            variants[variant]["gmv"][str(order.get("currency") or "")] += Decimal(str(order.get("amount")))
        except (InvalidOperation, ValueError):
            pass
    out = {name: {**v, "gmv": {c: str(a) for c, a in v["gmv"].items()},
                  "click_rate": round(v["clicked"] / v["sent"], 3) if v["sent"] else None}
           for name, v in sorted(variants.items())}
    ranked = sorted((v["orders"], v["click_rate"] or 0.0, name) for name, v in out.items() if v["sent"])
    winner = ranked[-1][2] if ranked and (ranked[-1][0] or ranked[-1][1]) else None
    return {"campaign": campaign, "attribution_hours": attribution_hours, "variants": out, "winner": winner,
            "opens": None}
