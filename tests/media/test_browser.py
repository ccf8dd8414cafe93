"""Real browsers: headless Chromium (Debian's, driven by Playwright) watching a room over WebRTC through
the hub's player page, and running the OBS overlay page."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hub.media.rooms import close_room, open_room
from tests.environment import chromium

from .conftest import TOKEN

pytestmark = pytest.mark.slow

AUDIO_STATS = """async () => {
  const pc = window.livehub.pc;
  let inbound = null;
  (await pc.getStats()).forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "audio") inbound = r; });
  const track = pc.getReceivers().map((r) => r.track).find((t) => t.kind === "audio");
  return { state: track && track.readyState, packets: inbound ? inbound.packetsReceived : 0,
           energy: inbound ? inbound.totalAudioEnergy : 0, lost: inbound ? inbound.packetsLost : -1 };
}"""


async def wait_js(page: Any, expression: str, timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll ``page.evaluate(expression)`` until truthy. (``page.wait_for_function`` evaluates its string
    with ``eval``, which the pages' Content-Security-Policy forbids, as it should.)"""
    deadline = time.monotonic() + timeout
    while True:
        value = await page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout:g} s: {expression}")
        await asyncio.sleep(interval)


def csp_violations(page: Any) -> list[str]:
    """Console messages about Content-Security-Policy violations on ``page`` (filled as they come)."""
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text)
            if "Content Security Policy" in message.text else None)
    return seen


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    async with chromium() as browser:
        yield browser


async def test_chromium_plays_the_room_over_webrtc(web_hub, browser) -> None:
    media = await open_room(web_hub, "main")
    page = await browser.new_page()
    violations = csp_violations(page)
    try:
        await page.goto(f"{web_hub.web.url}/watch/main#token={TOKEN}")
        await wait_js(page, "window.livehub && window.livehub.pc.connectionState === 'connected'")
        line = media.timeline.say("大家好，欢迎来到直播间，今天的好物马上就来。")
        await wait_js(page, "window.livehub.video.getVideoPlaybackQuality().totalVideoFrames > 50")
        assert await page.evaluate("[window.livehub.video.videoWidth, window.livehub.video.videoHeight]") \
            == [640, 360]
        await wait_js(page, f"({AUDIO_STATS})().then((s) => s.energy > 0)", interval=0.25)
        audio = await page.evaluate(AUDIO_STATS)
        assert audio["state"] == "live" and audio["packets"] > 50 and audio["lost"] == 0
        await line.done
        assert not violations, violations
    finally:
        await page.close()
        await close_room(web_hub, "main")


async def test_chromium_runs_the_obs_overlay(web_hub, browser) -> None:
    from hub.catalog import build_catalog

    catalog = build_catalog({"name": "晨光好物"}, [{"sku": "TEA-001", "link": 1, "name": "乌龙茶", "price": "128"}])
    media = await open_room(web_hub, "main", catalog=lambda: catalog)
    page = await browser.new_page(viewport={"width": 640, "height": 360})
    violations = csp_violations(page)
    try:
        await page.goto(f"{web_hub.web.url}/overlay/main#token={TOKEN}")
        await wait_js(page, "window.livehubOverlay.hello !== null")
        media.timeline.say("看看这款乌龙茶，只要一百二十八元。", sku="TEA-001")
        await wait_js(page, "window.livehubOverlay.frames > 50 && window.livehubOverlay.scenes > 0 "
                            "&& window.livehubOverlay.lastIndex > 0")
        state = await page.evaluate("""() => ({
            audio: window.livehubOverlay.audio.state,
            background: getComputedStyle(document.body).backgroundColor,
            host: document.getElementById('host').src.slice(0, 22),
            scene: document.getElementById('scene').src.slice(0, 22)})""")
        assert state == {"audio": "running", "background": "rgba(0, 0, 0, 0)",
                         "host": "data:image/png;base64,", "scene": "data:image/png;base64,"}
        assert not violations, violations
    finally:
        await page.close()
        await close_room(web_hub, "main")
