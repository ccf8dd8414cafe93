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
from hub.testing import running_hub

STARTER = Path(__file__).resolve().parents[2] / "hub" / "starter" / "catalog.json"
ROOM = KuaishouStandin.default_room


def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect after tens of milliseconds, not seconds: twenty disconnects in one test."""
    monkeypatch.setattr(KuaishouConnector, "backoff_base", 0.02)
    monkeypatch.setattr(KuaishouConnector, "backoff_cap", 0.2)


def fast_standin(**options: Any) -> KuaishouStandin:
    """A stand-in advising short sleeps and holding polls briefly (the protocol is the same)."""
    return KuaishouStandin(**{"sleep_ms": 20, "hold_s": 0.5, **options})


def hub_config(tmp_path: Path, standin: KuaishouStandin, **settings: Any) -> dict[str, Any]:
    table = {**standin.connector_config(room="main"), **settings}
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
            "web": {"enabled": True, "port": 0},
            "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER)}, "kuaishou": table},
            "rooms": {"main": {"locale": "zh-CN"}}}


@contextlib.asynccontextmanager
async def kuaishou_hub(tmp_path: Path, standin: KuaishouStandin, **settings: Any) -> AsyncIterator[Any]:
    """A started hub whose Kuaishou connector is ready (connected to the stand-in)."""
    async with running_hub(config=hub_config(tmp_path, standin, **settings)) as hub:
        connector = hub.connectors["kuaishou"]
        assert await connector.wait_ready(15), connector.status()
        yield hub


async def stored_ids(hub: Any, *types: str) -> list[str]:
    """Message ids of the Kuaishou events in the database (repeats included)."""
    ids: list[str] = []
    for kind in types:
        rows = await hub.storage.recent_events(limit=100_000, type=kind, room="main")
        ids += [row["message_id"] for row in rows if row["platform"] == "kuaishou"]
    return ids


async def http_get(hub: Any, path: str) -> str:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{hub.web.port}{path}") as resp:
            return await resp.text()


async def hub_status(hub: Any) -> dict[str, Any]:
    return json.loads(await http_get(hub, "/api/v1/status"))
