"""Fixtures of the live room tests: a running hub with the sample catalog and built-in rooms."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.app import Hub

STARTER = Path(__file__).resolve().parents[2] / "hub" / "starter" / "catalog.json"


def room_config(**overrides: object) -> dict:
    """Rooms ``main`` (public, local connector ``room``), ``back`` (local connector, not public) and
    ``other`` (public, no local connector)."""
    config = {
        "web": {"enabled": True, "port": 0},
        "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER)},
                       "room": {"type": "local", "room": "main", "rate_per_minute": 3},
                       "backroom": {"type": "local", "room": "back"}},
        "rooms": {"main": {"public": True}, "other": {"public": True}},
    }
    config.update(overrides)
    return config


@contextlib.asynccontextmanager
async def started_room_hub(config: dict) -> AsyncIterator[Hub]:
    """A running hub of ``config`` (see :func:`room_config`) whose connectors are all ready."""
    from hub.testing import running_hub

    async with running_hub(config=config) as hub:
        for connector in hub.connectors.values():
            assert await connector.wait_ready(10)
        yield hub


@pytest.fixture
async def room_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Hub]:
    monkeypatch.setenv("LIVEHUB_CACHE_DIR", str(tmp_path / "cache"))
    async with started_room_hub(room_config()) as hub:
        yield hub

