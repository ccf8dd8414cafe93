"""The CRM outbox in the hub's database (table ``crm_outbox``): store a write once, read what is due, record
how its delivery went. Used by :class:`hub.crm.CrmConnector`; SQLite and PostgreSQL alike."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hub.storage.tables import crm_outbox

if TYPE_CHECKING:
    from hub.storage.store import Storage

__all__ = ["enqueue", "pending", "next_due", "cancel", "amend", "waiting", "release", "payload_of", "mark", "counts",
           "entries", "STATES"]

STATES = ("pending", "sent", "failed", "cancelled")


async def enqueue(storage: Storage, connector: str, key: str, op: str, payload: dict[str, Any],
                  due_ts: float | None = None) -> bool:
    """Store a write (True), or nothing if ``connector`` already has one with ``key`` (False). A write with
    ``due_ts`` waits until then."""
    now = time.time()
    query = sa.select(crm_outbox.c.id).where(crm_outbox.c.connector == connector, crm_outbox.c.key == key)
    try:
        async with storage.engine.begin() as conn:
            if (await conn.execute(query)).first() is not None:
                return False
            await conn.execute(crm_outbox.insert().values(
                connector=connector, key=key, op=op, payload=payload, state="pending", attempts=0, last_error="",
                created_ts=now, updated_ts=now, due_ts=due_ts))
    except sa.exc.IntegrityError:  # stored meanwhile by a concurrent writer: the same write
        return False
    return True


async def pending(storage: Storage, connector: str, limit: int = 50, now: float | None = None
                  ) -> list[dict[str, Any]]:
    """The oldest writes due now (``now``: the wall clock) and still to deliver, in the order they were stored."""
    now = time.time() if now is None else now
    query = (sa.select(crm_outbox.c.id, crm_outbox.c.key, crm_outbox.c.op, crm_outbox.c.payload,
                       crm_outbox.c.attempts)
             .where(crm_outbox.c.connector == connector, crm_outbox.c.state == "pending",
                    sa.or_(crm_outbox.c.due_ts.is_(None), crm_outbox.c.due_ts <= now))
             .order_by(crm_outbox.c.id).limit(limit))
    async with storage.engine.connect() as conn:
        return [dict(row._mapping) for row in await conn.execute(query)]


async def next_due(storage: Storage, connector: str, now: float | None = None) -> float | None:
    """When the next waiting write of ``connector`` falls due (None: none waits)."""
    now = time.time() if now is None else now
    query = sa.select(sa.func.min(crm_outbox.c.due_ts)).where(
        crm_outbox.c.connector == connector, crm_outbox.c.state == "pending", crm_outbox.c.due_ts > now)
    async with storage.engine.connect() as conn:
        found = (await conn.execute(query)).scalar()
    return float(found) if found is not None else None


def _waiting(connector: str, key: str, now: float) -> Any:
    """A write of ``connector`` with ``key`` that is pending and not due yet (so no delivery has read it)."""
    return sa.and_(crm_outbox.c.connector == connector, crm_outbox.c.key == key, crm_outbox.c.state == "pending",
                   crm_outbox.c.due_ts > now)


async def cancel(storage: Storage, connector: str, key: str) -> bool:
    """Withdraw a write that waits for its due time (state ``cancelled``); False when it is due, gone or sent."""
    now = time.time()
    async with storage.engine.begin() as conn:
        done = await conn.execute(crm_outbox.update().where(_waiting(connector, key, now))
                                  .values(state="cancelled", updated_ts=now))
    return bool(done.rowcount)


async def amend(storage: Storage, connector: str, key: str, payload: dict[str, Any], due_ts: float) -> bool:
    """Replace the payload and due time of a write that still waits; False when it is due, gone or sent (the
    caller stores a new write). Atomic: a delivery only reads writes that are due, so none reads it meanwhile."""
    now = time.time()
    async with storage.engine.begin() as conn:
        done = await conn.execute(crm_outbox.update().where(_waiting(connector, key, now))
                                  .values(payload=payload, due_ts=due_ts, updated_ts=now))
    return bool(done.rowcount)


async def waiting(storage: Storage, connector: str, prefix: str) -> dict[str, Any] | None:
    """The newest write of ``connector`` whose key starts with ``prefix`` and that still waits (key, payload,
    due time), or None."""
    now = time.time()
    query = (sa.select(crm_outbox.c.key, crm_outbox.c.payload, crm_outbox.c.due_ts)
             .where(crm_outbox.c.connector == connector, crm_outbox.c.key.startswith(prefix, autoescape=True),
                    crm_outbox.c.state == "pending", crm_outbox.c.due_ts > now)
             .order_by(crm_outbox.c.id.desc()).limit(1))
    async with storage.engine.connect() as conn:
        row = (await conn.execute(query)).first()
    return dict(row._mapping) if row is not None else None


async def release(storage: Storage, connector: str, prefix: str) -> int:
    """Make the waiting writes of ``connector`` whose key starts with ``prefix`` due now; how many."""
    now = time.time()
    async with storage.engine.begin() as conn:
        done = await conn.execute(crm_outbox.update().where(
            crm_outbox.c.connector == connector, crm_outbox.c.key.startswith(prefix, autoescape=True),
            crm_outbox.c.state == "pending", crm_outbox.c.due_ts > now).values(due_ts=now, updated_ts=now))
    return int(done.rowcount or 0)


async def payload_of(storage: Storage, connector: str, key: str) -> dict[str, Any] | None:
    """The stored write of ``connector`` with ``key`` (its state, payload and due time), or None."""
    query = sa.select(crm_outbox.c.state, crm_outbox.c.payload, crm_outbox.c.due_ts).where(
        crm_outbox.c.connector == connector, crm_outbox.c.key == key)
    async with storage.engine.connect() as conn:
        row = (await conn.execute(query)).first()
    return dict(row._mapping) if row is not None else None


async def mark(storage: Storage, row_id: int, *, state: str, error: str = "", result: Any = None,
               attempted: bool = True) -> None:
    """Record a delivery attempt: ``sent`` (with the CRM's ``result``), ``failed`` (refused for good, with its
    ``error``) or still ``pending`` (a transient ``error``; tried again later)."""
    now = time.time()
    values: dict[str, Any] = {"state": state, "last_error": error[:2000], "updated_ts": now}
    if attempted:
        values["attempts"] = crm_outbox.c.attempts + 1
    if state == "sent":
        values.update(sent_ts=now, result=result)
    async with storage.engine.begin() as conn:
        await conn.execute(crm_outbox.update().where(crm_outbox.c.id == row_id).values(**values))


async def counts(storage: Storage, connector: str | None = None) -> dict[str, int]:
    """How many writes are pending, sent, failed and cancelled (of ``connector``, or of every CRM)."""
    query = sa.select(crm_outbox.c.state, sa.func.count()).group_by(crm_outbox.c.state)
    if connector is not None:
        query = query.where(crm_outbox.c.connector == connector)
    async with storage.engine.connect() as conn:
        found = {state: int(n) for state, n in await conn.execute(query)}
    return {state: found.get(state, 0) for state in STATES}


async def entries(storage: Storage, *, connector: str | None = None, state: str | None = None,
                  limit: int = 100) -> list[dict[str, Any]]:
    """The newest writes, newest first (for the API and the console)."""
    query = sa.select(crm_outbox).order_by(crm_outbox.c.id.desc()).limit(limit)
    if connector is not None:
        query = query.where(crm_outbox.c.connector == connector)
    if state is not None:
        query = query.where(crm_outbox.c.state == state)
    async with storage.engine.connect() as conn:
        return [dict(row._mapping) for row in await conn.execute(query)]
