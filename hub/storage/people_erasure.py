"""A person's data out of the hub (export) and out of the hub for good (erasure), both audited.

:func:`export_person` gathers everything the hub holds about a person of the built-in CRM: the person, their
accounts, timeline, the events their accounts produced (comments with their text, gifts, orders) and the CRM
writes about them. :func:`erase_person` removes it everywhere in the hub's database: the person (and people
merged into them), accounts and timeline; their events keep their place and counts but lose the text, the
name, the email and the user id; the host's replies to them lose their name (in the text and the askers);
CRM writes about them lose their key and payload (a pending one is withdrawn); the old ``viewers`` rows of
their accounts go; the room's decisions on their questions lose the asker; campaign deliveries to them lose
the person and their links stop working (the counts stay). The audit log records who did it
and how many rows changed, never the data itself. External CRMs (HubSpot, Salesforce) are not reached:
erase the person there too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hub.storage.tables import (
    campaign_deliveries,
    contacts,
    crm_outbox,
    events,
    people,
    person_activities,
    person_identities,
    replies,
    room_decisions,
    viewers,
)

if TYPE_CHECKING:
    from hub.storage.store import Storage

__all__ = ["export_person", "erase_person", "ERASED"]

ERASED = "[erased]"


async def _family(conn: Any, person_id: int) -> list[int]:
    """The person and everyone merged into them (transitively)."""
    found, todo = [person_id], [person_id]
    while todo:
        rows = await conn.execute(sa.select(people.c.id).where(people.c.merged_into.in_(todo)))
        todo = [r.id for r in rows if r.id not in found]
        found += todo
    return found


async def _who(conn: Any, person_id: int) -> tuple[list[int], list[tuple[str, str]], set[str], set[str]]:
    """(person ids, accounts, CRM keys, names and addresses to redact)."""
    family = await _family(conn, person_id)
    accounts = [(r.platform, r.user_id) for r in await conn.execute(
        sa.select(person_identities.c.platform, person_identities.c.user_id)
        .where(person_identities.c.person_id.in_(family)))]
    rows = [r for r in await conn.execute(sa.select(people.c.name, people.c.email, people.c.phone)
                                          .where(people.c.id.in_(family)))]
    keys = {f"{p}:{u}" for p, u in accounts} | {r.email for r in rows if r.email}
    words = {w for r in rows for w in (r.name, r.email, r.phone) if w and len(w) >= 2}
    return family, accounts, keys, words


def _account_events(accounts: list[tuple[str, str]]) -> Any:
    if not accounts:
        return sa.false()
    return sa.or_(*[sa.and_(events.c.platform == p, events.c.user_id == u) for p, u in accounts])


async def export_person(storage: Storage, person_id: int, actor: str) -> dict[str, Any] | None:
    """Everything the hub holds about the person (None: no such person)."""
    async with storage.engine.connect() as conn:
        row = (await conn.execute(sa.select(people).where(people.c.id == person_id))).first()
        if row is None:
            return None
        family, accounts, keys, _ = await _who(conn, person_id)
        timeline = [dict(r._mapping) for r in await conn.execute(
            sa.select(person_activities).where(person_activities.c.person_id.in_(family))
            .order_by(person_activities.c.ts, person_activities.c.id))]
        produced = [dict(r._mapping) for r in await conn.execute(
            sa.select(events).where(_account_events(accounts)).order_by(events.c.received_ts))]
        writes = [dict(r._mapping) for r in await conn.execute(
            sa.select(crm_outbox).order_by(crm_outbox.c.id)) if (r.payload or {}).get("external_key") in keys]
    await storage.audit(actor=actor, action="contacts.export", target=f"person:{person_id}",
                        detail={"events": len(produced), "timeline": len(timeline), "crm_writes": len(writes)})
    return {"person": dict(row._mapping), "people_merged": [p for p in family if p != person_id],
            "accounts": [f"{p}:{u}" for p, u in accounts], "timeline": timeline, "events": produced,
            "crm_writes": writes}


def _redact(value: Any, words: set[str]) -> Any:
    if isinstance(value, str):
        for word in sorted(words, key=len, reverse=True):
            value = value.replace(word, ERASED)
        return value
    if isinstance(value, list):
        return [_redact(v, words) for v in value]
    if isinstance(value, dict):
        return {k: _redact(v, words) for k, v in value.items()}
    return value


def _blank_event(payload: dict[str, Any]) -> dict[str, Any]:
    out = dict(payload)
    for key in ("text", "email"):
        if out.get(key):
            out[key] = ERASED
    if isinstance(out.get("user"), dict):
        out["user"] = {"id": "erased", "name": ""}
    return out


async def erase_person(storage: Storage, person_id: int, actor: str) -> dict[str, int] | None:
    """Remove the person's data everywhere in the hub's database; how many rows of each kind changed (None: no
    such person). Audited."""
    counts = {"people": 0, "accounts": 0, "timeline": 0, "events": 0, "replies": 0, "crm_writes": 0, "viewers": 0,
              "decisions": 0, "deliveries": 0}
    async with storage.engine.begin() as conn:
        if (await conn.execute(sa.select(people.c.id).where(people.c.id == person_id))).first() is None:
            return None
        family, accounts, keys, words = await _who(conn, person_id)
        words |= {u for _, u in accounts if len(u) >= 3}
        erased_ids = []
        for row in await conn.execute(sa.select(events.c.id, events.c.event_id, events.c.payload)
                                      .where(_account_events(accounts))):
            erased_ids.append(row.event_id)
            await conn.execute(events.update().where(events.c.id == row.id).values(
                user_id="erased", user_name="", payload=_blank_event(dict(row.payload or {}))))
            counts["events"] += 1
        mine = {f"{p}:{u}" for p, u in accounts}
        for row in await conn.execute(sa.select(events.c.id, events.c.payload).where(events.c.type == "reply")):
            payload = dict(row.payload or {})
            askers = [a for a in payload.get("askers") or [] if isinstance(a, dict)]
            named = [a for a in askers if f"{a.get('platform')}:{(a.get('user') or {}).get('id')}" in mine]
            if named or set(payload.get("answers") or []) & set(erased_ids):
                for asker in named:
                    asker["user"] = {"id": "erased", "name": ""}
                await conn.execute(events.update().where(events.c.id == row.id).values(payload=_redact(payload, words)))
                counts["events"] += 1
        for row in await conn.execute(sa.select(replies.c.id, replies.c.text, replies.c.answers)):
            if set(row.answers or []) & set(erased_ids):
                await conn.execute(replies.update().where(replies.c.id == row.id)
                                   .values(text=_redact(row.text, words)))
                counts["replies"] += 1
        for row in await conn.execute(sa.select(crm_outbox.c.id, crm_outbox.c.key, crm_outbox.c.state,
                                                crm_outbox.c.payload)):
            if (row.payload or {}).get("external_key") in keys or any(f"{k}:" in row.key for k in mine):
                state = "cancelled" if row.state == "pending" else row.state
                await conn.execute(crm_outbox.update().where(crm_outbox.c.id == row.id).values(
                    key=f"erased:{row.id}", payload={"erased": True}, state=state, result=None, last_error=""))
                counts["crm_writes"] += 1
        if mine:
            done = await conn.execute(room_decisions.update().where(room_decisions.c.asker.in_(mine))
                                      .values(asker="erased"))
            counts["decisions"] = done.rowcount or 0
        for platform, user in accounts:
            match = sa.and_(viewers.c.platform == platform, viewers.c.user_id == user)
            await conn.execute(contacts.delete().where(contacts.c.viewer_id.in_(sa.select(viewers.c.id).where(match))))
            counts["viewers"] += (await conn.execute(viewers.delete().where(match))).rowcount or 0
        gone = await conn.execute(campaign_deliveries.update().where(campaign_deliveries.c.person_id.in_(family))
                                  .values(person_id=0, token=sa.literal("erased-") + sa.cast(campaign_deliveries.c.id,
                                                                                             sa.String)))
        counts["deliveries"] = gone.rowcount or 0
        counts["timeline"] = (await conn.execute(person_activities.delete().where(
            person_activities.c.person_id.in_(family)))).rowcount or 0
        counts["accounts"] = (await conn.execute(person_identities.delete().where(
            person_identities.c.person_id.in_(family)))).rowcount or 0
        await conn.execute(people.update().where(people.c.id.in_(family)).values(merged_into=None))
        counts["people"] = (await conn.execute(people.delete().where(people.c.id.in_(family)))).rowcount or 0
    await storage.audit(actor=actor, action="contacts.erase", target=f"person:{person_id}", detail=counts)
    return counts
