"""A hub with a YouTube connector pointed at the stand-in, a simulated YouTube day, and counting."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.youtube.connector import YoutubeConnector
from connectors.youtube.quota import PACIFIC
from connectors.youtube.standin import YoutubeStandin
from hub import testing


def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect after tens of milliseconds, not seconds: twenty disconnects in one test."""
    testing.fast_retries(monkeypatch, YoutubeConnector)


def hub_config(tmp_path: Path, standin: Any, **settings: Any) -> dict[str, Any]:
    return testing.platform_config(tmp_path, standin, "youtube", **{"stream_reopen_s": 0.05, **settings})


@contextlib.asynccontextmanager
async def youtube_hub(tmp_path: Path, standin: YoutubeStandin, *, ready: bool = True,
                      plugins: dict[str, Any] | None = None, **settings: Any) -> AsyncIterator[Any]:
    """A started hub whose YouTube connector is ready (unless ``ready=False``); ``plugins`` are
    ``[plugins.x]`` tables."""
    async with testing.platform_hub(tmp_path, standin, "youtube", ready=ready, plugins=plugins,
                                    **{"stream_reopen_s": 0.05, **settings}) as hub:
        yield hub


async def stored_ids(hub: Any, *types: str) -> list[str]:
    """Message ids of the youtube events in the database (repeats included)."""
    return await testing.stored_ids(hub, "youtube", *types)


class SimDay:
    """A YouTube day on a simulated clock (Unix time) for the connector's waits and both sides' quota days:
    time moves only when the connector sleeps, by what it sleeps, at once; HTTP calls and everything else
    take no simulated time. :meth:`hold` stops the day while the hub answers in real time (a sleep waits)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.start = self.t = (start or datetime(2026, 12, 3, 0, 0, tzinfo=PACIFIC)).timestamp()
        self._running = asyncio.Event()
        self._running.set()

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        await self._running.wait()
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        self._running.clear()
        try:
            yield
        finally:
            self._running.set()

    @property
    def hours(self) -> float:
        return (self.t - self.start) / 3600
