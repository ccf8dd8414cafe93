"""Fixtures of the storage tests: a started :class:`Storage` on each database, and event factories."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from hub.events import Comment, User
from hub.storage import Storage


@pytest.fixture
async def storage(db_url: str) -> AsyncIterator[Storage]:
    """A migrated, started Storage on a fresh database (SQLite and PostgreSQL)."""
    store = Storage(db_url, registry=CollectorRegistry())
    await store.start()
    try:
        yield store
    finally:
        await store.stop()


@pytest.fixture
def comment() -> Callable[..., Comment]:
    """``comment(message_id, text=..., **fields)``: a comment on platform ``test`` in room ``r1``."""

    def make(message_id: str | None, text: str = "多少钱", **fields: Any) -> Comment:
        fields.setdefault("platform", "test")
        fields.setdefault("room", "r1")
        fields.setdefault("user", User("u1", "小明"))
        return Comment(message_id=message_id, text=text, **fields)

    return make
