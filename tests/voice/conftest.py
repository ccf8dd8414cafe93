"""Fixtures of the voice tests: the real espeak voice (libespeak-ng), a fake backend that counts its calls,
and an MP3 for the edge-tts stand-in. Every backend caches into the test's own temp folder."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import numpy as np
import pytest

from hub.media.frames import TimingEvent
from hub.media.speech import RawSpeech, VoiceBackend, VoiceSettings


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture
def espeak(tmp_path: Path):
    """The espeak backend (skipped where libespeak-ng is missing, except under CI where that fails)."""
    from hub.errors import BackendError
    from plugins.voice_espeak.backend import EspeakBackend, EspeakSettings

    try:
        return EspeakBackend(EspeakSettings(cache_dir=tmp_path / "voice"))
    except BackendError as exc:
        if _in_ci():
            pytest.fail(f"{exc} (CI must run the espeak tests)", pytrace=False)
        pytest.skip(str(exc))


class FakeVoice(VoiceBackend):
    """A backend that 'speaks' a 220 Hz tone, 0.1 s per character at 16 kHz, one word per space-separated
    token; records every call, and can be made to fail, or to wait for ``gates[text]`` before a text."""

    name = "fake"
    default_voices = {"zh-CN": "fake-zh", "en": "fake-en"}

    def __init__(self, settings: VoiceSettings | None = None, *, name: str = "fake",
                 fail: BaseException | None = None) -> None:
        super().__init__(settings)
        self.name = name  # type: ignore[misc]
        self.fail = fail
        self.calls: list[tuple[str, str]] = []
        self.started: list[str] = []
        self.finished: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}

    async def _synthesize(self, text: str, voice: str) -> RawSpeech:
        self.calls.append((text, voice))
        self.started.append(text)
        if text in self.gates:
            await self.gates[text].wait()
        if self.fail is not None:
            raise self.fail
        rate = 16_000
        seconds = 0.1 * len(text)
        t = np.arange(int(rate * seconds)) / rate
        audio = (8000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
        timing, at = [], 0.0
        for word in text.split():
            span = 0.1 * len(word)
            timing.append(TimingEvent("word", at, at + span, word))
            at += span + 0.1
        self.finished.append(text)
        return RawSpeech(audio, rate, timing)


@pytest.fixture
def make_fake(tmp_path: Path):
    """``make_fake(name="fake", fail=None, cache=True)`` → a FakeVoice caching under the test's folder."""

    def make(name: str = "fake", fail: BaseException | None = None, cache: bool = True, **settings) -> FakeVoice:
        return FakeVoice(VoiceSettings(cache=cache, cache_dir=tmp_path / "voice", **settings), name=name,
                         fail=fail)

    return make


@pytest.fixture(scope="session")
def mp3() -> bytes:
    try:
        from tests.voice.edge_standin import make_mp3
    except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
        from voice.edge_standin import make_mp3  # type: ignore[no-redef]
    return make_mp3()
