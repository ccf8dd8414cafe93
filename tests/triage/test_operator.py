"""The operator's queue actions on a real room engine: list, approve (say it next), skip (dropped,
operator_skip), and the counters and voice-waiting signal the show runner and console read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.testing import comment, feed, running_hub, wait_for
from plugins.triage import operator
from plugins.triage.service import service_for

CATALOG = Path(__file__).resolve().parents[1] / "replay" / "catalog.json"
BUILTINS = ("connectors.catalog_file", "plugins.llm_catalog", "plugins.guardrails", "plugins.triage")
ROOM = "test-room"


def hub_config(**triage: Any) -> dict[str, Any]:
    return {"connectors": {"shop": {"type": "catalog_file", "path": str(CATALOG)}},
            "plugins": {"triage": {"chat_enabled": False, **triage}}}


async def started(hub: Any) -> Any:
    for connector in hub.connectors.values():
        await connector.wait_ready(5)
    service = service_for(hub)
    service.use_speech_estimator(lambda text, locale: 30.0)  # the first answer holds the voice: the rest wait
    return service


async def test_approve_skip_and_the_queue_view(tmp_path: Path) -> None:
    async with running_hub(config=hub_config(), builtins=BUILTINS) as hub:
        service = await started(hub)
        asks = [("1号链接多少钱", "甲"), ("2号链接多少钱", "乙"), ("3号链接有货吗", "丙"), ("2号链接有货吗", "丁")]
        await feed(hub, *[comment(t, room=ROOM, user=f"u{n}", name=name) for n, (t, name) in enumerate(asks)])
        engine = await wait_for(lambda: service.engines.get(ROOM))
        await wait_for(lambda: engine.log.counts["answered"] == 1 and len(engine.queue.items) == 3)
        assert engine.voice_waiting()  # three questions wait for the voice
        view = operator.queue_view(engine)
        assert [v["author"] for v in view] == ["乙", "丙", "丁"]  # price and stock weigh the same: oldest first
        assert view[0] == {"id": view[0]["id"], "kind": "answer", "intent": "price", "sku": "MUG-002",
                           "text": "2号链接多少钱", "author": "乙", "askers": 1, "waiting_s": view[0]["waiting_s"],
                           "approved": False}
        ids = {v["author"]: v["id"] for v in view}
        assert operator.approve(engine, ids["丁"]) and operator.approve(engine, ids["丙"])
        assert [v["author"] for v in operator.queue_view(engine)] == ["丁", "丙", "乙"]  # in approval order
        assert operator.skip(engine, ids["乙"])
        assert not operator.skip(engine, ids["乙"]) and not operator.approve(engine, "no-such-item")
        assert engine.log.decisions[next(e for e, d in engine.log.decisions.items() if d.reason == "operator_skip")] \
            .outcome == "dropped"
        assert operator.room_counters(engine) == {"comments": 4, "answered": 1, "aggregated": 0, "dropped": 1,
                                                  "blocked": 0}
        assert operator.room_counters(None)["comments"] == 0


async def test_an_approved_item_goes_to_the_voice_even_if_it_preferred_chat(tmp_path: Path) -> None:
    config = hub_config(chat_enabled=True, chat_rate_limit=1, chat_rate_window_s=600)
    async with running_hub(config=config, builtins=BUILTINS) as hub:
        service = await started(hub)
        engine = service.engine_for(ROOM, "test")
        await feed(hub, comment("how much is link 1?", room=ROOM, user="en-1"))  # foreign: goes to chat
        await wait_for(lambda: engine.log.replies)
        assert engine.log.replies[0].reply.channel == "chat"
        await feed(hub, comment("how much is link 2?", room=ROOM, user="en-2"))  # chat is used up: it waits
        item = await wait_for(lambda: engine.queue.items[0] if engine.queue.items else None)
        assert item.prefer_chat and not engine.voice_waiting()  # not the voice's to say
        assert operator.approve(engine, item.id)
        await wait_for(lambda: len(engine.log.replies) == 2)
        reply = engine.log.replies[1].reply
        assert reply.channel == "voice" and reply.answers == [a.event_id for a in item.asks]
