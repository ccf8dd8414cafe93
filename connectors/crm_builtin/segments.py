"""Segments of the built-in CRM: saved filters over people and their timelines, for features that address an
audience (outbound content) and for the merchant.

A definition says what its people did; every condition given must hold::

    {"asked": {"intent": "price", "sku": "TEA-001", "within_days": 7},
     "bought": {"sku": "TEA-001", "within_days": 7, "at_most": 0}}      # asked the price of X, did not buy
    {"bought": {"at_least": 2}}                                        # bought twice
    {"visits": {"at_most": 1}}                                         # first-time viewers

* ``asked``: at least one question (of that ``intent``, about that ``sku``, in the last ``within_days``);
* ``bought``: the number of orders (of that ``sku``, in the last ``within_days``; refunds not counted) is
  between ``at_least`` (default 1) and ``at_most``;
* ``visits``: the number of visits (a visit note each) between ``at_least`` and ``at_most``;
* ``consent``: the person's consent (``granted``, ``refused``, ``unknown``); ``platform``: has an account there.

The questions and orders are those of the visit notes the customers plugin writes (``data.questions`` with
their time, ``data.orders``). Members are computed when asked for (``GET /api/v1/segments/<name>``).

A segment belongs to a tenant (hub/tenants.py; ``""`` the operator's) and selects only that tenant's people.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from hub.storage.tables import people, person_activities, person_identities, segments

if TYPE_CHECKING:
    from hub.storage.store import Storage

DAY = 86400.0


class Asked(BaseModel):
    model_config = ConfigDict(extra="forbid")
    intent: str | None = Field(None, max_length=32)
    sku: str | None = Field(None, max_length=200)
    within_days: float | None = Field(None, gt=0, le=3650)


class Bought(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str | None = Field(None, max_length=200)
    within_days: float | None = Field(None, gt=0, le=3650)
    at_least: int = Field(1, ge=0)
    at_most: int | None = Field(None, ge=0)


class Visits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at_least: int = Field(1, ge=0)
    at_most: int | None = Field(None, ge=0)


class Definition(BaseModel):
    """A segment's definition (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")
    asked: Asked | None = None
    bought: Bought | None = None
    visits: Visits | None = None
    consent: Literal["granted", "refused", "unknown"] | None = None
    platform: str | None = Field(None, max_length=64)

    def matches(self, person: dict[str, Any], now: float) -> bool:
        notes = [a for a in person["activities"] if a["kind"] == "note" and isinstance(a["data"], dict)]
        if self.consent is not None and person["consent"] != self.consent:
            return False
        if self.platform is not None and not any(a.startswith(f"{self.platform}:") for a in person["accounts"]):
            return False
        if self.visits is not None:
            visits = sum(1 for n in notes if n["data"].get("room"))
            if visits < self.visits.at_least or (self.visits.at_most is not None and visits > self.visits.at_most):
                return False
        if self.asked is not None and not any(self._asked(q, n, now) for n in notes
                                              for q in n["data"].get("questions") or []):
            return False
        if self.bought is not None:
            orders = {o.get("order_id") for n in notes for o in n["data"].get("orders") or []
                      if isinstance(o, dict) and self._bought(o, n, now)}
            if len(orders) < self.bought.at_least or (self.bought.at_most is not None
                                                      and len(orders) > self.bought.at_most):
                return False
        return True

    def _asked(self, question: Any, note: dict[str, Any], now: float) -> bool:
        rule = self.asked
        if not isinstance(question, dict) or rule is None:
            return False
        at = float(question.get("at") or note["ts"])
        return ((rule.intent is None or question.get("intent") == rule.intent)
                and (rule.sku is None or question.get("sku") == rule.sku)
                and (rule.within_days is None or at >= now - rule.within_days * DAY))

    def _bought(self, order: dict[str, Any], note: dict[str, Any], now: float) -> bool:
        rule = self.bought
        if rule is None or order.get("status") == "refunded":
            return False
        at = float(note["data"].get("last") or note["ts"])
        return ((rule.sku is None or order.get("sku") == rule.sku)
                and (rule.within_days is None or at >= now - rule.within_days * DAY))


# -- storage ------------------------------------------------------------------------------------------


async def save(storage: Storage, name: str, definition: Definition, *, tenant: str = "") -> None:
    now = time.time()
    body = definition.model_dump(exclude_none=True)
    async with storage.engine.begin() as conn:
        done = await conn.execute(segments.update().where(segments.c.tenant == tenant, segments.c.name == name)
                                  .values(definition=body, updated_ts=now))
        if not done.rowcount:
            await conn.execute(segments.insert().values(tenant=tenant, name=name, definition=body, created_ts=now,
                                                        updated_ts=now))


async def delete(storage: Storage, name: str, *, tenant: str = "") -> bool:
    async with storage.engine.begin() as conn:
        done = await conn.execute(segments.delete().where(segments.c.tenant == tenant, segments.c.name == name))
        return bool(done.rowcount)


async def listed(storage: Storage, *, tenant: str | None = None) -> list[dict[str, Any]]:
    """The segments of ``tenant`` (None: every tenant's), by name."""
    query = sa.select(segments).order_by(segments.c.tenant, segments.c.name)
    if tenant is not None:
        query = query.where(segments.c.tenant == tenant)
    async with storage.engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(query)]


async def get(storage: Storage, name: str, *, tenant: str = "") -> dict[str, Any] | None:
    async with storage.engine.connect() as conn:
        row = (await conn.execute(sa.select(segments).where(segments.c.tenant == tenant,
                                                            segments.c.name == name))).first()
    return dict(row._mapping) if row is not None else None


async def members(storage: Storage, definition: Definition, now: float | None = None, *,
                  tenant: str = "") -> list[dict[str, Any]]:
    """The people of ``tenant`` (not merged away) the definition selects: ``id``, ``name``, ``email``,
    ``consent``, ``accounts``."""
    now = time.time() if now is None else now
    async with storage.engine.connect() as conn:
        found = {r.id: {**dict(r._mapping), "accounts": [], "activities": []}
                 for r in await conn.execute(sa.select(people.c.id, people.c.name, people.c.email, people.c.consent)
                                             .where(people.c.merged_into.is_(None), people.c.tenant == tenant))}
        for row in await conn.execute(sa.select(person_identities.c.person_id, person_identities.c.platform,
                                                person_identities.c.user_id)):
            if row.person_id in found:
                found[row.person_id]["accounts"].append(f"{row.platform}:{row.user_id}")
        query = sa.select(person_activities.c.person_id, person_activities.c.kind, person_activities.c.data,
                          person_activities.c.ts).where(person_activities.c.kind == "note")
        for row in await conn.execute(query):
            if row.person_id in found:
                found[row.person_id]["activities"].append(dict(row._mapping))
    chosen = [p for p in found.values() if definition.matches(p, now)]
    return [{k: p[k] for k in ("id", "name", "email", "consent", "accounts")} for p in chosen]
