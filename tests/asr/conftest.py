"""The ASR stand-in, started for a test on a free port and stopped after it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from plugins.asr_openai.standin import AsrStandIn


@pytest.fixture
async def server() -> AsyncIterator[AsrStandIn]:
    async with AsrStandIn() as running:
        yield running


@pytest.fixture
async def keyed_server() -> AsyncIterator[AsrStandIn]:
    async with AsrStandIn(api_key="sk-right") as running:
        yield running
