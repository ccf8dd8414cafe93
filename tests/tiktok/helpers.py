"""A hub with a TikTok connector pointed at the stand-in, and counting what arrived."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.tiktok.connector import TikTokConnector
from connectors.tiktok.standin import TikTokStandin
from hub import testing
from hub.testing import make_event

ROOM = TikTokStandin.default_room


def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect after tens of milliseconds, not seconds: twenty disconnects in one test."""
    testing.fast_retries(monkeypatch, TikTokConnector)


def hub_config(tmp_path: Path, standin: Any, **settings: Any) -> dict[str, Any]:
    return testing.platform_config(tmp_path, standin, "tiktok", **settings)


@contextlib.asynccontextmanager
async def tiktok_hub(tmp_path: Path, standin: TikTokStandin, **settings: Any) -> AsyncIterator[Any]:
    """A started hub whose TikTok connector is ready (connected to the stand-in)."""
    async with testing.platform_hub(tmp_path, standin, "tiktok", **settings) as hub:
        yield hub


def event(kind: str, n: int, **fields: Any) -> Any:
    """A viewer event of the stand-in's room, message id ``10**9 + n``."""
    return make_event(kind, platform="tiktok", room=ROOM, message_id=str(10**9 + n),
                      user={"id": str(6_800_000_000 + n % 40), "name": f"viewer{n % 40}"}, **fields)


async def stored_ids(hub: Any, *types: str) -> list[str]:
    """Message ids of the tiktok events in the database (repeats included)."""
    return await testing.stored_ids(hub, "tiktok", *types)


async def hub_status(hub: Any) -> dict[str, Any]:
    """``GET /api/v1/status`` of the hub's web server."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{hub.web.port}/api/v1/status") as resp:
            return await resp.json()
