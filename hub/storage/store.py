"""The hub's storage: one :class:`Storage` per hub, on SQLite or PostgreSQL.

Events arrive in batches from the recorder (a ``block`` bus subscriber) and are written with one
multi-row ``INSERT ... ON CONFLICT DO NOTHING`` per chunk, in one transaction per batch: a redelivered
platform message is stored once, and a busy room costs one round trip per few thousand events. Reply
events are also written to ``replies``. Everything else (catalog, audience, schedules, content) is read
and written by its owners through :meth:`Storage.session` with the tables of :mod:`hub.storage.tables`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from hub.config import safe_database_url
from hub.events import PLATFORM_EVENT_TYPES, Event
from hub.storage import rows as R
from hub.storage.db import (
    MAX_PARAMS,
    DatabaseUnavailable,
    Dialect,
    async_url,
    connect_problem,
    connect_timeout,
    create_engine,
    dialect_of,
)
from hub.storage.migrate import current_revision, head_revision, upgrade_engine
from hub.storage.tables import audit_log, connector_cursors
from hub.storage.tables import events as events_table

log = logging.getLogger("livehub.storage")

EVENT_KEY = (R.EVENT_COLUMNS.index("platform"), R.EVENT_COLUMNS.index("message_id"))


class StorageMetrics:
    """What storage reports to ``/metrics``: rows written, duplicates skipped, batch latency."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.written = Counter("livehub_storage_events_written", "Events newly stored",
                               registry=registry)
        self.duplicates = Counter("livehub_storage_event_duplicates",
                                  "Events not stored because the same platform message was stored before",
                                  registry=registry)
        self.batch_seconds = Histogram("livehub_storage_batch_seconds", "Time to write one batch of events",
                                       buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                                2.5, 5, 10), registry=registry)


