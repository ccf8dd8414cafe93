"""Fixtures of the web tests: a running hub with an API token, and an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.app import Hub
from tests.web.webhub import TOKEN, TOKEN_ENV, make_hub


@pytest.fixture
async def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Hub]:
    """A running hub whose API token is :data:`TOKEN`, read from the environment."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    running = make_hub(tmp_path, token={"env": TOKEN_ENV})
    await running.start()
    try:
        yield running
    finally:
        await running.stop()

