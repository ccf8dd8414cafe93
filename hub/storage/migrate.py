"""Run the schema migrations programmatically: on hub start and with ``livehub db upgrade``.

Alembic is configured in code (script location = this package's ``migrations`` folder, shipped with the
package), so nothing but the database URL is needed at run time. Migrations run on the caller's async
engine through ``AsyncConnection.run_sync``; that is what lets an in-memory SQLite hub migrate the very
database it then uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.storage.db import create_engine

log = logging.getLogger("livehub.storage")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations (no ``alembic.ini``)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    return cfg


def head_revision() -> str:
    """The newest revision the packaged migrations define."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


MIGRATION_LOCK = 7_262_018
"""The PostgreSQL advisory lock held while migrating: processes starting together migrate one at a time."""


@contextlib.asynccontextmanager
async def _file_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """For a SQLite file, an exclusive lock on ``<file>.migrating`` (processes of one machine share SQLite)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    import fcntl

    with open(f"{database}.migrating", "a+b") as lock:  # noqa: ASYNC230 - opening a lock file is instant
        await asyncio.to_thread(fcntl.flock, lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision``; a no-op when it is already there. Processes
    that start together wait for each other (an advisory lock on PostgreSQL, a file lock on SQLite)."""
    async with _file_lock(engine), engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        before = await conn.run_sync(_current)
        await conn.run_sync(_upgrade, revision)
        after = await conn.run_sync(_current)
    if before != after:
        log.info("database migrated from %s to %s", before or "empty", after)


async def upgrade_database(url: str) -> None:
    """Migrate the database at ``url`` to the newest schema (what ``livehub db upgrade`` does)."""
    engine = create_engine(url)
    try:
        await upgrade_engine(engine)
    finally:
        await engine.dispose()
