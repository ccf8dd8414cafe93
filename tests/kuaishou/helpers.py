"""A hub with a Kuaishou connector pointed at the stand-in, and counting what arrived."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.kuaishou.connector import KuaishouConnector
from connectors.kuaishou.standin import KuaishouStandin
from hub import testing

ROOM = KuaishouStandin.default_room


def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect after tens of milliseconds, not seconds: twenty disconnects in one test."""
    testing.fast_retries(monkeypatch, KuaishouConnector)


def fast_standin(**options: Any) -> KuaishouStandin:
    """A stand-in advising short sleeps and holding polls briefly (the protocol is the same)."""
    return KuaishouStandin(**{"sleep_ms": 20, "hold_s": 0.5, **options})


def hub_config(tmp_path: Path, standin: Any, **settings: Any) -> dict[str, Any]:
    return testing.platform_config(tmp_path, standin, "kuaishou", **settings)


@contextlib.asynccontextmanager
async def kuaishou_hub(tmp_path: Path, standin: KuaishouStandin, **settings: Any) -> AsyncIterator[Any]:
    """A started hub whose Kuaishou connector is ready (connected to the stand-in)."""
    async with testing.platform_hub(tmp_path, standin, "kuaishou", **settings) as hub:
        yield hub


async def stored_ids(hub: Any, *types: str) -> list[str]:
    """Message ids of the kuaishou events in the database (repeats included)."""
    return await testing.stored_ids(hub, "kuaishou", *types)


async def http_get(hub: Any, path: str) -> str:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{hub.web.port}{path}") as resp:
            return await resp.text()


async def hub_status(hub: Any) -> dict[str, Any]:
    return json.loads(await http_get(hub, "/api/v1/status"))
