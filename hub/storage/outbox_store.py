"""The CRM outbox in the hub's database (table ``crm_outbox``): store a write once, read what is due, record
how its delivery went. Used by :class:`hub.crm.CrmConnector`; SQLite and PostgreSQL alike."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hub.storage.tables import crm_outbox

if TYPE_CHECKING:
    from hub.storage.store import Storage

__all__ = ["enqueue", "pending", "mark", "counts", "entries", "STATES"]

STATES = ("pending", "sent", "failed")


async def enqueue(storage: Storage, connector: str, key: str, op: str, payload: dict[str, Any]) -> bool:
    """Store a write (True), or nothing if ``connector`` already has one with ``key`` (False)."""
    now = time.time()
    query = sa.select(crm_outbox.c.id).where(crm_outbox.c.connector == connector, crm_outbox.c.key == key)
    try:
        async with storage.engine.begin() as conn:
            if (await conn.execute(query)).first() is not None:
                return False
            await conn.execute(crm_outbox.insert().values(
                connector=connector, key=key, op=op, payload=payload, state="pending", attempts=0, last_error="",
                created_ts=now, updated_ts=now))
    except sa.exc.IntegrityError:  # stored meanwhile by a concurrent writer: the same write
        return False
    return True


async def pending(storage: Storage, connector: str, limit: int = 50) -> list[dict[str, Any]]:
    """The oldest writes still to deliver, in the order they were stored."""
    query = (sa.select(crm_outbox.c.id, crm_outbox.c.key, crm_outbox.c.op, crm_outbox.c.payload,
                       crm_outbox.c.attempts)
             .where(crm_outbox.c.connector == connector, crm_outbox.c.state == "pending")
             .order_by(crm_outbox.c.id).limit(limit))
    async with storage.engine.connect() as conn:
        return [dict(row._mapping) for row in await conn.execute(query)]


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
    """How many writes are pending, sent and failed (of ``connector``, or of every CRM)."""
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
