"""The show runner owns what it keeps per room and moves the room's lifecycle; other plugins reach it
through :class:`hub.interfaces.ShowControl`, and it runs without an answer queue."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.interfaces import AnswerQueue, ShowControl
from hub.testing import comment, feed, wait_for
from plugins.show_runner import control
from plugins.show_runner.service import LiveRoom, ShowError, show_service

from .conftest import FastClock, show_hub

ROOM = "main"
SHOW = {"name": "life", "room": ROOM, "round_gap_s": 0.5, "idle_fill_s": 60,
        "segments": [{"sku": "TEA-001", "minutes": 1}]}


async def test_on_air_paused_and_off_air_move_the_room_and_its_slot(tmp_path: Path) -> None:
    async with show_hub(tmp_path) as hub:
        room, service = hub.rooms[ROOM], show_service(hub)
        shows = hub.slots.require(ShowControl)
        assert shows is service and room.state == "opened" and room.slots.get(LiveRoom) is None
        rundown = shows.parse_show(SHOW, "test")
        assert await shows.define_show(rundown) is True and await shows.define_show(rundown) is False
        with pytest.raises(ValueError, match="segments"):
            shows.parse_show({"name": "bad", "segments": []}, "test")

        await service.start_show(ROOM, rundown, clock=FastClock(4.0))  # the show puts the room on air
        assert shows.show_on(ROOM) == "life" and (room.state, room.state_by) == ("on_air", "show_runner")
        assert room.slots.get(LiveRoom) is service.live(ROOM) is service.rooms[ROOM]
        await wait_for(lambda: room.status().get("stage_sku") == "TEA-001", timeout=10)  # the rooms API
        assert control.room_state(service, ROOM)["avatar"] == {"avatar": "sprite", "state": "ready"}
        status = room.status()
        assert (status["show"], status["paused"], status["state"]) == ("life", False, "on_air")
        await control.pause(service, ROOM, "operator")
        assert (room.state, room.state_by) == ("paused", "operator")
        assert room.status()["paused"] is True and room.status()["state"] == "paused"
        await control.resume(service, ROOM, "operator")
        assert room.state == "on_air"
        await control.pause(service, ROOM, "operator")
        assert control.room_state(service, ROOM)["state"] == "paused"
        assert await shows.stop_show(ROOM, actor="operator", reason="test")
        assert room.state == "opened" and room.slots.get(LiveRoom) is None and shows.show_on(ROOM) is None
        assert "show" not in room.status()

        await shows.open_room(ROOM)  # on air first: the room stays on air when its show stops
        await service.start_show(ROOM, rundown, clock=FastClock(4.0))
        await control.pause(service, ROOM, "operator")
        await service.stop_show(ROOM)
        assert room.state == "on_air" and room.slots.get(LiveRoom) is not None
        assert room.status()["show"] is None and room.status()["paused"] is False
        await service.close_room(ROOM)
        assert room.state == "opened" and room.slots.get(LiveRoom) is None
        with pytest.raises(ShowError) as bad:
            await shows.open_room("no such room!")
        assert bad.value.status == 400
    assert room.state == "closed" and hub.slots.get(ShowControl) is None and hub.slots.get(type(service)) is None


async def test_without_an_answer_queue_the_show_runs_and_says_its_own_lines(tmp_path: Path) -> None:
    async with show_hub(tmp_path, plugins={"triage": {"enabled": False}}) as hub:
        assert hub.slots.get(AnswerQueue) is None
        service = show_service(hub)
        live = await service.start_show(ROOM, service.parse_show(SHOW, "test"), clock=FastClock(4.0))
        await wait_for(lambda: any(ln.kind == "pitch" for ln in live.bridge.history), timeout=20)
        await feed(hub, comment("1号链接多少钱", room=ROOM))
        state = control.room_state(service, ROOM)
        assert state["running"] and state["queue"] == [] and state["counters"]["comments"] == 0
        with pytest.raises(ShowError) as missing:
            await control.queue_action(service, ROOM, "1", "approve", "operator")
        assert missing.value.status == 404
        await service.stop_show(ROOM)


async def test_a_show_runner_that_fails_to_start_leaves_nothing_behind(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub never calls the shutdown of a plugin whose startup raised: start() undoes what it did."""
    from hub.media import rooms as media_rooms
    from hub.media.rooms import RoomMedia
    from hub.media.timeline import RoomTimeline
    from plugins.show_runner.service import ShowService

    real_open = media_rooms.open_room

    async def open_room(hub, room, **kwargs):  # type: ignore[no-untyped-def]
        if room == "side":
            raise RuntimeError("no output for side")
        return await real_open(hub, room, **kwargs)

    monkeypatch.setattr(media_rooms, "open_room", open_room)
    async with show_hub(tmp_path, plugins={"show_runner": {"open_rooms": [ROOM, "side"]}}) as hub:
        failed = {info.name: info for info in hub.plugins.failures()}
        assert any("show_runner" in name and info.stage == "startup" for name, info in failed.items()), failed
        assert hub.slots.get(ShowService) is None and hub.slots.get(ShowControl) is None
        for room in hub.rooms:
            assert room.slots.get(LiveRoom) is None and room.slots.get(RoomMedia) is None, room.slots.names()
            assert room.slots.get(RoomTimeline) is None and room.state == "opened"
        answers = hub.slots.get(AnswerQueue)
        assert answers is not None and answers.speech_estimator is None


def test_open_rooms_names_are_checked_with_their_key_path(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from hub.config import format_validation_error
    from plugins.show_runner.settings import ShowRunnerSettings

    assert ShowRunnerSettings(open_rooms=["main", "pop-up_2"]).open_rooms == ["main", "pop-up_2"]
    with pytest.raises(ValidationError) as bad:
        ShowRunnerSettings(open_rooms=["main", "bad room!"])
    lines = format_validation_error(bad.value, "plugins.show_runner")
    assert len(lines) == 1 and lines[0].startswith("plugins.show_runner.open_rooms.1: ") and "room names" in lines[0]
