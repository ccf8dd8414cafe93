"""The database connect timeout and the one-line reasons a connection failed (issue 11, item 8)."""

from __future__ import annotations

import asyncio

import pytest

from hub.errors import ConfigError
from hub.storage import Storage
from hub.storage.db import CONNECT_TIMEOUT_S, DatabaseUnavailable, connect_problem, connect_timeout


def test_the_connect_timeout_defaults_and_is_set_in_the_url():
    assert connect_timeout("postgresql+asyncpg://u@h/db") == CONNECT_TIMEOUT_S <= 10
    assert connect_timeout("postgresql+asyncpg://u@h/db?connect_timeout=2.5") == 2.5
    assert connect_timeout("postgresql://u@h/db?timeout=3") == 3
    for bad in ("x", "0", "-1", "inf"):
        with pytest.raises(ConfigError, match="connect_timeout"):
            connect_timeout(f"postgresql+asyncpg://u@h/db?connect_timeout={bad}")


def test_reasons_are_short_and_name_the_cause():
    assert connect_problem(TimeoutError(), 2) == "timed out after 2 s (no answer)"
    assert connect_problem(ConnectionRefusedError(111, "Connect call failed")).startswith("connection refused")
    wrapped = RuntimeError("outer")
    wrapped.__cause__ = TimeoutError()
    assert connect_problem(wrapped, 10).startswith("timed out after 10 s")
    assert connect_problem(ValueError("bad thing\nsecond line")) == "ValueError: bad thing"


async def test_storage_start_against_a_never_answering_server_fails_within_the_timeout(silent_server):
    storage = Storage(f"postgresql+asyncpg://u:secret-pw@127.0.0.1:{silent_server}/db?connect_timeout=1")
    try:
        async with asyncio.timeout(15):
            with pytest.raises(DatabaseUnavailable) as caught:
                await storage.start()
    finally:
        await storage.stop()
    message = str(caught.value)
    assert message == f"database postgresql+asyncpg://u:***@127.0.0.1:{silent_server}/db?connect_timeout=1: " \
                      "timed out after 1 s (no answer)"
    assert "secret-pw" not in message
