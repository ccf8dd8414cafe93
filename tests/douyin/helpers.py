"""A hub with a Douyin connector pointed at the stand-in, and counting what arrived."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from connectors.douyin.connector import DouyinConnector
from connectors.douyin.standin import DouyinStandin
from hub.testing import running_hub

STARTER = Path(__file__).resolve().parents[2] / "hub" / "starter" / "catalog.json"


def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect after tens of milliseconds, not seconds: twenty disconnects in one test."""
    monkeypatch.setattr(DouyinConnector, "backoff_base", 0.02)
    monkeypatch.setattr(DouyinConnector, "backoff_cap", 0.2)


def hub_config(tmp_path: Path, standin: DouyinStandin, **settings: Any) -> dict[str, Any]:
    table = {**standin.connector_config(room="main"), **settings}
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
            "web": {"enabled": True, "port": 0},
            "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER)}, "douyin": table},
            "rooms": {"main": {"locale": "zh-CN"}}}


@contextlib.asynccontextmanager
async def douyin_hub(tmp_path: Path, standin: DouyinStandin, **settings: Any) -> AsyncIterator[Any]:
    """A started hub whose Douyin connector is ready; the stand-in pushes to its callback."""
    async with running_hub(config=hub_config(tmp_path, standin, **settings)) as hub:
        standin.callback_url = f"http://127.0.0.1:{hub.web.port}/douyin/push"
        connector = hub.connectors["douyin"]
        assert await connector.wait_ready(15), connector.status()
        yield hub


async def stored_ids(hub: Any, *types: str) -> list[str]:
    """Message ids of the Douyin events in the database (repeats included)."""
    ids: list[str] = []
    for kind in types:
        rows = await hub.storage.recent_events(limit=100_000, type=kind, room="main")
        ids += [row["message_id"] for row in rows if row["platform"] == "douyin"]
    return ids
