"""The room control API over real HTTP with the API token: show start/stop/pause/resume, takeover, stage,
queue actions and the room state the console shows. Every action lands in the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.testing import collect, comment, feed, wait_for
from plugins.show_runner.service import show_service
from plugins.triage.service import service_for

from .conftest import AUTH, FastClock, heard, show_hub
from .conftest import SPRING_SHOW as SHOW

ROOM = "main"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[Any, aiohttp.ClientSession, str]]:
    (tmp_path / "shows").mkdir()
    (tmp_path / "shows" / "spring.toml").write_text(SHOW, encoding="utf-8")
    async with show_hub(tmp_path, web=True) as hub, aiohttp.ClientSession(headers=AUTH) as http:
        yield hub, http, f"{hub.web.url}/api/v1/rooms/{ROOM}"


async def call(http: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> tuple[int, Any]:
    async with http.request(method, url, json=body) as response:
        return response.status, await response.json()


async def actions(hub: Any) -> list[tuple[str, str, str]]:
    return [(e["actor"], e["action"], e["target"]) for e in reversed(await hub.storage.recent_audit(500))]


async def test_a_show_is_started_paused_resumed_and_stopped_through_the_api(api: Any) -> None:
    hub, http, room = api
    status, state = await call(http, "POST", f"{room}/pause")
    assert status == 409 and "no show" in state["error"]
    status, state = await call(http, "POST", f"{room}/show/start", {"show": "nope"})
    assert status == 404
    status, state = await call(http, "POST", f"{room}/show/start", {"show": "spring", "duration_min": 1})
    assert status == 201 and state["running"] and state["show"] == "spring" and state["on_air"]
    assert 50 < state["remaining_s"] <= 60
    status, _ = await call(http, "POST", f"{room}/show/start", {"show": "spring"})
    assert status == 409
    status, run = await call(http, "POST", f"{room}/pause")
    assert status == 200 and run["paused"] and run["state"] == "paused"
    _, state = await call(http, "GET", f"{room}/state")
    assert state["paused"] and state["segment"]["sku"] == "TEA-001" and state["stage_sku"] == "TEA-001"
    assert set(state) >= {"room", "show", "running", "paused", "segment", "stage_sku", "queue", "counters",
                          "outputs", "connectors", "pinned", "speaking", "on_air", "remaining_s"}
    assert set(state["counters"]) == {"comments", "answered", "aggregated", "dropped", "blocked"}
    assert [c["name"] for c in state["connectors"]] == ["shop"]
    status, run = await call(http, "POST", f"{room}/resume")
    assert status == 200 and not run["paused"]
    _, rooms = await call(http, "GET", f"{hub.web.url}/api/v1/shows/rooms")
    assert {"room": ROOM, "on_air": True, "show": "spring", "running": True, "paused": False,
            "stage_sku": "TEA-001", "public": False}.items() <= rooms[0].items()
    status, stopped = await call(http, "POST", f"{room}/show/stop")
    assert status == 200 and stopped == {"room": ROOM, "stopped": True}
    _, state = await call(http, "GET", f"{room}/state")
    assert not state["running"] and not state["on_air"]
    assert (await call(http, "POST", f"{room}/show/stop"))[1]["stopped"] is False
    done = [a for a in await actions(hub) if a[0] == "operator"]
    assert [a[1] for a in done] == ["show_start", "pause", "resume", "show_stop"]


async def test_a_takeover_is_said_next_cutting_the_pitch_and_is_audited(api: Any) -> None:
    hub, http, room = api
    live = await show_service(hub).start_show(ROOM, "spring", clock=FastClock(2.0))
    speaking = await wait_for(lambda: next((ln for ln in live.bridge.history if ln.state == "speaking"), None))
    status, said = await call(http, "POST", f"{room}/takeover", {"text": "大家好，我是店长，马上抽奖！"})
    assert status == 200 and said["said"] and said["text"] == "大家好，我是店长，马上抽奖！"
    line = await wait_for(lambda: next((ln for ln in live.bridge.history if ln.kind == "takeover"), None))
    await wait_for(lambda: line.state == "spoken", timeout=20)
    assert speaking.state == "cut"  # the sentence being heard was interrupted
    after = [ln for ln in heard(live.bridge.history) if ln.first_frame is not None and ln.first_frame > speaking.first_frame]
    assert after[0] is line and line.sku == "TEA-001"
    entry = next(e for e in await hub.storage.recent_audit() if e["action"] == "takeover")
    assert entry["actor"] == "operator" and entry["target"] == ROOM
    assert entry["detail"] == {"text": "大家好，我是店长，马上抽奖！", "said": "大家好，我是店长，马上抽奖！", "blocked": False,
                               "reasons": []}


async def test_a_takeover_the_guardrails_block_is_not_said(api: Any) -> None:
    hub, http, room = api
    status, _ = await call(http, "POST", f"{room}/takeover", {"text": "你好"})
    assert status == 409  # not on air
    live = await show_service(hub).open_room(ROOM, clock=FastClock(4.0))
    status, error = await call(http, "POST", f"{room}/takeover", {"text": "全网最低价，买了能治愈癌症！"})
    assert status == 422 and error["reasons"] and "not said" in error["error"]
    status, _ = await call(http, "POST", f"{room}/takeover", {"text": "  "})
    assert status == 400
    status, fixed = await call(http, "POST", f"{room}/takeover", {"text": "高山乌龙茶今天只要9块9"})
    assert status == 200 and fixed["changed"] and "128元" in fixed["text"]  # rewritten to the catalog's price
    await wait_for(lambda: any(ln.kind == "takeover" for ln in live.bridge.history))
    assert [ln.text for ln in live.bridge.history if ln.kind == "takeover"] == [fixed["text"]]
    entries = [e["detail"] for e in await hub.storage.recent_audit() if e["action"] == "takeover"]
    blocked = next(d for d in entries if d["blocked"])
    assert blocked["said"] is None and blocked["text"] == "全网最低价，买了能治愈癌症！" and blocked["reasons"] == error["reasons"]


async def test_the_stage_api_switches_the_product_the_card_and_the_pitch(api: Any) -> None:
    hub, http, room = api
    live = await show_service(hub).start_show(ROOM, "spring", clock=FastClock(4.0))
    frames = live.timeline.frames(maxsize=100_000, video=False)
    await wait_for(lambda: any(ln.kind == "pitch" for ln in live.bridge.history))
    assert (await call(http, "POST", f"{room}/stage", {"sku": "NOPE"}))[0] == 404
    with collect(hub, types={"stage"}) as stages:
        status, result = await call(http, "POST", f"{room}/stage", {"sku": "SCARF-003"})
        assert status == 200 and result == {"room": ROOM, "stage_sku": "SCARF-003", "on_air": True}
        await wait_for(lambda: stages)
    assert stages[0].sku == "SCARF-003" and stages[0].room == ROOM
    async for frame in frames:
        if frame.sku == "SCARF-003":
            break
    pitch = await wait_for(lambda: next((ln for ln in live.bridge.history if ln.kind == "pitch" and ln.sku == "SCARF-003"),
                                        None), timeout=20)
    assert "围巾" in pitch.text or "3号" in pitch.text or "199" in pitch.text
    assert service_for(hub).engines[ROOM].stage_sku == "SCARF-003"  # answers follow the stage too
    _, state = await call(http, "GET", f"{room}/state")
    assert state["stage_sku"] == "SCARF-003" and state["segment"]["pitch_sku"] == "SCARF-003"
    assert ("operator", "stage", ROOM) in await actions(hub)


async def test_queue_items_are_approved_skipped_pinned_and_unpinned(api: Any) -> None:
    hub, http, room = api
    live = await show_service(hub).open_room(ROOM, clock=FastClock(4.0))
    service_for(hub).use_speech_estimator(lambda text, locale: 3.0)  # the voice is booked 3 s per answer
    frames = live.timeline.frames(maxsize=100_000, video=False)
    asks = [("1号链接多少钱", "甲"), ("2号链接多少钱", "乙"), ("3号链接多少钱", "丙"), ("2号链接有货吗", "丁")]
    await feed(hub, *[comment(text, room=ROOM, user=f"u{n}", name=name) for n, (text, name) in enumerate(asks)])

    async def queue() -> list[dict[str, Any]]:
        return (await call(http, "GET", f"{room}/state"))[1]["queue"]

    items = await wait_for(lambda: _len_is(queue, 3))
    assert {i["author"] for i in items} == {"乙", "丙", "丁"}  # 甲's question is being answered
    by_author = {i["author"]: i for i in items}
    assert by_author["丙"]["text"] == "3号链接多少钱" and by_author["丙"]["sku"] == "SCARF-003"
    assert by_author["丙"]["intent"] == "price" and by_author["丙"]["askers"] == 1 and by_author["丙"]["waiting_s"] >= 0
    assert (await call(http, "POST", f"{room}/queue/999999/approve"))[0] == 404
    status, approved = await call(http, "POST", f"{room}/queue/{by_author['丁']['id']}/approve")
    assert status == 200 and approved["item"]["author"] == "丁"
    assert (await queue())[0]["author"] == "丁" and (await queue())[0]["approved"]
    status, _ = await call(http, "POST", f"{room}/queue/{by_author['乙']['id']}/skip")
    assert status == 200
    status, pinned = await call(http, "POST", f"{room}/queue/{by_author['丙']['id']}/pin")
    assert status == 200
    _, state = await call(http, "GET", f"{room}/state")
    assert state["pinned"] == {"id": by_author["丙"]["id"], "author": "丙", "text": "3号链接多少钱"}
    assert [item["pinned"] for item in state["queue"] if item["author"] == "丙"] == [True]
    async for frame in frames:
        if frame.comment == ("丙", "3号链接多少钱"):
            break
    await wait_for(lambda: sum(ln.kind == "answer" for ln in live.bridge.history) == 3, timeout=30)
    answers = [ln.comment[0] for ln in heard(live.bridge.history) if ln.kind == "answer"]
    assert answers == ["甲", "丁", "丙"]  # the approved one first; the skipped one never
    decisions = service_for(hub).engines[ROOM].log.decisions
    skipped = next(d for d in decisions.values() if d.reason == "operator_skip")
    assert skipped.outcome == "dropped"
    status, _ = await call(http, "POST", f"{room}/queue/{by_author['丙']['id']}/unpin")
    assert status == 200 and live.pinned is None
    async for frame in frames:
        if frame.comment is None:
            break
    _, state = await call(http, "GET", f"{room}/state")
    assert state["counters"] == {"comments": 4, "answered": 3, "aggregated": 0, "dropped": 1, "blocked": 0}
    assert [a[1] for a in await actions(hub) if a[1].startswith("queue_")] == \
        ["queue_approve", "queue_skip", "queue_pin", "queue_unpin"]


async def _len_is(get: Any, n: int) -> Any:
    items = await get()
    return items if len(items) == n else None
