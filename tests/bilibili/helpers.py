"""A hub with a Bilibili connector pointed at the stand-in, and counting what arrived."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.bilibili.connector import BilibiliConnector
from connectors.bilibili.standin import BilibiliStandin
from hub.testing import make_event, running_hub

STARTER = Path(__file__).resolve().parents[2] / "hub" / "starter" / "catalog.json"
ROOM = BilibiliStandin.default_room
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "protocol-samples" / "bilibili"


def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect after tens of milliseconds, not seconds: twenty disconnects in one test."""
    monkeypatch.setattr(BilibiliConnector, "backoff_base", 0.02)
    monkeypatch.setattr(BilibiliConnector, "backoff_cap", 0.2)


def hub_config(tmp_path: Path, standin: BilibiliStandin, **settings: Any) -> dict[str, Any]:
    table = {**standin.connector_config(room="main"), **settings}
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
            "web": {"enabled": True, "port": 0},
            "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER)}, "bilibili": table},
            "rooms": {"main": {"locale": "zh-CN"}}}


@contextlib.asynccontextmanager
async def bilibili_hub(tmp_path: Path, standin: BilibiliStandin, **settings: Any) -> AsyncIterator[Any]:
    """A started hub whose Bilibili connector is ready."""
    async with running_hub(config=hub_config(tmp_path, standin, **settings)) as hub:
        connector = hub.connectors["bilibili"]
        assert await connector.wait_ready(15), connector.status()
        yield hub


def event(kind: str, n: int, **fields: Any) -> Any:
    """A viewer event of the stand-in's room, message id ``bili-<n>``."""
    return make_event(kind, platform="bilibili", room=ROOM, message_id=f"bili-{n:06d}",
                      user={"id": str(3_000_000 + n % 40), "name": f"观众{n % 40}"}, **fields)


async def stored_ids(hub: Any, *types: str) -> list[str]:
    """Message ids of the Bilibili events in the database (repeats included)."""
    ids: list[str] = []
    for kind in types:
        rows = await hub.storage.recent_events(limit=100_000, type=kind, room="main")
        ids += [row["message_id"] for row in rows if row["platform"] == "bilibili"]
    return ids


async def hub_status(hub: Any) -> dict[str, Any]:
    """``GET /api/v1/status`` of the hub's web server."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{hub.web.port}/api/v1/status") as resp:
            return await resp.json()
