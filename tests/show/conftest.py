"""Fixtures of the show tests: real hubs (catalog, guardrails, triage, espeak voice, timeline, show runner),
a fast clock for timelines, and helpers to watch what the host says."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub.app import Hub
from hub.config import load_config
from hub.testing import config_for_tests

# A two-minute show of one product: the rundown the control API and security tests run.
SPRING_SHOW = """
name = "spring"
room = "main"
round_gap_s = 0.5
idle_fill_s = 60
[[segments]]
sku = "TEA-001"
minutes = 2
"""

CATALOG = Path(__file__).resolve().parents[1] / "replay" / "catalog.json"
TOKEN = "show-test-token-7d41c2"
TOKEN_ENV = "LIVEHUB_SHOW_TEST_TOKEN"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BUILTINS = ("hub.builtin.token_auth", "hub.builtin.recorder", "hub.builtin.schedule_api", "hub.builtin.rooms",
            "connectors.catalog_file",
            "plugins.llm_catalog", "plugins.guardrails", "plugins.triage", "plugins.voice_espeak",
            "plugins.avatar_sprite", "plugins.scene_studio", "plugins.output_file",
            "plugins.show_runner")


class FastClock:
    """Wall time sped up ``speed`` times: a timeline on it speaks a 5 s line in 1 s (lines stay in order,
    audio and frames stay in step; only the pace changes)."""

    def __init__(self, speed: float = 5.0) -> None:
        self.speed = speed
        self.origin = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self.origin) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


@pytest.fixture(autouse=True)
def voice_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEHUB_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "livehub-cache"))
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


def show_config(tmp_path: Path, *, web: bool = False, scheduler: bool = False, db: str | None = None,
                **overrides: Any) -> dict[str, Any]:
    plugins = {"show_runner": {"shows_dir": str(tmp_path / "shows"), "watchdog_s": 0.2, "tick_s": 0.05},
               "triage": {"chat_enabled": False}}
    for name, table in overrides.pop("plugins", {}).items():  # a disabled plugin takes no other settings
        plugins[name] = table if table.get("enabled") is False else {**plugins.get(name, {}), **table}
    data = config_for_tests({
        "hub": {"database_url": db or f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "shutdown_timeout": 10},
        "web": {"enabled": web, "port": 0, "token": {"env": TOKEN_ENV}},
        "scheduler": {"enabled": scheduler},
        "connectors": {"shop": {"type": "catalog_file", "path": str(CATALOG)}},
        "rooms": {"main": {"size": "320x180", "voices": ["espeak"]}},
        "backends": {"voice": {"default": "espeak"}, "llm": {"default": "catalog"}},
        "plugins": plugins,
        **overrides,
    })
    return data


@contextlib.asynccontextmanager
async def show_hub(tmp_path: Path, **options: Any) -> AsyncIterator[Hub]:
    """A started hub with the show runner, its catalog loaded."""
    hub = Hub(load_config(data=show_config(tmp_path, **options), env=False), builtins=BUILTINS, autoload=False)
    await hub.start()
    try:
        for connector in hub.connectors.values():
            assert await connector.wait_ready(10)
        yield hub
    finally:
        await hub.stop()


def heard(lines: Any, state: str | None = None) -> list[Any]:
    """Timeline lines in the order they started to be heard (lines not heard yet last, queue order)."""
    lines = list(lines)
    started = sorted((line for line in lines if line.first_frame is not None), key=lambda line: line.first_frame)
    rest = [line for line in lines if line.first_frame is None]
    return [line for line in [*started, *rest] if state is None or line.state == state]
