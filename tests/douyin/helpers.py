"""A hub with a Douyin connector pointed at the stand-in, and counting what arrived."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from connectors.douyin.connector import DouyinConnector
from connectors.douyin.standin import DouyinStandin
from hub import testing


def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect after tens of milliseconds, not seconds: twenty disconnects in one test."""
    testing.fast_retries(monkeypatch, DouyinConnector)


def hub_config(tmp_path: Path, standin: Any, **settings: Any) -> dict[str, Any]:
    return testing.platform_config(tmp_path, standin, "douyin", **settings)


@contextlib.asynccontextmanager
async def douyin_hub(tmp_path: Path, standin: DouyinStandin, **settings: Any) -> AsyncIterator[Any]:
    """A started hub whose Douyin connector is ready; the stand-in pushes to its callback."""
    async with testing.platform_hub(tmp_path, standin, "douyin", ready=False, **settings) as hub:
        standin.callback_url = f"http://127.0.0.1:{hub.web.port}/douyin/push"
        connector = hub.connectors["douyin"]
        assert await connector.wait_ready(15), connector.status()
        yield hub


async def stored_ids(hub: Any, *types: str) -> list[str]:
    """Message ids of the douyin events in the database (repeats included)."""
    return await testing.stored_ids(hub, "douyin", *types)
