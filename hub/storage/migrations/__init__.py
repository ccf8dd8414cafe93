"""Alembic migrations of the hub's schema; run by :func:`hub.storage.migrate.upgrade` (no alembic.ini)."""
