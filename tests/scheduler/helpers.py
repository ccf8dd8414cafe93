"""Helpers shared by the scheduler tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from hub import testing


async def wait_for(predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll with a generous bound: a loaded CI machine must not fail a correct scheduler."""
    return await testing.wait_for(predicate, timeout=timeout)


@contextlib.contextmanager
def no_new_tasks() -> Iterator[None]:
    """Assert that the block leaves no asyncio task running behind it."""
    before = set(asyncio.all_tasks())
    yield
    left = {t for t in asyncio.all_tasks() - before if not t.done()}
    assert not left, f"tasks left running: {[t.get_name() for t in left]}"


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def idle(seconds: float) -> None:
    """Let the scheduler run for a while, to catch a second (wrong) fire of a one-off job."""
    await asyncio.sleep(seconds)
