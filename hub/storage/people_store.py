"""The built-in CRM's people in the hub's database: find a person by an account or an email, create, update,
link accounts, merge with a history, and read a person's timeline (tables ``people``, ``person_identities``,
``person_activities``).

**Keys.** ``"<platform>:<user id>"`` names an account (``"douyin:123"``); a key with ``@`` is an email.
**Merging.** When a write says that an account's person has an email another person already has (an order's
email links two platforms' accounts), the two are one person: the newer is merged into the older (accounts and
timeline move; the merged row keeps ``merged_into``; both timelines say so). If the account's person already
has a *different* email, they may be two people sharing an address: nothing is merged, and both timelines
record the refused merge — no silent merges of distinct people.
**Tenants.** Every person belongs to a tenant (hub/tenants.py; ``""`` the operator's): a key names a person within
one tenant (the same account watching two tenants' rooms is two people, one in each), writes take the tenant of
the CRM connector that makes them, and reads given a ``tenant`` see only its people (``None``: every tenant's,
the operator's view).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hub.storage.tables import people, person_activities, person_identities

if TYPE_CHECKING:
    from hub.storage.store import Storage

__all__ = ["upsert_person", "add_activity", "list_people", "get_person", "split_key", "consent_of", "set_consent",
           "set_consent_of"]

CONSENTS = ("unknown", "granted", "refused")


def split_key(key: str) -> tuple[str, str]:
    """``("email", address)`` or ``(platform, user id)``; ValueError for anything else."""
    key = key.strip()
    if "@" in key and ":" not in key.split("@", 1)[0]:
        return "email", key.lower()
    platform, sep, user = key.partition(":")
    if not sep or not platform or not user:
        raise ValueError(f"not an account (platform:user) or an email: {key[:60]!r}")
    return platform, user


async def _live(conn: Any, person_id: int) -> int:
    """Follow ``merged_into`` to the person who stands now."""
    for _ in range(50):
        merged = (await conn.execute(sa.select(people.c.merged_into).where(people.c.id == person_id))).scalar()
        if merged is None:
            return person_id
        person_id = merged
    return person_id


async def _find(conn: Any, key: str, tenant: str) -> int | None:
    kind, value = split_key(key)
    if kind == "email":
        query = sa.select(people.c.id).where(people.c.tenant == tenant, people.c.email == value,
                                             people.c.merged_into.is_(None))
    else:
        query = sa.select(person_identities.c.person_id).where(person_identities.c.tenant == tenant,
                                                               person_identities.c.platform == kind,
                                                               person_identities.c.user_id == value)
    found = (await conn.execute(query.limit(1))).scalar()
    return None if found is None else await _live(conn, found)


async def _create(conn: Any, key: str, name: str, tenant: str) -> int:
    now = time.time()
    kind, value = split_key(key)
    row = await conn.execute(people.insert().values(tenant=tenant, name=name or value,
                                                    email=value if kind == "email" else None,
                                                    consent="unknown", created_ts=now, updated_ts=now))
    person_id = row.inserted_primary_key[0]
    if kind != "email":
        await _link(conn, person_id, key, tenant)
    return person_id


async def _link(conn: Any, person_id: int, key: str, tenant: str) -> None:
    platform, user = split_key(key)
    if platform == "email":
        return
    exists = (await conn.execute(sa.select(person_identities.c.person_id).where(
        person_identities.c.tenant == tenant, person_identities.c.platform == platform,
        person_identities.c.user_id == user))).first()
    if exists is None:
        await conn.execute(person_identities.insert().values(person_id=person_id, tenant=tenant, platform=platform,
                                                             user_id=user, created_ts=time.time()))


async def _note(conn: Any, person_id: int, kind: str, text: str, data: dict[str, Any] | None = None) -> None:
    await conn.execute(person_activities.insert().values(person_id=person_id, kind=kind, text=text, data=data,
                                                         ts=time.time()))


async def _merge(conn: Any, newer: int, older: int, reason: str) -> int:
    """Merge person ``newer`` into ``older``; returns the survivor."""
    if newer < older:
        newer, older = older, newer
    await conn.execute(person_identities.update().where(person_identities.c.person_id == newer)
                       .values(person_id=older))
    await conn.execute(person_activities.update().where(person_activities.c.person_id == newer)
                       .values(person_id=older))
    gone = (await conn.execute(sa.select(people).where(people.c.id == newer))).one()._mapping
    kept = (await conn.execute(sa.select(people).where(people.c.id == older))).one()._mapping
    filled = {k: gone[k] for k in ("email", "phone") if not kept[k] and gone[k]}  # what only the merged one knew
    await conn.execute(people.update().where(people.c.id == newer).values(merged_into=older, email=None,
                                                                          updated_ts=time.time()))
    if filled:
        await conn.execute(people.update().where(people.c.id == older).values(**filled))
    await _note(conn, older, "merged", f"person {newer} merged into {older}: {reason}",
                {"from": newer, "into": older})
    return older


async def upsert_person(storage: Storage, key: str, fields: dict[str, Any], *, tenant: str = "") -> int:
    """Create or update the person of ``key`` with ``fields`` (``name``, ``email``, ``phone``, ``consent``,
    ``accounts``: more ``platform:user`` keys that are the same person); returns the person's id."""
    async with storage.engine.begin() as conn:
        person = await _find(conn, key, tenant) or await _create(conn, key, str(fields.get("name") or ""), tenant)
        for account in fields.get("accounts") or []:
            other = await _find(conn, str(account), tenant)
            if other is None:
                await _link(conn, person, str(account), tenant)
            elif other != person:
                person = await _merge(conn, other, person, f"the same person's account {account}")
        values: dict[str, Any] = {k: str(fields[k]) for k in ("name", "phone") if fields.get(k)}
        if fields.get("consent") in ("granted", "refused", "unknown"):
            values["consent"] = fields["consent"]
        email = str(fields.get("email") or "").strip().lower()
        if email:
            own = (await conn.execute(sa.select(people.c.email).where(people.c.id == person))).scalar()
            holder = await _find(conn, email, tenant)
            if holder is not None and holder != person:
                if own and own != email:  # two addresses: maybe two people sharing one; never merged silently
                    for side in (person, holder):
                        await _note(conn, side, "merge_refused", f"persons {person} and {holder} share {email} but "
                                    f"person {person} has {own}: not merged", {"email": email})
                else:
                    person = await _merge(conn, person, holder, f"the same email {email}")
            elif not own:
                values["email"] = email
        if values:
            values["updated_ts"] = time.time()
            await conn.execute(people.update().where(people.c.id == person).values(**values))
        return person


