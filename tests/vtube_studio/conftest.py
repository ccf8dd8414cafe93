"""Fixtures of the VTube Studio tests: the stand-in, and the real espeak voice (shared with tests/voice)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from connectors.vtube_studio.client import VtsClient
from connectors.vtube_studio.standin import VtsStandin
from tests.voice.conftest import espeak  # noqa: F401  (a fixture, used by name)


@pytest.fixture
async def vts() -> AsyncIterator[VtsStandin]:
    async with VtsStandin() as standin:
        yield standin


def client_of(standin: VtsStandin, **kw: object) -> VtsClient:
    return VtsClient(standin.ws_url, "LiveHub Host", "LiveHub", **kw)  # type: ignore[arg-type]
