"""A hub on the web with a room on air, the talk plugin and the ASR stand-in; a microphone track for aiortc."""

from __future__ import annotations

import asyncio
import fractions
from collections.abc import AsyncIterator
from pathlib import Path

import av
import numpy as np
import pytest
from aiortc import MediaStreamTrack

from hub.media.rooms import close_room, open_room
from hub.testing import running_hub
from plugins.asr_openai.standin import AsrStandIn

try:
    from tests.media.conftest import BUILTINS
except ImportError:  # pytest put tests/ itself on sys.path
    from media.conftest import BUILTINS  # type: ignore[no-redef]

TOKEN = "talk-test-token-51c3"
TOKEN_ENV = "LIVEHUB_TEST_TALK_TOKEN"
RATE = 48_000


def speech_like(seconds: float, rate: int = RATE) -> np.ndarray:
    """Tone bursts (syllables) for ``seconds``, then as long again of silence, so an utterance ends."""
    t = np.arange(int(seconds * rate)) / rate
    voice = np.sin(2 * np.pi * 180 * t) * (0.5 - 0.5 * np.cos(2 * np.pi * 4 * t)) * 12000
    return np.concatenate([voice, np.zeros(int(seconds * rate))]).astype(np.int16)


class MicTrack(MediaStreamTrack):
    """An aiortc audio track playing ``audio`` in 20 ms frames at real-time pace, then silence."""

    kind = "audio"

    def __init__(self, audio: np.ndarray) -> None:
        super().__init__()
        self.audio = audio
        self.sent = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        n = RATE // 50
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        await asyncio.sleep(max(0.0, self._start + self.sent / RATE - loop.time()))
        chunk = self.audio[self.sent:self.sent + n]
        if chunk.size < n:
            chunk = np.concatenate([chunk, np.zeros(n - chunk.size, dtype=np.int16)])
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = RATE, self.sent, fractions.Fraction(1, RATE)
        self.sent += n
        return frame


@pytest.fixture
async def asr() -> AsyncIterator[AsrStandIn]:
    async with AsrStandIn() as server:
        yield server


@pytest.fixture
async def talk_hub(asr: AsrStandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Room ``main`` on air (640x360), the API token :data:`TOKEN`, ASR through the stand-in."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv("LIVEHUB_CACHE_DIR", str(tmp_path / "cache"))
    config = {"web": {"enabled": True, "port": 0, "token": {"env": TOKEN_ENV}},
              "rooms": {"main": {"size": "640x360"}},
              "backends": {"asr": {"default": "openai-asr", "openai-asr": {"base_url": asr.url}}}}
    async with running_hub(config=config, builtins=BUILTINS) as hub:
        await open_room(hub, "main")
        try:
            yield hub
        finally:
            await close_room(hub, "main")
