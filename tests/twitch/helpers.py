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
from hub import testing
from hub.testing import make_event

ROOM = TwitchStandin.default_room


def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect after tens of milliseconds, not seconds: twenty disconnects in one test."""
    testing.fast_retries(monkeypatch, TwitchConnector)


def hub_config(tmp_path: Path, standin: Any, **settings: Any) -> dict[str, Any]:
    return testing.platform_config(tmp_path, standin, "twitch", **settings)


@contextlib.asynccontextmanager
async def twitch_hub(tmp_path: Path, standin: TwitchStandin, *, ready: bool = True,
                     **settings: Any) -> AsyncIterator[Any]:
    """A started hub whose Twitch connector is ready (unless ``ready=False``)."""
    async with testing.platform_hub(tmp_path, standin, "twitch", ready=ready, **settings) as hub:
        yield hub


def event(kind: str, n: int, **fields: Any) -> Any:
    """A viewer event of the stand-in's channel, message id ``tw-<n>``."""
    return make_event(kind, platform="twitch", room=ROOM, message_id=f"tw-{n}",
                      user={"id": str(40_000_000 + n % 40), "name": f"viewer{n % 40}"}, **fields)


async def stored_ids(hub: Any, *types: str) -> list[str]:
    """Message ids of the twitch events in the database (repeats included)."""
    return await testing.stored_ids(hub, "twitch", *types)


async def http_get(hub: Any, path: str) -> str:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{hub.web.port}{path}") as resp:
            return await resp.text()


async def standin_post(standin: TwitchStandin, path: str, body: Any) -> Any:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{standin.url}{path}", json=body) as resp:
            return await resp.json()
