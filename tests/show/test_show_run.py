"""A show running on a real room: espeak voice, the real timeline (on a fast clock), triage answering
comments, guardrails reviewing every line, the show runner pitching in between."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.events import HUB_PLATFORM
from hub.testing import collect, comment, feed, wait_for
from plugins.show_runner.rundown import parse_rundown
from plugins.show_runner.service import show_service
from plugins.triage.service import service_for

from .conftest import FastClock, heard, show_hub

ROOM = "main"


def rundown(**fields: Any) -> Any:
    segments = fields.pop("segments", None) or [{"sku": "TEA-001", "minutes": 1}]
    return parse_rundown({"name": "test", "room": ROOM, "round_gap_s": 0.5, "idle_fill_s": 60,
                          "segments": segments, **fields})


def quick_answers(hub: Any) -> None:
    """The triage engine books 0.3 s per answer: it hands answers over at once; the timeline orders them."""
    service_for(hub).use_speech_estimator(lambda text, locale: 0.3)


async def start(hub: Any, show: Any, speed: float = 4.0) -> Any:
    return await show_service(hub).start_show(ROOM, show, clock=FastClock(speed))


async def test_an_answer_arriving_mid_pitch_is_said_before_the_next_pitch_sentence(tmp_path: Path) -> None:
    async with show_hub(tmp_path) as hub:
        quick_answers(hub)
        live = await start(hub, rundown())
        first = await wait_for(lambda: next((ln for ln in live.bridge.history if ln.kind == "pitch"
                                             and ln.state == "speaking"), None))
        question = comment("2号链接多少钱", room=ROOM, user="v1", name="小明")
        await feed(hub, question)
        answer = await wait_for(lambda: next((ln for ln in live.bridge.history if ln.kind == "answer"), None))
        await wait_for(lambda: answer.state == "spoken", timeout=30)
        await wait_for(lambda: sum(ln.kind == "pitch" and ln.state == "spoken" for ln in live.bridge.history) >= 3,
                       timeout=30)
        order = heard(live.bridge.history)
        at = order.index(answer)
        assert order[at - 1] is first and first.state == "spoken"  # right after the sentence being heard
        assert order[at + 1].kind == "pitch"  # and before the next pitch sentence
        assert "89元" in answer.text  # the catalog's price of link 2
        assert answer.comment == ("小明", "2号链接多少钱")  # the comment it answers is on screen meanwhile
        assert answer.sku == "MUG-002"


async def test_a_flood_of_questions_holds_the_pitch_until_they_are_answered(tmp_path: Path) -> None:
    async with show_hub(tmp_path) as hub:
        quick_answers(hub)
        live = await start(hub, rundown(), speed=8.0)
        await wait_for(lambda: any(ln.kind == "pitch" and ln.state == "speaking" for ln in live.bridge.history))
        questions = ["1号链接多少钱", "2号链接有货吗", "3号链接多少钱", "2号链接多少钱", "1号链接有货吗", "3号链接有货吗"]
        await feed(hub, *[comment(q, room=ROOM, user=f"viewer-{n}") for n, q in enumerate(questions)])
        await wait_for(lambda: sum(ln.kind == "answer" for ln in live.bridge.history) == len(questions), timeout=30)
        await wait_for(lambda: all(ln.finished for ln in live.bridge.history if ln.kind == "answer"), timeout=60)
        await wait_for(lambda: any(ln.kind == "pitch" and ln.first_frame is not None
                                   and ln.first_frame > max(a.first_frame for a in live.bridge.history if a.kind == "answer")
                                   for ln in live.bridge.history), timeout=30)
        kinds = [line.kind for line in heard(live.bridge.history)]
        first, last = kinds.index("answer"), len(kinds) - 1 - kinds[::-1].index("answer")
        assert kinds[first:last + 1] == ["answer"] * len(questions)  # no pitch sentence in between
        assert kinds[last + 1] == "pitch"  # the pitch goes on afterwards


async def test_pause_holds_the_pitch_while_answers_go_on_and_resume_continues(tmp_path: Path) -> None:
    async with show_hub(tmp_path) as hub:
        quick_answers(hub)
        live = await start(hub, rundown())
        await wait_for(lambda: any(ln.kind == "pitch" for ln in live.bridge.history))
        live.run.pause()
        assert live.run.paused
        pitches = sum(ln.kind == "pitch" for ln in live.bridge.history)
        await feed(hub, comment("1号链接多少钱", room=ROOM))
        answer = await wait_for(lambda: next((ln for ln in live.bridge.history if ln.kind == "answer"), None), timeout=20)
        await wait_for(lambda: answer.state == "spoken", timeout=30)
        await wait_for(lambda: live.bridge.silence() > 1.0, timeout=20)  # quiet, and still paused
        assert sum(ln.kind == "pitch" for ln in live.bridge.history) == pitches
        live.run.resume()
        await wait_for(lambda: sum(ln.kind == "pitch" for ln in live.bridge.history) > pitches, timeout=20)


async def test_segments_put_their_product_on_stage_and_the_show_ends_at_its_time(tmp_path: Path) -> None:
    async with show_hub(tmp_path) as hub:
        show = rundown(segments=[{"sku": "TEA-001", "minutes": 0.05}, {"sku": "SCARF-003", "minutes": 0.05}])
        with collect(hub, types={"stage", "stream_state"}) as seen:
            live = await start(hub, show)
            frames = live.timeline.frames(maxsize=1000, video=False)
            await wait_for(lambda: live.run is None, timeout=30)
        stages = [e.sku for e in seen if e.type == "stage"]
        assert stages[:2] == ["TEA-001", "SCARF-003"] and all(e.platform == HUB_PLATFORM for e in seen)
        states = [e.state for e in seen if e.type == "stream_state" and e.output == "show"]
        assert states[0] == "running" and states[-1] == "ended"
        cards = {frame.sku async for frame in frames}
        assert {"TEA-001", "SCARF-003"} <= cards
        assert ROOM not in show_service(hub).rooms  # the show put the room on air, and took it off
        actions = [(e["actor"], e["action"]) for e in await hub.storage.recent_audit()]
        assert actions.count(("show", "show_stop")) == 1 and ("operator", "show_start") in actions


async def test_a_promotion_shows_a_countdown_and_says_the_promo_price(tmp_path: Path) -> None:
    async with show_hub(tmp_path) as hub:
        show = rundown(segments=[{"sku": "SCARF-003", "minutes": 0.5, "lines": ["看看这条围巾。"],
                                  "promotion": {"at_minute": 0, "countdown_s": 5}}])
        live = await start(hub, show)
        frames = live.timeline.frames(maxsize=100_000, video=False)
        line = await wait_for(lambda: next((ln for ln in live.bridge.history if ln.kind == "promotion"), None))
        assert "199元" in line.text and "5秒" in line.text
        async for frame in frames:
            if frame.countdown is not None:
                break
        await wait_for(lambda: sum(ln.kind == "promotion" for ln in live.bridge.history) == 2, timeout=30)
        assert "结束" in [ln for ln in live.bridge.history if ln.kind == "promotion"][-1].text
        await show_service(hub).stop_show(ROOM)


async def test_silence_brings_an_idle_filler(tmp_path: Path) -> None:
    async with show_hub(tmp_path) as hub:
        show = rundown(round_gap_s=600, idle_fill_s=3, segments=[{"sku": "TEA-001", "minutes": 1, "lines": ["好的。"]}])
        live = await start(hub, show, speed=1.0)
        filler = await wait_for(lambda: next((ln for ln in live.bridge.history if ln.kind == "idle"), None), timeout=15)
        assert filler.text and filler.sku == "TEA-001"
        await show_service(hub).stop_show(ROOM)


async def test_a_rundown_without_a_product_in_the_catalog_says_nothing_but_runs(tmp_path: Path) -> None:
    async with show_hub(tmp_path) as hub:
        live = await start(hub, rundown(segments=[{"sku": "NOPE-404", "minutes": 0.03}]))
        await wait_for(lambda: live.run is None, timeout=20)
        assert not [ln for ln in live.bridge.history if ln.kind == "pitch"]


def live_catalog(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A copy of the starter catalog the test can change, reloaded every 0.1 s."""
    import json

    from .conftest import CATALOG

    path = tmp_path / "catalog.json"
    data = json.loads(CATALOG.read_text(encoding="utf-8"))
    for product in data["products"]:
        if product.get("image"):
            product["image"] = str(CATALOG.parent / product["image"])
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path, data


