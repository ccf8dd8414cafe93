"""A room's avatar and scene switched while it is on air (GET/PUT /api/v1/rooms/{room}/appearance and the console's
"Host and scene" card): the switch waits for the next line (never mid-sentence), the stream loses no frame and keeps
its size, the avatar's state is shown, and a bad choice is refused with the reason."""

from __future__ import annotations

import aiohttp
import pytest

from connectors.talking_head.standin import TalkingHeadStandin
from hub.media.rooms import close_room, open_room
from hub.testing import running_hub, wait_for
from tests.environment import chromium

from .conftest import BUILTINS, TOKEN, TOKEN_ENV
from .test_browser import wait_js

LONG = "这是一句比较长的介绍，我们慢慢地说，让大家都听清楚这款茶叶的特点和今天的优惠。"


@pytest.fixture
async def looks_hub(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    async with TalkingHeadStandin(delay_s=0.1) as standin:
        config = {"web": {"enabled": True, "port": 0, "token": {"env": TOKEN_ENV}},
                  "rooms": {"main": {"size": "640x360", "outputs": []}},
                  "backends": {"avatar": {"talking_head": {"url": standin.url}}}}
        async with running_hub(config=config, builtins=BUILTINS) as hub:
            yield hub


async def call(hub, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http, \
            http.request(method, f"{hub.web.url}/api/v1{path}", json=body) as response:
        return response.status, await response.json()


async def test_a_switch_waits_for_the_next_line_and_the_stream_loses_no_frame(looks_hub) -> None:
    hub = looks_hub
    media = await open_room(hub, "main")
    timeline = media.timeline
    frames = timeline.frames(maxsize=100_000)
    try:
        status, look = await call(hub, "GET", "/rooms/main/appearance")
        assert status == 200 and look["on_air"] and look["avatar"]["chosen"] is None  # the default host
        assert {"sprite", "talking_head", "vtube_studio"} <= set(look["avatar"]["choices"])
        assert {"studio", "vertical"} <= set(look["scene"]["choices"]) and look["scene"]["now"] == "studio"
        assert look["avatar"]["status"]["state"] == "ready"

        status, refused = await call(hub, "PUT", "/rooms/main/appearance", {"avatar": "hologram"})
        assert status == 400 and "hologram" in refused["error"] and "talking_head" in refused["error"]
        status, refused = await call(hub, "PUT", "/rooms/main/appearance", {"scene": "vertical"})
        assert status == 400 and "portrait" in refused["error"]  # the stream is 640x360: it keeps its size
        status, refused = await call(hub, "PUT", "/rooms/main/appearance", {"colour": "red"})
        assert status == 400

        line = timeline.say(LONG, kind="pitch")
        await wait_for(lambda: line.state == "speaking", timeout=20)
        old = timeline.drawer.avatar
        status, look = await call(hub, "PUT", "/rooms/main/appearance", {"avatar": "talking_head"})
        assert status == 200 and look["avatar"]["chosen"] == "talking_head"
        if line.state == "speaking":  # mid-sentence: the switch waits for the next line
            assert look["pending"] == ["avatar"] and timeline.drawer.avatar is old
        assert await line.done == "spoken"
        await wait_for(lambda: timeline.drawer.avatar is not old, timeout=10)
        answer = timeline.say("换了主播，我们继续。", kind="answer")
        assert await answer.done == "spoken"
        status, look = await call(hub, "GET", "/rooms/main/appearance")
        assert look["avatar"]["status"]["avatar"] == "talking_head" and look["pending"] == []
        await wait_for(lambda: timeline.drawer.avatar.primary.shown > 0, timeout=20)  # the service's video is on
    finally:
        await close_room(hub, "main")
        frames.close()
    got = [frame async for frame in frames]
    indexes = [f.index for f in got]
    assert indexes == list(range(indexes[0], indexes[0] + len(indexes)))  # not one frame lost across the switch
    assert {f.video.shape for f in got} == {(360, 640, 3)}
    # a timeline started later in this process keeps the choice
    media = await open_room(hub, "main")
    try:
        assert media.timeline.drawer.avatar.name == "talking_head"
    finally:
        await close_room(hub, "main")
    entries = (await call(hub, "GET", "/audit?limit=20"))[1]["entries"]
    assert any(e["action"] == "appearance" and e["target"] == "main" for e in entries)


@pytest.mark.slow
async def test_the_console_shows_the_avatar_and_switches_it(looks_hub) -> None:
    hub = looks_hub
    await open_room(hub, "main")
    async with chromium() as browser:
        page = await browser.new_page()
        try:
            await page.goto(f"{hub.web.url}/console?room=main#token={TOKEN}")
            state = page.get_by_test_id("avatar-state")
            await wait_js(page, "document.getElementById('avatar-state').textContent.includes('ready')")
            options = await page.get_by_test_id("avatar-select").locator("option").all_text_contents()
            assert {"sprite", "talking_head", "vtube_studio"} <= set(options)
            await page.get_by_test_id("avatar-select").select_option("talking_head")
            await wait_js(page, "document.getElementById('avatar-state').textContent.startsWith('talking_head')")
            assert "talking_head" in await state.text_content()
            assert await page.get_by_test_id("scene-state").text_content() == "now studio"
        finally:
            await page.close()
            await close_room(hub, "main")
