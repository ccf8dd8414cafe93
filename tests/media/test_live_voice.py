"""A human voice on air (#12 item 6): the jitter buffer, and the timeline handing the host's voice and mouth
to the operator and back."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from hub.media.frames import SAMPLE_RATE
from hub.media.live_voice import LiveVoice, openness
from hub.media.timeline import RoomTimeline
from hub.testing import wait_for
from plugins.avatar_sprite.backend import SpriteAvatar
from plugins.scene_studio.compositor import Compositor

from .helpers import Recorder, StepClock, ToneVoice, tone

SPF = SAMPLE_RATE // 25


def test_the_buffer_waits_for_its_prebuffer_then_plays_in_order() -> None:
    live = LiveVoice(prebuffer_s=0.06, max_delay_s=0.4)
    live.push(np.full(SPF, 100, dtype=np.int16))  # one 40 ms frame: under the prebuffer
    assert not live.read(SPF).any()
    live.push(np.full(SPF, 200, dtype=np.int16))
    assert np.all(live.read(SPF) == 100) and np.all(live.read(SPF) == 200)
    assert not live.read(SPF).any() and live.underruns == 1  # ran dry: silence, then prebuffer again


def test_the_buffer_resamples_and_drops_what_is_too_late() -> None:
    live = LiveVoice(prebuffer_s=0.0, max_delay_s=0.1)
    live.push(tone(1.0)[::3], 16_000)  # 1 s of 16 kHz speech arriving at once after a stall
    assert live.buffered == int(0.1 * SAMPLE_RATE) and live.dropped == pytest.approx(0.9 * SAMPLE_RATE, abs=200)


def test_the_mouth_follows_loudness() -> None:
    assert openness(np.zeros(SPF, dtype=np.int16)) == 0.0
    assert openness(np.full(SPF, 300, dtype=np.int16)) == 0.0  # background noise keeps it shut
    assert openness(np.full(SPF, 2000, dtype=np.int16)) < openness(np.full(SPF, 3000, dtype=np.int16)) < 1.0
    assert openness(np.full(SPF, 12000, dtype=np.int16)) == 1.0


async def test_the_operator_takes_the_voice_and_gives_it_back() -> None:
    voice = ToneVoice(seconds_per_char=0.1)
    timeline = RoomTimeline("test", avatar=SpriteAvatar(), scene=Compositor((320, 180)), voice_chain=voice,
                            clock=StepClock(), size=(320, 180))
    recorder = Recorder(timeline)  # keep it: the loop holds its task weakly
    frames = recorder.frames
    await timeline.start()
    try:
        # 20 s of speech on the step clock: long enough that the poll below sees it being spoken however busy
        # the machine is (a 2 s sentence could be over between two polls when the event loop is slow)
        first = timeline.say("一二三四五六七八九十" * 20 + "。")
        waiting = timeline.say("后面这句等主播说完。")
        await wait_for(lambda: first.state == "speaking", timeout=20)
        live = LiveVoice(prebuffer_s=0.0)
        timeline.go_live(live)
        assert await asyncio.wait_for(first.done, 20) == "cut"
        live.push(np.full(SAMPLE_RATE, 6000, dtype=np.int16))  # a second of a loud operator
        live.caption = "大家好，我是店长"
        mark = len(frames)
        await wait_for(lambda: sum(1 for f in frames[mark:] if np.all(f.audio == 6000)) >= 10, timeout=20)
        loud = [f for f in frames[mark:] if np.all(f.audio == 6000)]
        assert all(f.mouth > 0.3 and f.speaking and f.caption == "大家好，我是店长" for f in loud)
        assert waiting.state == "queued" and timeline.status()["live"]
        timeline.end_live(live)
        assert await asyncio.wait_for(waiting.done, 20) == "spoken"  # the synthetic voice goes on
    finally:
        await timeline.stop()
