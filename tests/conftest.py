"""Shared fixtures: a real PostgreSQL server for the session, and ``db_url`` to run a test on both
databases; a real llama.cpp server for the session (``llama_server``, from ``tests/llama.py``).

``db_url`` is parametrized ``sqlite`` (a fresh file in the test's temp dir) and ``postgres`` (a fresh
database on the session's private server), so a storage test written once proves both. The PostgreSQL
half is skipped, with the reason, where PostgreSQL is not installed, except under ``CI``: there a
missing server is a failure, so the PostgreSQL suite can never silently stop running.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from tests.environment import unavailable
from tests.llama import llama_server  # noqa: F401  (a session fixture, used by name)
from tests.pgserver import PostgresNotInstalled, PostgresServer
from tests.redisserver import RedisNotInstalled, RedisServer


@pytest.fixture(autouse=True)
def fresh_mdns_state() -> None:
    """Each test starts without aioice's mDNS state. aioice keeps its mDNS resolver, and the lock guarding it, per
    *thread*; here every test runs its own event loop in the same thread, so a lock bound to (or left held in) an
    earlier test's loop would fail the next WebRTC answer that resolves a browser's ``.local`` candidate. A hub runs
    one loop per process and never meets this."""
    try:
        from aioice import ice
    except ImportError:
        return
    ice._mdns.__dict__.clear()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A private Redis server for the whole test session (see tests/redisserver.py)."""
    try:
        server = RedisServer()
    except RedisNotInstalled as exc:
        unavailable(str(exc), "cluster suite: install redis-server first")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A Redis database of the session's server for one test, emptied first."""
    import redis

    url = redis_server.database()
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
    return url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL server for the whole test session (see tests/pgserver.py)."""
    try:
        server = PostgresServer()
    except PostgresNotInstalled as exc:
        unavailable(str(exc), "PostgreSQL suite: install postgresql first")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """The SQLAlchemy URL of the session server's ``livehub_test`` database."""
    return postgres_server.url()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A URL of a fresh, empty database: a SQLite file, or a new database on the session server."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'livehub.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"livehub_{uuid.uuid4().hex[:16]}"
    url = server.create_database(name)
    try:
        yield url
    finally:
        server.drop_database(name)


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client session for tests that talk to a running hub."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        yield session