async def consent_of(storage: Storage, key: str, *, tenant: str = "") -> str:
    """The consent of the person of ``key``: ``granted``, ``refused``, or ``unknown`` (also for no such person)."""
    async with storage.engine.connect() as conn:
        person = await _find(conn, key, tenant)
        if person is None:
            return "unknown"
        found = (await conn.execute(sa.select(people.c.consent).where(people.c.id == person))).scalar()
    return str(found or "unknown")


async def set_consent(storage: Storage, key: str, consent: str, source: str, *, tenant: str = "") -> int:
    """Record the consent of the person of ``key`` (created if new) and where it came from (``source``: a form,
    the operator), on their timeline; returns the person's id."""
    if consent not in CONSENTS:
        raise ValueError(f"consent: one of {', '.join(CONSENTS)}")
    async with storage.engine.begin() as conn:
        person = await _find(conn, key, tenant) or await _create(conn, key, "", tenant)
        await conn.execute(people.update().where(people.c.id == person).values(consent=consent, updated_ts=time.time()))
        await _note(conn, person, "consent", f"consent {consent} ({source})", {"consent": consent, "source": source})
        return person


async def set_consent_of(storage: Storage, person_id: int, consent: str, source: str) -> bool:
    """Record the consent of person ``person_id`` (followed through merges); False when there is none."""
    if consent not in CONSENTS:
        raise ValueError(f"consent: one of {', '.join(CONSENTS)}")
    async with storage.engine.begin() as conn:
        if (await conn.execute(sa.select(people.c.id).where(people.c.id == person_id))).first() is None:
            return False
        person = await _live(conn, person_id)
        await conn.execute(people.update().where(people.c.id == person).values(consent=consent, updated_ts=time.time()))
        await _note(conn, person, "consent", f"consent {consent} ({source})", {"consent": consent, "source": source})
        return True


async def add_activity(storage: Storage, key: str, kind: str, text: str, data: dict[str, Any] | None = None, *,
                       tenant: str = "") -> int:
    """Add to the timeline of the person of ``key`` (created if new); returns the person's id."""
    async with storage.engine.begin() as conn:
        person = await _find(conn, key, tenant) or await _create(conn, key, "", tenant)
        await _note(conn, person, kind, text, data)
        return person


async def list_people(storage: Storage, *, query: str = "", limit: int = 100,
                      tenant: str | None = None) -> list[dict[str, Any]]:
    """People who stand (not merged away), newest first; ``query`` matches a name or an email; ``tenant``: only
    its people (None: everyone's)."""
    select = (sa.select(people).where(people.c.merged_into.is_(None)).order_by(people.c.id.desc()).limit(limit))
    if tenant is not None:
        select = select.where(people.c.tenant == tenant)
    if query:
        like = f"%{query.lower()}%"
        select = select.where(sa.or_(sa.func.lower(people.c.name).like(like), people.c.email.like(like)))
    async with storage.engine.connect() as conn:
        rows = [dict(r._mapping) for r in await conn.execute(select)]
        for row in rows:
            row["accounts"] = await _accounts(conn, row["id"])
        return rows


async def _accounts(conn: Any, person_id: int) -> list[str]:
    query = sa.select(person_identities.c.platform, person_identities.c.user_id).where(
        person_identities.c.person_id == person_id).order_by(person_identities.c.id)
    return [f"{p}:{u}" for p, u in await conn.execute(query)]


async def get_person(storage: Storage, person_id: int, *, tenant: str | None = None) -> dict[str, Any] | None:
    """A person (followed through merges) with accounts and timeline (oldest first); None when there is none
    (of ``tenant``, if given)."""
    async with storage.engine.connect() as conn:
        exists = (await conn.execute(sa.select(people.c.tenant).where(people.c.id == person_id))).first()
        if exists is None or (tenant is not None and exists.tenant != tenant):
            return None
        live = await _live(conn, person_id)
        row = dict((await conn.execute(sa.select(people).where(people.c.id == live))).one()._mapping)
        row["accounts"] = await _accounts(conn, live)
        activities = await conn.execute(sa.select(person_activities.c.kind, person_activities.c.text,
                                                  person_activities.c.data, person_activities.c.ts)
                                        .where(person_activities.c.person_id == live)
                                        .order_by(person_activities.c.ts, person_activities.c.id))
        row["timeline"] = [dict(a._mapping) for a in activities]
        return row
