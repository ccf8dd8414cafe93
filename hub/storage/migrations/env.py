"""Alembic environment: runs on the connection :mod:`hub.storage.migrate` hands over.

The hub runs migrations itself (on start and with ``livehub db upgrade``) on its own async engine, so
there is no ``alembic.ini`` and no URL here: the caller puts a synchronous connection (from
``AsyncConnection.run_sync``) in ``config.attributes["connection"]``. Tables that are not the hub's
(APScheduler's, a plugin's) are ignored, so autogenerate never proposes to drop them.
"""

from __future__ import annotations

from typing import Any

from alembic import context

from hub.storage.tables import metadata

# An arbitrary constant: PostgreSQL advisory lock key held while migrating, so two hubs starting at
# once on one database migrate one after the other.
MIGRATION_LOCK_KEY = 0x4C495645  # "LIVE"


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    if type_ == "table":
        return name in metadata.tables
    return True


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("hub migrations run through hub.storage.migrate (livehub db upgrade), "
                           "not the alembic command line")
    is_sqlite = connection.dialect.name == "sqlite"
    context.configure(connection=connection, target_metadata=metadata, include_name=include_name,
                      render_as_batch=is_sqlite, compare_type=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
        context.run_migrations()


run_migrations()
