"""Storage: SQLAlchemy 2 async on SQLite (aiosqlite, the default) or PostgreSQL (asyncpg).

:class:`Storage` is the hub's database: migrated on start, events written in idempotent batches.
:func:`upgrade_database` runs the migrations alone (``livehub db upgrade``). The schema is in
:mod:`hub.storage.tables`; the migrations that create it in ``hub/storage/migrations``.
"""

from hub.storage.migrate import upgrade_database
from hub.storage.store import Storage

__all__ = ["Storage", "upgrade_database"]
