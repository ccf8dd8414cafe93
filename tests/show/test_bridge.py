"""The room bridge on a real timeline (tone voice, jumping clock): a voice reply sent sentence by sentence
is one line, heard from its first sentence and ended by its Reply; a reply sent whole is said whole."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hub.events import HUB_PLATFORM, Reply, ReplySentence, new_event_id
from hub.media.timeline import RoomTimeline
from hub.testing import feed, wait_for
from plugins.avatar_sprite.backend import SpriteAvatar
from plugins.scene_studio.compositor import Compositor
from plugins.show_runner.bridge import RoomBridge
from tests.media.helpers import StepClock, ToneVoice

ROOM = "main"


@pytest.fixture
async def bridge(hub: Any) -> AsyncIterator[RoomBridge]:
    timeline = RoomTimeline(ROOM, avatar=SpriteAvatar(), scene=Compositor((320, 180)),
                            voice_chain=ToneVoice(), clock=StepClock(), size=(320, 180))
    await timeline.start()
    bridge = RoomBridge(hub, ROOM, timeline, clock=StepClock())
    await bridge.start()
    yield bridge
    await bridge.stop()
    await timeline.stop()


def sentence(reply: str, index: int, text: str, room: str = ROOM, **fields: Any) -> ReplySentence:
    return ReplySentence(platform=HUB_PLATFORM, room=room, reply=reply, index=index, text=text, **fields)


async def test_sentences_of_a_reply_are_one_line_heard_before_the_reply_is_complete(hub: Any,
                                                                                     bridge: RoomBridge) -> None:
    voice: ToneVoice = bridge.timeline.voice
    reply_id = new_event_id()
    await feed(hub, sentence(reply_id, 0, "第一句。", sku="TEA-001"))
    line = await wait_for(lambda: bridge.history[-1] if bridge.history else None)
    await wait_for(lambda: line.first_frame is not None, timeout=20)  # speaking, the rest not yet written
    assert line.sku == "TEA-001" and line.feed is not None and not line.feed.closed
    await feed(hub, sentence(reply_id, 1, "第二句。"))
    await feed(hub, Reply(platform=HUB_PLATFORM, room=ROOM, text="第一句。第二句。", id=reply_id))
    assert await asyncio.wait_for(line.done, 30) == "spoken"
    assert len(bridge.history) == 1 and bridge.said == 1  # the Reply ended the line, it was not said again
    assert voice.requested == ["第一句。", "第二句。"] and line.text == "第一句。第二句。"


async def test_a_whole_reply_is_said_and_other_rooms_and_chat_are_not(hub: Any, bridge: RoomBridge) -> None:
    voice: ToneVoice = bridge.timeline.voice
    await feed(hub, sentence(new_event_id(), 0, "别的直播间。", room="other"),
               Reply(platform=HUB_PLATFORM, room=ROOM, text="发在评论区。", channel="chat"),
               Reply(platform=HUB_PLATFORM, room=ROOM, text="一次说完。"))
    line = await wait_for(lambda: bridge.history[-1] if bridge.history else None)
    assert await asyncio.wait_for(line.done, 30) == "spoken"
    assert line.feed is None and voice.requested == ["一次说完。"] and bridge.said == 1


async def test_stopping_the_bridge_ends_lines_still_being_written(hub: Any, bridge: RoomBridge) -> None:
    await feed(hub, sentence(new_event_id(), 0, "说到一半。"))
    line = await wait_for(lambda: bridge.history[-1] if bridge.history else None)
    await bridge.stop()
    assert line.feed.closed
    assert await asyncio.wait_for(line.done, 30) == "spoken"
