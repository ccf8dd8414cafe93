"""Triage as the hub's :class:`hub.interfaces.AnswerQueue`: provided in ``hub.slots`` while it runs, each
room's engine kept in the room's slots, and every Reply saying what it is about (sku, askers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.events import HUB_PLATFORM, Asker, Enter, Follow, Gift, Like, StageChange, User, from_dict, to_dict
from hub.interfaces import AnswerQueue
from hub.testing import collect, comment, feed, running_hub, wait_for
from plugins.triage.engine import RoomEngine
from plugins.triage.service import TriageService

CATALOG = Path(__file__).resolve().parents[1] / "replay" / "catalog.json"
BUILTINS = ("connectors.catalog_file", "plugins.llm_catalog", "plugins.guardrails", "plugins.triage")
ROOM = "shop-room"


def hub_config(**triage: Any) -> dict[str, Any]:
    return {"connectors": {"shop": {"type": "catalog_file", "path": str(CATALOG)}},
            "plugins": {"triage": {"chat_enabled": False, **triage}}}


async def ready(hub: Any, seconds_per_line: float) -> AnswerQueue:
    for connector in hub.connectors.values():
        await connector.wait_ready(5)
    queue = hub.slots.require(AnswerQueue)
    queue.use_speech_estimator(lambda text, locale: seconds_per_line)
    return queue


async def test_a_reply_names_its_product_and_every_asker_on_every_platform() -> None:
    async with running_hub(config=hub_config(), builtins=BUILTINS) as hub:
        await ready(hub, 1.0)  # the first answer holds the voice a second: the same question gathers askers
        with collect(hub, types={"reply"}) as replies:
            await feed(hub, comment("1号链接多少钱", room=ROOM, user="u1", platform="douyin", message_id="d-1"))
            await wait_for(lambda: replies)
            await feed(hub,
                       comment("2号链接多少钱", room=ROOM, user="u2", name="乙", platform="douyin", message_id="d-2"),
                       comment("2号多少钱呀", room=ROOM, user="u3", name="丙", platform="acme", message_id="a-3"),
                       comment("2号链接多少钱", room=ROOM, user="u2", name="乙", platform="douyin", message_id="d-4"))
            await wait_for(lambda: len(replies) == 2, timeout=10)
    first, second = replies
    assert first.sku == "TEA-001" and first.askers == [Asker("douyin", User("u1", "u1"), "d-1")]
    assert second.sku == "MUG-002" and "89" in second.text and len(second.answers) == 3
    assert second.askers == [Asker("douyin", User("u2", "乙"), "d-2"), Asker("acme", User("u3", "丙"), "a-3")]
    assert from_dict(to_dict(second)).askers == second.askers  # what the recorder stores reads back the same


async def test_a_thank_you_names_the_viewers_who_commented_not_those_who_only_entered() -> None:
    config = hub_config(thanks_window_s={"enter": 0.3})
    async with running_hub(config=config, builtins=BUILTINS) as hub:
        await ready(hub, 0.1)
        with collect(hub, types={"reply"}) as replies:
            await feed(hub, Enter(platform="douyin", room=ROOM, user=User("u5", "戊"), message_id="e-5"),
                       comment("主播好", room=ROOM, user="u6", name="己", platform="acme", message_id="a-6"))
            await wait_for(lambda: replies, timeout=10)
    (thanks,) = replies
    assert thanks.kind == "thanks" and thanks.sku is None and len(thanks.answers) == 2
    assert thanks.askers == [Asker("acme", User("u6", "己"), "a-6")]


async def test_the_queue_is_provided_while_triage_runs_and_each_room_owns_its_engine() -> None:
    async with running_hub(config=hub_config(), builtins=BUILTINS) as hub:
        queue = await ready(hub, 30.0)  # the first answer holds the voice: the rest wait in the queue
        service = hub.slots.require(TriageService)
        assert queue is service
        assert queue.queue_view(ROOM) == [] and queue.counters(ROOM)["comments"] == 0  # no engine yet
        asks = [("1号链接多少钱", "甲"), ("2号链接多少钱", "乙"), ("3号链接有货吗", "丙")]
        await feed(hub, *[comment(t, room=ROOM, user=f"u{n}", name=name) for n, (t, name) in enumerate(asks)])
        room = await wait_for(lambda: hub.rooms.get(ROOM))  # made by its first event
        engine = await wait_for(lambda: room.slots.get(RoomEngine))
        await wait_for(lambda: engine.log.counts["answered"] == 1 and len(engine.queue.items) == 2)
        assert service.engines == {ROOM: engine} and queue.voice_waiting(ROOM)
        assert queue.stage_sku(ROOM) is None
        view = queue.queue_view(ROOM)
        assert [v["author"] for v in view] == ["乙", "丙"]
        assert queue.queue_item(ROOM, view[1]["id"]) == view[1] and queue.queue_item("elsewhere", view[1]["id"]) is None
        assert queue.approve(ROOM, view[1]["id"]) and [v["author"] for v in queue.queue_view(ROOM)] == ["丙", "乙"]
        assert not queue.skip("elsewhere", view[0]["id"]) and queue.skip(ROOM, view[0]["id"])
        assert queue.counters(ROOM) == {"comments": 3, "answered": 1, "aggregated": 0, "dropped": 1, "blocked": 0}
        await feed(hub, comment("有人吗", room="not a room name!"))  # not a room: left alone, nothing breaks
        await feed(hub, comment("3号链接多少钱", room=ROOM, user="u9"))
        await wait_for(lambda: queue.counters(ROOM)["comments"] == 4)
        assert "not a room name!" not in hub.rooms
    assert hub.slots.get(AnswerQueue) is None and hub.slots.get(TriageService) is None
    assert room.slots.get(RoomEngine) is None and not engine.tasks


async def test_a_chat_answer_settles_repeats_only_on_the_platforms_it_was_posted_to() -> None:
    """A chat answer is read only in the chats it was posted to; a voice answer is heard everywhere."""
    # follow-ups off: this is about which platforms a reply settles repeats on (follow-ups: test_engine.py)
    config = hub_config(chat_enabled=True, chat_intents=["price"], follow_up=False)
    async with running_hub(config=config, builtins=BUILTINS) as hub:
        await ready(hub, 0.1)
        with collect(hub, types={"reply"}) as replies:
            first = comment("1号链接多少钱", room=ROOM, user="u1", platform="douyin")
            await feed(hub, first)
            await wait_for(lambda: len(replies) == 1, timeout=10)
            elsewhere = comment("1号链接多少钱", room=ROOM, user="u2", platform="acme")
            await feed(hub, elsewhere)
            await wait_for(lambda: len(replies) == 2, timeout=10)
            repeat = comment("1号多少钱", room=ROOM, user="u3", platform="douyin")
            spoken = comment("包邮吗", room=ROOM, user="u4", platform="douyin")
            await feed(hub, repeat, spoken)
            await wait_for(lambda: len(replies) == 3, timeout=10)
            heard = comment("包邮吗", room=ROOM, user="u5", platform="acme")
            await feed(hub, heard)
            engine = hub.rooms[ROOM].slots.require(RoomEngine)
            await wait_for(lambda: heard.id in engine.log.decisions, timeout=10)
    asked_there, answered_here, voice = replies
    assert (asked_there.channel, answered_here.channel, voice.channel) == ("chat", "chat", "voice")
    assert [a.platform for a in asked_there.askers] == ["douyin"] and answered_here.answers == [elsewhere.id]
    assert [a.platform for a in answered_here.askers] == ["acme"]
    decisions = engine.log.decisions
    assert (decisions[elsewhere.id].outcome, decisions[elsewhere.id].reason) == ("answered", "price")
    assert (decisions[repeat.id].outcome, decisions[repeat.id].reason) == ("aggregated", "answered_recently")
    assert (decisions[heard.id].outcome, decisions[heard.id].reason) == ("aggregated", "answered_recently")


async def test_a_thank_you_names_the_viewers_thanked_and_a_room_never_takes_the_hubs_platform() -> None:
    config = hub_config(thanks_window_s={"gift": 0.3, "follow": 0.3, "like": 0.3})
    async with running_hub(config=config, builtins=BUILTINS) as hub:
        await ready(hub, 0.1)
        with collect(hub, types={"reply"}) as replies:
            await feed(hub, StageChange(platform=HUB_PLATFORM, room=ROOM, sku="TEA-001"))  # the show, first
            engine = await wait_for(lambda: (room := hub.rooms.get(ROOM)) and room.slots.get(RoomEngine))
            assert engine.platform == ""
            gifted = Gift(platform="douyin", room=ROOM, user=User("u7", "庚"), gift="rose", message_id="g-7")
            followed = Follow(platform="acme", room=ROOM, user=User("u8", "辛"))  # no message id
            liked = Like(platform="acme", room=ROOM, user=None, count=3)  # nobody to name
            await feed(hub, gifted, followed, liked)
            await wait_for(lambda: len(replies) == 3, timeout=10)
    gift, follow, like = (next(r for r in replies if r.answers == [e.id]) for e in (gifted, followed, liked))
    assert like.askers == []
    assert engine.platform == "douyin"
    assert gift.kind == follow.kind == "thanks" and all(r.platform == "douyin" for r in replies)
    assert gift.askers == [Asker("douyin", User("u7", "庚"), "g-7")]
    assert follow.askers == [Asker("acme", User("u8", "辛"), None)]
