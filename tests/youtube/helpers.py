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
from hub.testing import running_hub

STARTER = Path(__file__).resolve().parents[2] / "hub" / "starter" / "catalog.json"


def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect after tens of milliseconds, not seconds: twenty disconnects in one test."""
    monkeypatch.setattr(YoutubeConnector, "backoff_base", 0.02)
    monkeypatch.setattr(YoutubeConnector, "backoff_cap", 0.2)


def hub_config(tmp_path: Path, standin: YoutubeStandin, **settings: Any) -> dict[str, Any]:
    table = {**standin.connector_config(room="main"), "stream_reopen_s": 0.05, **settings}
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
            "web": {"enabled": True, "port": 0},
            "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER)}, "youtube": table},
            "rooms": {"main": {"locale": "zh-CN"}}}


@contextlib.asynccontextmanager
async def youtube_hub(tmp_path: Path, standin: YoutubeStandin, *, ready: bool = True,
                      plugins: dict[str, Any] | None = None, **settings: Any) -> AsyncIterator[Any]:
    """A started hub whose YouTube connector is ready (unless ``ready=False``); ``plugins`` are
    ``[plugins.x]`` tables."""
    config = hub_config(tmp_path, standin, **settings)
    if plugins:
        config["plugins"] = plugins
    async with running_hub(config=config) as hub:
        connector = hub.connectors["youtube"]
        if ready:
            assert await connector.wait_ready(15), connector.status()
        yield hub


async def stored_ids(hub: Any, *types: str) -> list[str]:
    """Message ids of the YouTube events in the database (repeats included)."""
    ids: list[str] = []
    for kind in types:
        rows = await hub.storage.recent_events(limit=100_000, type=kind, room="main")
        ids += [row["message_id"] for row in rows if row["platform"] == "youtube"]
    return ids


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
