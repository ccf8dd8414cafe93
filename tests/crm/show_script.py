"""A one-hour live show with orders, written out event by event, and what it must leave in a CRM.

Viewers on Douyin and TikTok ask about the five products (purchase, price and stock questions), send gifts and
buy. A purchase question opens a lead on that product unless the viewer orders it within the lead time: some
buy in time (no lead), some buy late (the lead is written, then won), some never (the lead stays). The
expected contacts, notes, leads and order deals are derived from the script by those rules, independently of
the hub's code.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hub.events import Comment, Event, Gift, Order, User

ROOM = "main"
SHOW_MIN = 60.0
LEAD_MIN = 10.0
"""The lead time of the rules, in show minutes."""
OUTAGE = (25.0, 35.0)
"""The CRM is down between these show minutes."""
RESTART_MIN = 40.0
"""The hub is restarted at this show minute."""
PRODUCTS = [("TEA-001", 1, "168.00"), ("CUP-002", 2, "59.00"), ("POT-003", 3, "239.00"), ("MAT-004", 4, "35.00"),
            ("JAR-005", 5, "88.00")]
CATALOG = [{"sku": sku, "link": link, "name": f"Product {link}", "price": price, "stock": 500}
           for sku, link, price in PRODUCTS]

PURCHASE = ["how do I buy link {k}?", "I want link {k}, how to order?", "how to buy number {k}?"]
PRICE = ["how much is link {k}?", "what's the price of link {k}?"]
STOCK = ["is link {k} in stock?", "any link {k} left?"]


@dataclass
class Script:
    """The show's events (show minute, event) in order, and what the CRM must hold after it."""

    events: list[tuple[float, Event]] = field(default_factory=list)
    contacts: set[str] = field(default_factory=set)
    questions: dict[str, int] = field(default_factory=dict)  # account → questions in their note
    leads: dict[str, str] = field(default_factory=dict)  # deal key → final stage (lead or won)
    orders: dict[str, str] = field(default_factory=dict)  # deal key → amount


def build(seed: int = 16, viewers: int = 120) -> Script:
    rng = random.Random(seed)
    script = Script()
    n = 0
    decided: set[tuple[str, str]] = set()  # (account, sku) whose first purchase question decided the lead

    def at(minute: float, event: Event) -> None:
        script.events.append((minute, event))

    for v in range(viewers):
        platform = "douyin" if v % 3 else "tiktok"
        user = User(f"u{v:03d}", f"viewer {v}")
        account = f"{platform}:{user.id}"
        start = rng.uniform(0.5, SHOW_MIN - 14)
        asked = 0
        for q in range(rng.randint(1, 3)):
            n += 1
            minute = start + q * rng.uniform(0.5, 3.0)
            sku, link, price = rng.choice(PRODUCTS)
            kind = rng.choices(["purchase", "price", "stock"], [5, 3, 2])[0]
            text = rng.choice({"purchase": PURCHASE, "price": PRICE, "stock": STOCK}[kind]).format(k=link)
            at(minute, Comment(platform=platform, room=ROOM, user=user, text=text, message_id=f"c{n}"))
            asked += 1
            if kind != "purchase":
                continue
            lead = f"lead:{ROOM}:{account}:{sku}"
            fate = rng.choices(["in_time", "late", "never"], [3, 2, 3])[0]
            spans_restart = minute < RESTART_MIN <= minute + 2.5
            if fate == "in_time" and spans_restart:
                fate = "never"  # the restart's pause could make an in-time order late: keep the rule's outcome sure
            if (account, sku) in decided:
                continue  # asked again about the same product: the first question decides
            decided.add((account, sku))
            if fate == "never":
                script.leads[lead] = "lead"
                continue
            order_at = minute + (rng.uniform(0.5, 2.0) if fate == "in_time" else rng.uniform(18.0, 22.0))
            if order_at > SHOW_MIN - 1:
                script.leads[lead] = "lead"
                continue
            oid = f"o{n}"
            at(order_at, Order(platform=platform, room=ROOM, user=user, message_id=f"order-{oid}", order_id=oid,
                               sku=sku, qty=1, amount=Decimal(price), currency="CNY"))
            script.orders[f"order:{oid}:{sku}"] = price
            if fate == "late":
                script.leads[lead] = "won"
            else:
                script.leads.pop(lead, None)
        if rng.random() < 0.2:
            n += 1
            at(start + 0.2, Gift(platform=platform, room=ROOM, user=user, message_id=f"g{n}", gift="rose", count=2))
        script.contacts.add(account)
        script.questions[account] = asked
    script.events.sort(key=lambda item: item[0])
    return script


def describe(script: Script) -> dict[str, Any]:
    return {"events": len(script.events), "contacts": len(script.contacts), "leads": len(script.leads),
            "won": sum(s == "won" for s in script.leads.values()), "orders": len(script.orders)}
