"""Migrations create the schema tables.py describes, on SQLite and PostgreSQL, and can run again."""

from __future__ import annotations

import asyncio
import logging

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from hub.errors import ConfigError
from hub.events import Comment
from hub.storage import Storage, upgrade_database
from hub.storage.db import async_url, create_engine, normalize_url
from hub.storage.migrate import current_revision, head_revision
from hub.storage.tables import TABLE_NAMES, metadata


def _schema_diffs(connection: Connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                           "compare_server_default": True})
    return compare_metadata(context, metadata)


async def test_upgrade_creates_every_table_as_tables_py_describes_it(db_url: str) -> None:
    await upgrade_database(db_url)
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            names = set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
            diffs = await conn.run_sync(_schema_diffs)
        assert set(TABLE_NAMES) <= names
        assert {"events", "shops", "products", "viewers", "contacts", "rooms", "broadcasts", "replies",
                "schedules", "outbound_content", "audit_log", "alembic_version"} <= names
        assert diffs == []
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def test_upgrade_database_twice_is_a_no_op_that_keeps_data(db_url: str) -> None:
    await upgrade_database(db_url)
    async with Storage(db_url) as store:
        await store.audit("tester", "kept")
    await upgrade_database(db_url)
    async with Storage(db_url) as store:
        assert [e["action"] for e in await store.recent_audit()] == ["kept"]
        assert await current_revision(store.engine) == head_revision()


async def test_start_without_migrating_warns_about_an_old_schema(tmp_path, caplog) -> None:
    store = Storage(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    with caplog.at_level(logging.WARNING, logger="livehub.storage"):
        await store.start(migrate=False)
    await store.stop()
    assert "livehub db upgrade" in caplog.text


async def test_in_memory_sqlite_keeps_one_database_for_the_engine() -> None:
    async with Storage("sqlite+aiosqlite:///:memory:") as store:
        assert store.url == "sqlite+aiosqlite:///:memory:"
        await store.audit("a", "one")
        await store.audit("a", "two")  # a second pooled connection would see an empty database
        assert [e["action"] for e in await store.recent_audit()] == ["two", "one"]


async def test_sqlite_connections_get_wal_and_busy_timeout(tmp_path) -> None:
    async with Storage(f"sqlite:///{tmp_path / 'sub' / 'x.db'}") as store:
        assert store.dialect == "sqlite" and store.url.startswith("sqlite+aiosqlite:")
        async with store.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == 1  # NORMAL
            assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() > 0
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.parametrize(("url", "driver"), [
    ("postgresql://u@h/db", "postgresql+asyncpg"),
    ("postgres://u@h/db", "postgresql+asyncpg"),
    ("sqlite:///x.db", "sqlite+aiosqlite"),
])
def test_plain_urls_get_the_async_driver(url: str, driver: str) -> None:
    assert normalize_url(url).drivername == driver
    assert async_url(url) == driver + "://" + url.split("://", 1)[1]


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgresql+psycopg2://u@h/db", "not a url"])
def test_unsupported_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match="database_url"):
        normalize_url(url)


async def test_in_memory_sqlite_keeps_concurrent_writers_apart() -> None:
    async with Storage("sqlite+aiosqlite:///:memory:") as store:

        async def write(worker: int) -> None:
            for i in range(20):
                await store.record_events([Comment(platform="t", room="r", message_id=f"{worker}-{i}-{j}",
                                                   text="x") for j in range(10)])

        async def read_and_audit() -> None:
            for _ in range(40):
                await store.count_events()
                await store.audit("tester", "tick")

        await asyncio.gather(write(1), write(2), read_and_audit())
        assert await store.count_events() == 400  # no task committed or rolled back another's work
        assert len(await store.recent_audit(limit=1000)) == 40
