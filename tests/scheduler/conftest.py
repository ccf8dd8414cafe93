"""Fixtures for the scheduler tests: hubs whose scheduler runs on a real database, and a fire log."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from hub.app import Hub
from hub.config import load_config
from hub.hookspecs import hookimpl
from hub.scheduler import Scheduler
from hub.specs import JobType
from hub.storage.db import create_engine, dialect_of


class ErrorCatcher:
    """A plugin that records what the hub reports through ``livehub_handle_exception``."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, BaseException]] = []

    @hookimpl
    def livehub_handle_exception(self, error: BaseException, where: str, hub: Any) -> bool:
        self.errors.append((where, error))
        return True


class RecordArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    times: int = 1


def job_types(fires: list[tuple[str, Any]]) -> dict[str, JobType]:
    """``record`` (validated args), ``free`` (any args) and ``boom`` (always fails)."""

    async def record(hub: Any, label: str, times: int = 1) -> None:
        fires.append((label, times))

    async def free(hub: Any, **args: Any) -> None:
        fires.append(("free", args))

    async def boom(hub: Any, **args: Any) -> None:
        raise RuntimeError("the job failed on purpose")

    return {"record": JobType("record", record, args_model=RecordArgs),
            "free": JobType("free", free), "boom": JobType("boom", boom)}


@contextlib.asynccontextmanager
async def scheduler_factory(url: str) -> AsyncIterator[Callable[..., Any]]:
    """A factory of started Schedulers, each of a fresh Hub with its own engine on ``url``."""
    started: list[tuple[Hub, Scheduler, Any]] = []

    async def factory(fires: list[tuple[str, Any]], *, paused: bool = False, **options: Any) -> Scheduler:
        hub = Hub(load_config(data={}, env=False), builtins=(), autoload=False)
        hub.caught = ErrorCatcher()  # type: ignore[attr-defined]
        hub.plugins.register(hub.caught, "errors")
        engine = create_engine(url)
        hub.storage = SimpleNamespace(engine=engine, url=url, dialect=dialect_of(url))
        scheduler = Scheduler(hub, job_types(fires), **options)
        started.append((hub, scheduler, engine))
        await scheduler.start(paused=paused)
        return scheduler

    try:
        yield factory
    finally:
        for hub, scheduler, _ in reversed(started):
            await scheduler.stop()
            await hub._cancel_tasks(list(hub._tasks))
        for _, _, engine in started:
            await engine.dispose()


@pytest.fixture
async def make_scheduler(db_url: str) -> AsyncIterator[Callable[..., Any]]:
    """``await make_scheduler(fires)``: a started Scheduler of a fresh Hub on ``db_url``.

    ``db_url`` (tests/conftest.py) is a fresh SQLite file or PostgreSQL database. Each call is a new
    hub with its own engine on it, as after a restart; everything is stopped at the end.
    """
    async with scheduler_factory(db_url) as factory:
        yield factory


@pytest.fixture
async def make_memory_scheduler() -> AsyncIterator[Callable[..., Any]]:
    """Like ``make_scheduler`` on an in-memory SQLite hub database (one shared connection)."""
    async with scheduler_factory("sqlite+aiosqlite:///:memory:") as factory:
        yield factory
