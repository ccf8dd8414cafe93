"""Run the schema migrations programmatically: on hub start and with ``livehub db upgrade``.

Alembic is configured in code (script location = this package's ``migrations`` folder, shipped with the
package), so nothing but the database URL is needed at run time. Migrations run on the caller's async
engine through ``AsyncConnection.run_sync``; that is what lets an in-memory SQLite hub migrate the very
database it then uses.
"""

from __future__ import annotations

import logging
from pathlib import Path

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


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision``; a no-op when it is already there."""
    async with engine.begin() as conn:
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
