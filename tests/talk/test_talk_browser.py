"""The console's talk button in headless Chromium with a fake microphone (#12 item 6 acceptance): the
microphone's audio reaches a WebRTC viewer of the room, the host's mouth (measured on the drawn pictures)
moves with it, and the ASR stand-in's transcript is in the audit log."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np
import pytest

from hub.media.mouth_meter import mouth_openness_from_frame
from hub.media.rooms import room_timeline
from hub.testing import wait_for
from plugins.avatar_sprite.backend import SpriteAvatar
from plugins.scene_studio.compositor import Compositor
from tests.environment import CHROMIUM, CHROMIUM_FLAGS, need_chromium

from .conftest import TOKEN, speech_like

try:
    from tests.media.helpers import Recorder
    from tests.media.test_browser import AUDIO_STATS, csp_violations, wait_js
except ImportError:  # pytest put tests/ itself on sys.path
    from media.helpers import Recorder  # type: ignore[no-redef]
    from media.test_browser import AUDIO_STATS, csp_violations, wait_js  # type: ignore[no-redef]

pytestmark = pytest.mark.slow


def fake_microphone(path: Path) -> Path:
    """A WAV Chromium plays as the microphone (it loops it): speech-like bursts, then silence."""
    audio = speech_like(1.5)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48_000)
        out.writeframes(audio.astype("<i2").tobytes())
    return path


async def test_the_talk_button_puts_the_microphone_on_air(talk_hub, asr, tmp_path) -> None:
    need_chromium()
    from playwright.async_api import async_playwright

    hub = talk_hub
    timeline = room_timeline(hub, "main")
    recorder = Recorder(timeline, video=True, maxsize=2000)
    asr.say("大家好，我是店长，今天我来给大家讲")
    flags = [*CHROMIUM_FLAGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
             f"--use-file-for-fake-audio-capture={fake_microphone(tmp_path / 'mic.wav')}"]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=flags)
        try:
            viewer = await browser.new_page()
            await viewer.goto(f"{hub.web.url}/watch/main#token={TOKEN}")
            await wait_js(viewer, "window.livehub && window.livehub.pc.connectionState === 'connected'")
            before = (await viewer.evaluate(AUDIO_STATS))["energy"]

            console = await browser.new_page()
            violations = csp_violations(console)
            await console.goto(f"{hub.web.url}/console?room=main#token={TOKEN}")
            await console.click("[data-testid=talk]")
            await wait_js(console, "document.querySelector('[data-testid=talk-state]').textContent"
                                   ".startsWith('on air')")
            await wait_for(lambda: timeline.live is not None, timeout=30)
            start = len(recorder.frames)
            # (c) the stand-in's transcript reaches the audit log
            await wait_for(lambda: bool(asr.requests), timeout=60)
            entries = []

            async def audited() -> bool:
                entries[:] = await hub.storage.recent_audit(50)
                return any(e["action"] == "talk" for e in entries)

            for _ in range(120):
                if await audited():
                    break
                await asyncio.sleep(0.5)
            talked = [e["detail"]["text"] for e in entries if e["action"] == "talk"]
            assert talked == ["大家好，我是店长，今天我来给大家讲"]
            # (a) the fake microphone's audio reaches the WebRTC viewer
            await wait_js(viewer, f"({AUDIO_STATS})().then((s) => s.energy > {before} + 0.02)", interval=0.25)
            frames = recorder.frames[start:]
            # (b) the mouth meter moves: measured on the pictures the viewer gets, with the loudness
            layout = Compositor((640, 360)).mouth_layout(SpriteAvatar())
            assert layout is not None
            drawn = [f for f in frames if f.video.size]
            opened = [mouth_openness_from_frame(f.video, layout) for f in drawn]
            loud = [float(np.abs(f.audio).max()) > 3000 for f in drawn]
            assert sum(loud) > 10 and max(opened) > 0.5 and min(opened) < 0.2
            assert np.mean([o for o, is_loud in zip(opened, loud, strict=True) if is_loud]) > \
                np.mean([o for o, is_loud in zip(opened, loud, strict=True) if not is_loud]) + 0.2
            assert not violations, violations

            await console.click("[data-testid=talk]")  # stop: the host's voice comes back
            await wait_for(lambda: timeline.live is None, timeout=30)
        finally:
            await browser.close()
    first = asr.requests[0]  # (the last one may be cut short by the stop)
    assert first.seconds > 0.5 and first.loudness > 0.05  # the microphone's real audio reached the ASR
