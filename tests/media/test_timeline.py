"""The room timeline with a tone voice on a jumping clock: frames never stall, lines follow each other
without gaps, urgent lines interrupt at once, slow subscribers lose frames without slowing anyone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np
import pytest

from hub.media.frames import SAMPLE_RATE
from hub.media.timeline import RoomTimeline
from hub.testing import wait_for
from plugins.avatar_sprite.backend import SpriteAvatar
from plugins.scene_studio.compositor import Compositor

from .helpers import Recorder, StepClock, ToneVoice

SIZE = (640, 360)
SPF = SAMPLE_RATE // 25


def make_timeline(voice: ToneVoice, clock=None) -> RoomTimeline:
    return RoomTimeline("test", avatar=SpriteAvatar(), scene=Compositor(SIZE), voice_chain=voice,
                        clock=clock or StepClock(), size=SIZE)


@pytest.fixture
async def timeline() -> AsyncIterator[RoomTimeline]:
    timeline = make_timeline(ToneVoice())
    yield timeline
    await timeline.stop()


async def test_frames_keep_coming_while_idle(timeline: RoomTimeline) -> None:
    rec = Recorder(timeline)
    await timeline.start()
    await wait_for(lambda: len(rec.frames) >= 250, timeout=20)
    frames = rec.frames[:250]
    assert [f.index for f in frames] == list(range(250))
    assert [f.pts for f in frames[:3]] == [0.0, 0.04, 0.08]
    assert all(f.audio.shape == (SPF,) and not f.audio.any() and not f.speaking for f in frames)
    assert any(f.blink > 0.5 for f in frames)  # 10 s of idle host: it blinks
    assert all(f.video.size == 0 for f in frames)  # nobody asked for pictures: none were drawn


async def test_lines_are_spoken_in_order_without_gaps(timeline: RoomTimeline) -> None:
    rec = Recorder(timeline)
    await timeline.start()
    first = timeline.say("第一句话。第二句话比较长一点。", sku="A1", comment=("阿明", "多少钱？"))
    second = timeline.say("第三句。")
    assert await asyncio.wait_for(second.done, 30) == "spoken"
    assert first.state == "spoken" and first.last_frame <= second.first_frame  # gapless: may share a frame
    voice: ToneVoice = timeline.voice  # type: ignore[assignment]
    assert [u.text for u in voice.spoken] == ["第一句话。", "第二句话比较长一点。", "第三句。"]
    expected = np.concatenate([u.audio for u in voice.spoken])
    heard = rec.audio_from(first.first_frame)
    assert np.array_equal(heard[:expected.size], expected)  # sentence after sentence, line after line
    speaking = [f for f in rec.frames if first.first_frame <= f.index < first.last_frame]
    assert all(f.sku == "A1" and f.comment == ("阿明", "多少钱？") for f in speaking)
    assert {f.caption for f in speaking} == {"第一句话。", "第二句话比较长一点。"}


async def test_an_urgent_line_cuts_the_speech_at_the_next_frame(timeline: RoomTimeline) -> None:
    said: list = []

    def interrupt(frame) -> None:  # 10 frames into the long line, from the frame stream itself
        if not said and long.first_frame is not None and frame.index == long.first_frame + 10:
            said.append(timeline.say("紧急插播！", urgent=True))

    rec = Recorder(timeline, on_frame=interrupt)
    await timeline.start()
    long = timeline.say("这是一段很长很长的介绍，" * 6)
    queued = timeline.say("排在后面的一句。")
    urgent = (await wait_for(lambda: said, timeout=20))[0]
    assert await asyncio.wait_for(urgent.done, 30) == "spoken"
    assert long.state == "cut" and queued.state == "cut"
    assert urgent.first_frame - urgent.queued_frame <= 7  # ≤ 300 ms of timeline time at 25 fps
    after = [f for f in rec.frames if urgent.queued_frame <= f.index < urgent.first_frame]
    assert all(not f.audio.any() for f in after)  # nothing of the cut line after the interrupt
    urgent_audio = timeline.voice.spoken[-1].audio  # type: ignore[attr-defined]
    assert np.array_equal(rec.audio_from(urgent.first_frame)[:urgent_audio.size], urgent_audio)


async def test_an_urgent_line_can_keep_the_queue(timeline: RoomTimeline) -> None:
    said: list = []

    def interrupt(frame) -> None:
        if not said and long.first_frame is not None and frame.index == long.first_frame + 5:
            said.append(timeline.say("紧急插播！", urgent=True, clear_queue=False))

    Recorder(timeline, on_frame=interrupt)
    await timeline.start()
    long = timeline.say("这是一段很长很长的介绍，" * 6)
    queued = timeline.say("排在后面的一句。")
    urgent = (await wait_for(lambda: said, timeout=20))[0]
    assert await asyncio.wait_for(queued.done, 30) == "spoken"
    assert long.state == "cut" and urgent.state == "spoken" and urgent.last_frame <= queued.first_frame


async def test_a_slow_voice_never_stalls_the_frames() -> None:
    timeline = make_timeline(ToneVoice(delay=0.3))
    rec = Recorder(timeline)
    await timeline.start()
    try:
        line = timeline.say("慢慢说。")
        assert await asyncio.wait_for(line.done, 30) == "spoken"
        assert line.first_frame - line.queued_frame > 10  # frames went on while the voice worked
        indexes = [f.index for f in rec.frames]
        assert indexes == list(range(len(indexes)))
    finally:
        await timeline.stop()


async def test_a_line_no_voice_can_say_fails_and_the_show_goes_on() -> None:
    timeline = make_timeline(ToneVoice(fail="坏"))
    await timeline.start()
    try:
        bad, good = timeline.say("坏句子。"), timeline.say("好句子。")
        assert await asyncio.wait_for(good.done, 30) == "spoken"
        assert bad.state == "failed" and "every voice failed" in bad.error
    finally:
        await timeline.stop()


async def test_a_slow_subscriber_drops_its_oldest_frames_only(timeline: RoomTimeline) -> None:
    fast = Recorder(timeline)
    slow = timeline.frames(5, video=False)
    await timeline.start()
    await wait_for(lambda: len(fast.frames) >= 100, timeout=20)
    assert slow.pending() == 5 and slow.dropped >= 95
    newest = [f.index async for f in _take(slow, 5)]
    assert newest == sorted(newest) and newest[0] >= 95  # what is left is the most recent frames
    assert [f.index for f in fast.frames[:100]] == list(range(100))


async def _take(sub, n: int):
    for _ in range(n):
        yield await sub.__anext__()


async def test_pictures_are_drawn_for_video_subscribers(timeline: RoomTimeline) -> None:
    sub = timeline.frames(50, video=True)
    await timeline.start()
    frame = await asyncio.wait_for(sub.__anext__(), 20)
    assert frame.video.shape == (360, 640, 3) and frame.video.dtype == np.uint8
    assert frame.video.std() > 10  # a drawn scene, not a blank


async def test_stop_ends_subscriptions_and_cuts_pending_lines() -> None:
    voice = ToneVoice(delay=5)
    timeline = make_timeline(voice)
    sub = timeline.frames(10, video=False)
    await timeline.start()
    line, waiting = timeline.say("不会说完。"), timeline.say("排队的。")
    await wait_for(lambda: voice.requested, timeout=10)  # the first line is being synthesised
    await timeline.stop()
    assert line.state == waiting.state == "cut" and line.done.done() and waiting.done.done()
    assert timeline.say("太晚了。").state == "cut"
    frames = [f async for f in sub]
    assert len(frames) <= 10  # what was queued, then the iteration ends
    assert [f async for f in timeline.frames(10)] == []  # a stopped timeline sends nothing


async def test_render_is_gapless_and_independent_of_the_live_timeline(timeline: RoomTimeline) -> None:
    frames = [f async for f in timeline.render(["第一句。第二句。", "第三句。"], lead_in=0.4, tail=0.6)]
    voice: ToneVoice = timeline.voice  # type: ignore[assignment]
    speech = np.concatenate([u.audio for u in voice.spoken])
    audio = np.concatenate([f.audio for f in frames])
    lead = 10 * SPF
    assert not audio[:lead].any()
    assert np.array_equal(audio[lead:lead + speech.size], speech)
    assert len(frames) == 10 + -(-speech.size // SPF) + 15
    assert [f.index for f in frames] == list(range(len(frames)))
    assert all(f.video.shape == (360, 640, 3) for f in frames)
    assert timeline.index == 0  # the live timeline was not touched


async def test_a_line_still_being_written_is_spoken_as_its_sentences_arrive(timeline: RoomTimeline) -> None:
    rec = Recorder(timeline)
    await timeline.start()
    voice: ToneVoice = timeline.voice  # type: ignore[assignment]
    line = timeline.say("第一句。", more=True, sku="A1")
    after = timeline.say("排在后面。")  # queued behind the open line: waits for all of it
    await wait_for(lambda: line.first_frame is not None, timeout=20)  # heard before the rest exists
    line.feed.add("第二句比较长一点。")
    await wait_for(lambda: len(voice.requested) >= 2, timeout=20)
    assert voice.requested == ["第一句。", "第二句比较长一点。"] and after.state == "queued"
    line.feed.add("第三句。")
    line.feed.close()
    line.feed.add("关闭之后的不算。")
    assert await asyncio.wait_for(after.done, 30) == "spoken"
    assert line.state == "spoken" and line.text == "第一句。第二句比较长一点。第三句。"
    assert [u.text for u in voice.spoken] == ["第一句。", "第二句比较长一点。", "第三句。", "排在后面。"]
    assert line.last_frame <= after.first_frame
    speaking = [f for f in rec.frames if line.first_frame <= f.index < line.last_frame]
    assert {f.caption for f in speaking} >= {"第一句。", "第三句。"} and {f.sku for f in speaking} == {"A1"}


async def test_an_open_line_whose_writer_vanished_ends_by_itself(timeline: RoomTimeline) -> None:
    await timeline.start()
    line = timeline.say("只说了一句。", more=True)
    line.feed.idle_timeout = 0.2
    after = timeline.say("下一条。")
    assert await asyncio.wait_for(after.done, 30) == "spoken"
    assert line.state == "spoken" and line.feed.timed_out and line.feed.closed


async def test_cutting_an_open_line_closes_its_feed(timeline: RoomTimeline) -> None:
    await timeline.start()
    line = timeline.say("说到一半。", more=True)
    await wait_for(lambda: line.first_frame is not None, timeout=20)
    urgent = timeline.say("紧急插播！", urgent=True)
    assert await asyncio.wait_for(urgent.done, 30) == "spoken"
    assert line.state == "cut" and line.feed.closed
    line.feed.add("来晚了。")
    assert line.feed.parts == ["说到一半。"]


class HeldClock:
    """A clock that stands still until the test lets it go on: ``sleep`` waits for :meth:`release`."""

    def __init__(self) -> None:
        self.t = 0.0
        self.released = asyncio.Event()

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        await self.released.wait()
        self.t += seconds

    def release(self) -> None:
        self.released.set()


async def test_speech_for_a_silent_host_starts_without_waiting_for_the_next_tick() -> None:
    clock = HeldClock()
    timeline = make_timeline(ToneVoice(), clock)
    rec = Recorder(timeline)
    try:
        await timeline.start()
        await wait_for(lambda: len(rec.frames) == 1)  # frame 0 made; the clock holds frame 1 back
        await asyncio.sleep(0.05)
        assert len(rec.frames) == 1
        line = timeline.say("马上开口。")
        first = await wait_for(lambda: next((f for f in rec.frames if f.audio.any()), None))
        assert first.index == 1 == line.first_frame and clock.now() == 0.0  # made before its tick
        await asyncio.sleep(0.05)
        assert len(rec.frames) == 2  # at most one frame ahead of the clock: the next waits for its tick
        clock.release()
        assert await asyncio.wait_for(line.done, 30) == "spoken"
    finally:
        await timeline.stop()