def set_stock(path: Path, data: dict[str, Any], sku: str, stock: int) -> None:
    import json
    import os

    next(p for p in data["products"] if p["sku"] == sku)["stock"] = stock
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    mtime = path.stat().st_mtime + 1  # a new mtime even within the file system's time resolution
    os.utime(path, (mtime, mtime))


async def test_a_product_that_sells_out_mid_show_is_announced_once_and_its_segment_ends(tmp_path: Path) -> None:
    path, data = live_catalog(tmp_path)
    shop = {"shop": {"type": "catalog_file", "path": str(path), "reload_interval_s": 0.1}}
    async with show_hub(tmp_path, connectors=shop) as hub:
        show = rundown(segments=[{"sku": "TEA-001", "minutes": 5}, {"sku": "SCARF-003", "minutes": 5}])
        with collect(hub, types={"stage"}) as stages:
            live = await start(hub, show)
            await wait_for(lambda: any(ln.kind == "pitch" for ln in live.bridge.history), timeout=30)
            set_stock(path, data, "TEA-001", 0)
            line = await wait_for(lambda: next((ln for ln in live.bridge.history if ln.kind == "sold_out"), None),
                                  timeout=30)
            await wait_for(lambda: [e.sku for e in stages][-1:] == ["SCARF-003"], timeout=30)
            await wait_for(lambda: any(ln.kind == "pitch" and ln.sku == "SCARF-003" for ln in live.bridge.history),
                           timeout=30)
        assert line.text.startswith("1号已经抢光了") and line.sku == "TEA-001"
        assert [ln.kind for ln in live.bridge.history].count("sold_out") == 1
        assert live.run.announced == {"TEA-001"}
        await show_service(hub).stop_show(ROOM)


async def test_a_segment_whose_product_is_sold_out_is_skipped(tmp_path: Path) -> None:
    path, data = live_catalog(tmp_path)
    set_stock(path, data, "TEA-001", 0)
    async with show_hub(tmp_path, connectors={"shop": {"type": "catalog_file", "path": str(path)}}) as hub:
        show = rundown(segments=[{"sku": "TEA-001", "minutes": 5}, {"sku": "SCARF-003", "minutes": 5}])
        with collect(hub, types={"stage"}) as stages:
            live = await start(hub, show)
            await wait_for(lambda: any(ln.kind == "pitch" for ln in live.bridge.history), timeout=30)
        assert [e.sku for e in stages] == ["SCARF-003"] and live.run.skipped == ["TEA-001"]
        assert all(ln.sku != "TEA-001" for ln in live.bridge.history)
        await show_service(hub).stop_show(ROOM)
