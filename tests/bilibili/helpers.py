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
from hub import testing
from hub.testing import make_event

ROOM = BilibiliStandin.default_room
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "protocol-samples" / "bilibili"


def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect after tens of milliseconds, not seconds: twenty disconnects in one test."""
    testing.fast_retries(monkeypatch, BilibiliConnector)


def hub_config(tmp_path: Path, standin: Any, **settings: Any) -> dict[str, Any]:
    return testing.platform_config(tmp_path, standin, "bilibili", **settings)


@contextlib.asynccontextmanager
async def bilibili_hub(tmp_path: Path, standin: BilibiliStandin, **settings: Any) -> AsyncIterator[Any]:
    """A started hub whose Bilibili connector is ready (connected to the stand-in)."""
    async with testing.platform_hub(tmp_path, standin, "bilibili", **settings) as hub:
        yield hub


def event(kind: str, n: int, **fields: Any) -> Any:
    """A viewer event of the stand-in's room, message id ``bili-<n>``."""
    return make_event(kind, platform="bilibili", room=ROOM, message_id=f"bili-{n:06d}",
                      user={"id": str(3_000_000 + n % 40), "name": f"观众{n % 40}"}, **fields)


async def stored_ids(hub: Any, *types: str) -> list[str]:
    """Message ids of the bilibili events in the database (repeats included)."""
    return await testing.stored_ids(hub, "bilibili", *types)


async def hub_status(hub: Any) -> dict[str, Any]:
    """``GET /api/v1/status`` of the hub's web server."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{hub.web.port}/api/v1/status") as resp:
            return await resp.json()
