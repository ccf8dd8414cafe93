"""Triage as the hub's :class:`hub.interfaces.AnswerQueue`: provided in ``hub.slots`` while it runs, each
room's engine kept in the room's slots, and every Reply saying what it is about (sku, askers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.events import Asker, Enter, User, from_dict, to_dict
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
