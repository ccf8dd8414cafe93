"""The ``talking_head`` avatar in a room's timeline, against the stand-in: each sentence's audio goes to the service
before it is heard, its frames are shown at their instant, the built-in host covers the service's delay, the delay
is measured; killing the service mid-show hands the host to the sprite within one line while the stream goes on,
and the service takes over again when it is back."""

from __future__ import annotations

import asyncio
import logging

import pytest

from connectors.talking_head.avatar import TalkingHeadAvatar
from connectors.talking_head.standin import TalkingHeadStandin
from hub.media.avatar import FallbackAvatar
from hub.media.rooms import build_timeline
from hub.testing import running_hub, wait_for
from tests.media.conftest import BUILTINS

LINES = ["第一句话，我们来看看这款茶叶。", "它的香气非常清新，回甘明显。", "今天下单还有优惠。"]


def config(url: str) -> dict:
    return {"backends": {"avatar": {"talking_head": {"url": url, "timeout_s": 2.0, "retry_max_s": 0.5}}},
            "rooms": {"main": {"avatar": "talking_head"}}}


async def say_all(timeline, lines: list[str]) -> list[str]:
    said = [timeline.say(text, kind="pitch") for text in lines]
    return [await line.done for line in said]


async def started(hub, standin):
    timeline = build_timeline(hub, "main", size=(640, 360))
    avatar = timeline.drawer.avatar
    assert isinstance(avatar, FallbackAvatar) and isinstance(avatar.primary, TalkingHeadAvatar)
    avatar.retry_s, avatar.retry_max_s = 0.1, 0.3
    avatar.primary.link.retry_s = 0.1
    frames = timeline.frames(maxsize=10_000)
    await timeline.start()
    return timeline, avatar, frames


async def test_the_service_renders_each_sentence_ahead_and_the_sprite_covers_its_delay() -> None:
    async with TalkingHeadStandin(delay_s=0.5, speed=4.0) as standin, \
            running_hub(config=config(standin.url), builtins=BUILTINS) as hub:
        timeline, avatar, frames = await started(hub, standin)
        try:
            assert await say_all(timeline, LINES) == ["spoken"] * 3
            head = avatar.primary
            status = timeline.status()["avatar"]
            assert status["avatar"] == "talking_head" and status["state"] == "ready"
            assert 0.45 <= status["delay_s"] <= 2.5  # the stand-in's 0.5 s, measured
            assert status["lead_s"] > status["delay_s"] and timeline.ahead >= status["lead_s"]
            assert len(standin.rendered) == status["sentences_sent"] >= 3  # every sentence, each once, in order
            assert [r["size"] for r in standin.rendered][-1] == tuple(timeline.drawer.scene.host_size)
            assert head.shown > 0  # the service's video is on screen
            assert avatar.covered > 0  # ... and the built-in host covered the first sentence's first frames
            # every sentence arrived at the service before it was heard (sent as soon as it was synthesised)
            assert all(r["arrived"] < r["first_sent"] for r in standin.rendered)
        finally:
            await timeline.stop()
            frames.close()


async def test_killing_the_service_mid_show_falls_back_within_one_line_and_it_comes_back(
        caplog: pytest.LogCaptureFixture) -> None:
    standin = await TalkingHeadStandin(delay_s=0.1, speed=4.0).start()
    try:
        async with running_hub(config=config(standin.url), builtins=BUILTINS) as hub:
            timeline, avatar, frames = await started(hub, standin)
            try:
                await say_all(timeline, LINES[:1])
                await wait_for(lambda: avatar.primary.shown > 0, timeout=10)
                with caplog.at_level(logging.INFO):
                    line = timeline.say("这一句说到一半，服务就停了。" * 3, kind="pitch")
                    await wait_for(lambda: line.state == "speaking", timeout=10)
                    await standin.stop()  # the service dies mid-line
                    before = timeline.index
                    next_line = timeline.say("下一句照常播出。", kind="pitch")
                    assert await line.done == "spoken" and await next_line.done == "spoken"
                    assert avatar.state == "fallback" and avatar.primary.link.state == "retrying"
                    assert timeline.index > before + 25  # the stream went on
                    await standin.start()
                    back = timeline.say("服务回来了，主播也回来了。", kind="pitch")
                    await back.done
                    for _ in range(3):  # the next sentence after the backoff goes to the service again
                        if avatar.state == "ready":
                            break
                        await say_all(timeline, ["再说一句。"])
                    await wait_for(lambda: avatar.state == "ready", timeout=10)
                failing = [r for r in caplog.records if "the built-in host takes over" in r.getMessage()]
                again = [r for r in caplog.records if "talking_head draws again" in r.getMessage()]
                assert len(failing) == 1 and len(again) == 1  # one line when it fails, one when it is back
            finally:
                await timeline.stop()
                frames.close()
    finally:
        await standin.stop()


async def test_the_avatar_closes_its_link_when_the_timeline_stops() -> None:
    async with TalkingHeadStandin(delay_s=0.0) as standin, \
            running_hub(config=config(standin.url), builtins=BUILTINS) as hub:
        timeline, avatar, frames = await started(hub, standin)
        await say_all(timeline, LINES[:1])
        await timeline.stop()
        frames.close()
        assert avatar.primary.link.state == "stopped"
        assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("talking_head:")]
