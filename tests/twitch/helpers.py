"""A hub with a Twitch connector pointed at the stand-in, and counting what arrived."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.twitch.connector import TwitchConnector
from connectors.twitch.standin import TwitchStandin
from hub.testing import make_event, running_hub

STARTER = Path(__file__).resolve().parents[2] / "hub" / "starter" / "catalog.json"
ROOM = TwitchStandin.default_room


def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect after tens of milliseconds, not seconds: twenty disconnects in one test."""
    monkeypatch.setattr(TwitchConnector, "backoff_base", 0.02)
    monkeypatch.setattr(TwitchConnector, "backoff_cap", 0.2)


def hub_config(tmp_path: Path, standin: TwitchStandin, **settings: Any) -> dict[str, Any]:
    table = {**standin.connector_config(room="main"), **settings}
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
            "web": {"enabled": True, "port": 0},
            "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER)}, "twitch": table},
            "rooms": {"main": {"locale": "zh-CN"}}}


@contextlib.asynccontextmanager
async def twitch_hub(tmp_path: Path, standin: TwitchStandin, *, ready: bool = True,
                     **settings: Any) -> AsyncIterator[Any]:
    """A started hub whose Twitch connector is ready (unless ``ready=False``)."""
    async with running_hub(config=hub_config(tmp_path, standin, **settings)) as hub:
        connector = hub.connectors["twitch"]
        if ready:
            assert await connector.wait_ready(15), connector.status()
        yield hub


def event(kind: str, n: int, **fields: Any) -> Any:
    """A viewer event of the stand-in's channel, message id ``tw-<n>``."""
    return make_event(kind, platform="twitch", room=ROOM, message_id=f"tw-{n}",
                      user={"id": str(40_000_000 + n % 40), "name": f"viewer{n % 40}"}, **fields)


async def stored_ids(hub: Any, *types: str) -> list[str]:
    """Message ids of the Twitch events in the database (repeats included)."""
    ids: list[str] = []
    for kind in types:
        rows = await hub.storage.recent_events(limit=100_000, type=kind, room="main")
        ids += [row["message_id"] for row in rows if row["platform"] == "twitch"]
    return ids


async def http_get(hub: Any, path: str) -> str:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{hub.web.port}{path}") as resp:
            return await resp.text()


async def standin_post(standin: TwitchStandin, path: str, body: Any) -> Any:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{standin.url}{path}", json=body) as resp:
            return await resp.json()
