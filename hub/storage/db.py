"""Engine factory: one place that knows how each supported database is opened.

* **SQLite** (``sqlite+aiosqlite``) is the embedded default. Every new connection gets
  ``journal_mode=WAL`` (readers never block the writer), ``synchronous=NORMAL`` (durable across a
  process crash, fsync only at checkpoints), ``busy_timeout`` (wait for the write lock instead of
  failing at once) and ``foreign_keys=ON`` (so constraints behave as on PostgreSQL). A ``:memory:``
  database lives in one connection that the pool lends to one task at a time: a whole hub can run in
  memory in tests. (So, in memory only, code holding a connection must not wait for a second one.)
* **PostgreSQL** (``postgresql+asyncpg``) is for production and multi-process setups.

Plain ``sqlite://`` and ``postgresql://``/``postgres://`` URLs are given their async driver.

Connecting to PostgreSQL gives up after :data:`CONNECT_TIMEOUT_S` (asyncpg's own default is 60 s);
``?connect_timeout=N`` (libpq's name) or ``?timeout=N`` in the URL changes it. A failed first connection is
raised as :class:`DatabaseUnavailable`: one line naming the database (password masked) and the reason.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from hub.errors import ConfigError, LiveHubError, require_extra

Dialect = Literal["sqlite", "postgresql"]

SQLITE_BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_S = 10.0
_TIMEOUT_KEYS = ("connect_timeout", "timeout")
MEMORY_POOL_TIMEOUT_S = 30.0

# The most bind parameters one statement may carry: SQLite's compile-time limit (32766 since 3.32,
# 999 before) and the PostgreSQL wire protocol's 16-bit parameter count (asyncpg: 32767).
MAX_PARAMS: dict[str, int] = {
    "sqlite": 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999,
    "postgresql": 32767,
}

_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg"}


def normalize_url(url: str | URL) -> URL:
    """``url`` parsed, with the async driver this hub uses for its database. Raises ConfigError."""
    try:
        parsed = make_url(url)
    except Exception:
        raise ConfigError("hub.database_url: not a database URL (expected sqlite+aiosqlite:///FILE "
                          "or postgresql+asyncpg://USER@HOST/DB)") from None
    backend = parsed.get_backend_name()
    if backend not in _DRIVERS:
        raise ConfigError(f"hub.database_url: unsupported database {backend!r} "
                          "(supported: sqlite, postgresql)")
    wanted = _DRIVERS[backend]
    if parsed.drivername in _DRIVERS:  # no driver named: use the async one
        parsed = parsed.set(drivername=wanted)
    elif parsed.drivername != wanted:
        raise ConfigError(f"hub.database_url: driver {parsed.get_driver_name()!r} is not supported; "
                          f"use {wanted}://")
    return parsed


def async_url(url: str) -> str:
    """``url`` as text with its async driver, otherwise exactly as given (no re-escaping)."""
    driver = normalize_url(url).drivername
    rest = url.split("://", 1)[1] if "://" in url else ""
    return f"{driver}://{rest}"


def dialect_of(url: str | URL) -> Dialect:
    return "sqlite" if normalize_url(url).get_backend_name() == "sqlite" else "postgresql"


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def create_engine(url: str | URL, *, echo: bool = False) -> AsyncEngine:
    """An :class:`AsyncEngine` for ``url`` with the settings described in the module docstring.

    Creating an engine opens no connection; a SQLite file's folder is created if missing. Error
    messages leave out bound values (viewers' messages and contacts do not belong in logs) unless
    ``echo`` is on.
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo)
    require_extra("asyncpg", extra="postgres", feature="PostgreSQL storage")
    timeout = connect_timeout(parsed)
    parsed = parsed.difference_update_query(_TIMEOUT_KEYS)
    return create_async_engine(parsed, echo=echo, hide_parameters=not echo, pool_pre_ping=True,
                               pool_size=5, max_overflow=10, connect_args={"timeout": timeout})


def connect_timeout(url: str | URL) -> float:
    """Seconds to wait for a new database connection: ``?connect_timeout=`` / ``?timeout=`` or the default."""
    parsed = normalize_url(url)
    for key in _TIMEOUT_KEYS:
        if key in parsed.query:
            value = parsed.query[key]
            try:
                seconds = float(value if isinstance(value, str) else value[-1])
            except ValueError:
                seconds = -1.0
            if not 0 < seconds < float("inf"):
                raise ConfigError(f"hub.database_url: {key} must be a positive number of seconds, not {value!r}")
            return seconds
    return CONNECT_TIMEOUT_S


class DatabaseUnavailable(LiveHubError):
    """The database could not be reached: ``database <url, password masked>: <reason>``."""

    def __init__(self, url: str | URL, reason: str) -> None:
        from hub.config import safe_database_url

        self.reason = reason
        shown = url if isinstance(url, str) else url.render_as_string(hide_password=False)
        super().__init__(f"database {safe_database_url(shown)}: {reason}")


def connect_problem(error: BaseException, timeout: float | None = None) -> str:
    """Why connecting failed, in a few words (never a traceback): refused, timed out, the driver's line."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:  # SQLAlchemy wraps the driver's error
        seen.add(id(current))
        if isinstance(current, TimeoutError):
            return f"timed out after {timeout:g} s (no answer)" if timeout else "timed out (no answer)"
        if isinstance(current, ConnectionRefusedError):
            return "connection refused (is the database server running, on that host and port?)"
        if isinstance(current, OSError) and current.strerror:
            return current.strerror[:1].lower() + current.strerror[1:]
        current = current.__cause__ or current.__context__
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(getattr(error, 'orig', None) or error).__name__}: {text[0] if text else ''}".rstrip(": ")


def _sqlite_engine(url: URL, echo: bool) -> AsyncEngine:
    options: dict[str, Any] = {"echo": echo, "hide_parameters": not echo}
    if is_memory_sqlite(url):
        # One connection for the engine's life (each new :memory: connection is a new, empty
        # database), lent to one user at a time: tasks sharing a connection at once would commit or
        # roll back each other's transactions (StaticPool does that, silently losing writes).
        options.update(poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0,
                       pool_timeout=MEMORY_POOL_TIMEOUT_S, connect_args={"check_same_thread": False})
    elif url.database and not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **options)
    event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
    return engine