class Storage:
    """The database of one hub. ``await start()`` migrates it; ``await stop()`` closes the pool."""

    def __init__(self, url: str, *, registry: CollectorRegistry | None = None, echo: bool = False,
                 tenant_of: Callable[[str], str | None] | None = None) -> None:
        self.url: str = async_url(url)
        self.tenant_of = tenant_of or (lambda target: None)  # an audit entry's tenant, from its target room
        self.dialect: Dialect = dialect_of(self.url)
        self.engine: AsyncEngine = create_engine(self.url, echo=echo)
        self.metrics = StorageMetrics(registry or CollectorRegistry())
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._max_params = MAX_PARAMS[self.dialect]
        self.started = False

    def __repr__(self) -> str:
        return f"Storage({safe_database_url(self.url)!r})"

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self, migrate: bool = True) -> None:
        """Connect, and bring the schema to the newest revision (unless ``migrate`` is False).

        Without migrating, a database behind the packaged migrations is only warned about: the
        operator runs ``livehub db upgrade``. A database that cannot be reached raises
        :class:`~hub.storage.db.DatabaseUnavailable` within its connect timeout.
        """
        await self.ping()
        if migrate:
            await upgrade_engine(self.engine)
        else:
            revision = await current_revision(self.engine)
            if revision != head_revision():
                log.warning("database %s is at schema revision %s, not %s: run `livehub db upgrade`",
                            safe_database_url(self.url), revision or "(none)", head_revision())
        self.started = True

    async def ping(self) -> None:
        """Open (and return to the pool) one connection, or raise :class:`DatabaseUnavailable` saying why.

        Bounded by the connect timeout (plus a margin for a server that accepts the connection and then
        says nothing), so a database that never answers cannot hold up the start.
        """
        timeout = connect_timeout(self.url)
        try:
            async with asyncio.timeout(timeout + 5.0):
                async with self.engine.connect() as conn:
                    await conn.execute(sa.text("SELECT 1"))
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            raise DatabaseUnavailable(self.url, connect_problem(exc, timeout)) from exc

    async def stop(self) -> None:
        """Close every pooled connection. Safe to call twice."""
        self.started = False
        await self.engine.dispose()

    async def __aenter__(self) -> Storage:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """An ORM/Core session in a transaction: committed when the block ends, rolled back on error."""
        async with self._sessions() as session, session.begin():
            yield session

    # -- events ---------------------------------------------------------------------------------

    async def record_events(self, events: Sequence[Event]) -> int:
        """Store ``events`` in one transaction; return how many of them were new.

        An event already stored (same platform and message id, within this batch or before) is
        skipped and counted as a duplicate. Reply events are also written to ``replies``.
        """
        if not events:
            return 0
        started = time.perf_counter()
        event_rows: list[R.Row] = []
        reply_rows: list[R.Row] = []
        for event in events:
            row, data = R.event_row(event)
            event_rows.append(row)
            if event.type == "reply":
                reply_rows.append(R.reply_row(data))
        unique = R.unique_by(event_rows, EVENT_KEY)
        async with self.engine.begin() as conn:
            inserted = await self._insert(conn, "events", R.EVENT_COLUMNS, R.EVENT_CONFLICT, unique)
            if reply_rows:
                await self._insert(conn, "replies", R.REPLY_COLUMNS, R.REPLY_CONFLICT, reply_rows)
        self.metrics.written.inc(inserted)
        self.metrics.duplicates.inc(len(events) - inserted)
        self.metrics.batch_seconds.observe(time.perf_counter() - started)
        return inserted

    async def _insert(self, conn: AsyncConnection, table: str, columns: tuple[str, ...],
                      conflict: tuple[str, ...], rows: Sequence[R.Row]) -> int:
        paramstyle = self.engine.dialect.paramstyle
        inserted = 0
        for chunk in R.chunks(rows, len(columns), self._max_params):
            sql = R.insert_sql(table, columns, conflict, len(chunk), paramstyle)
            result = await conn.exec_driver_sql(sql, R.flatten(chunk))
            inserted += max(0, result.rowcount)
        return inserted

    async def count_events(self, type: str | None = None) -> int:
        """How many events are stored (of ``type``, if given)."""
        query = sa.select(sa.func.count()).select_from(events_table)
        if type is not None:
            query = query.where(events_table.c.type == type)
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def recent_events(self, limit: int = 100, *, type: str | None = None,
                            room: str | None = None) -> list[dict[str, Any]]:
        """The newest stored events as :func:`hub.events.to_dict` dicts, newest first."""
        query = sa.select(events_table.c.payload).order_by(events_table.c.id.desc()).limit(limit)
        if type is not None:
            query = query.where(events_table.c.type == type)
        if room is not None:
            query = query.where(events_table.c.room == room)
        async with self.engine.connect() as conn:
            return [row.payload for row in await conn.execute(query)]

    async def room_events(self, room: str, *, since: float | None = None, until: float | None = None,
                          page: int = 1000) -> AsyncIterator[dict[str, Any]]:
        """Every stored event of ``room`` received in ``[since, until)`` (Unix seconds), as
        :func:`hub.events.to_dict` dicts, in the order they were stored; read ``page`` rows at a time."""
        after = 0
        while True:
            query = (sa.select(events_table.c.id, events_table.c.payload)
                     .where(events_table.c.room == room, events_table.c.id > after)
                     .order_by(events_table.c.id).limit(page))
            if since is not None:
                query = query.where(events_table.c.received_ts >= since)
            if until is not None:
                query = query.where(events_table.c.received_ts < until)
            async with self.engine.connect() as conn:
                rows = (await conn.execute(query)).all()
            for row in rows:
                yield row.payload
            if len(rows) < page:
                return
            after = rows[-1].id

    async def recent_message_ids(self, platform: str, room: str, limit: int = 5000) -> list[str]:
        """The platform message ids of the newest stored viewer events of ``platform`` in ``room``, newest
        first (a platform connector seeds its de-duplication with them at start)."""
        query = (sa.select(events_table.c.message_id)
                 .where(events_table.c.room == room, events_table.c.platform == platform,
                        events_table.c.type.in_(sorted(PLATFORM_EVENT_TYPES)))
                 .order_by(events_table.c.received_ts.desc(), events_table.c.id.desc()).limit(limit))
        async with self.engine.connect() as conn:
            return [row.message_id for row in await conn.execute(query)]

    # -- connector cursors ----------------------------------------------------------------------

    async def get_cursor(self, connector: str) -> str | None:
        """Where ``connector``'s feed resumes, as it last stored it (None: never stored)."""
        query = sa.select(connector_cursors.c.cursor).where(connector_cursors.c.connector == connector)
        async with self.engine.connect() as conn:
            return (await conn.execute(query)).scalar_one_or_none()

    async def set_cursor(self, connector: str, platform: str, cursor: str) -> None:
        """Store ``connector``'s resume cursor (replacing the one before)."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        values = {"connector": connector, "platform": platform, "cursor": R._clean(cursor),
                  "updated_ts": time.time()}
        statement = insert(connector_cursors).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[connector_cursors.c.connector],
            set_={key: statement.excluded[key] for key in ("platform", "cursor", "updated_ts")})
        async with self.engine.begin() as conn:
            await conn.execute(statement)

    # -- audit log ------------------------------------------------------------------------------

    async def audit(self, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None,
                    *, tenant: str | None = None) -> None:
        """Record that ``actor`` did ``action`` to ``target`` (never put a secret in ``detail``). The entry is
        ``tenant``'s (hub/tenants.py), by default the tenant of the room ``target`` names, if any."""
        tenant = tenant if tenant is not None else self.tenant_of(target)
        async with self.engine.begin() as conn:
            await conn.execute(audit_log.insert().values(ts=time.time(), actor=actor, action=action,
                                                         target=target, detail=detail, tenant=tenant))

    async def recent_audit(self, limit: int = 100, *, tenant: str | None = None) -> list[dict[str, Any]]:
        """The newest audit entries (of ``tenant`` only, if given), newest first: ``id, ts, actor, action, target,
        detail, tenant``."""
        query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if tenant is not None:
            query = query.where(audit_log.c.tenant == tenant)
        async with self.engine.connect() as conn:
            return [dict(row._mapping) for row in await conn.execute(query)]
