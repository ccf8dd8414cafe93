"""The watchdog restarts a killed output (a real MP4 file output of a room on air) and a killed
connector, counts and audits each restart, and leaves alone what it must not restart."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from hub.testing import wait_for
from plugins.show_runner.service import show_service

from .conftest import show_hub

ROOM = "main"


async def kill(task: asyncio.Task) -> None:
    """Cancel ``task`` until it ends (Python 3.11's ``asyncio.wait_for``, used by the encoder, can swallow a
    cancellation that arrives just as the awaited write completes)."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.05)


def restarts(hub, kind: str, name: str) -> float:
    return hub.metrics.get_sample_value("livehub_watchdog_restarts_total", {"kind": kind, "name": name}) or 0.0


async def test_a_killed_output_is_restarted_once_and_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    recordings = tmp_path / "rec"
    options = {"rooms": {ROOM: {"size": "320x180", "voices": ["espeak"], "outputs": ["file"]}},
               "backends": {"voice": {"default": "espeak"}, "llm": {"default": "catalog"},
                            "output": {"file": {"path": str(recordings / "{room}-{start}.mp4")}}}}
    async with show_hub(tmp_path, **options) as hub:
        live = await show_service(hub).open_room(ROOM)
        (output,) = live.media.outputs
        await wait_for(lambda: output.state == "live", timeout=15)
        first_task = output.task
        with caplog.at_level(logging.WARNING, logger="livehub.show.watchdog"):
            await kill(first_task)
            await wait_for(lambda: output.task is not first_task and output.state == "live", timeout=15)
            await wait_for(lambda: output.frames_sent > 0)
        assert restarts(hub, "output", f"{ROOM}/file") == 1
        assert [r.getMessage() for r in caplog.records].count(
            "watchdog: restarting output main/file (stopped: )") == 1
        entry = next(e for e in await hub.storage.recent_audit() if e["action"] == "restart_output")
        assert entry["actor"] == "watchdog" and entry["target"] == ROOM and entry["detail"]["name"] == f"{ROOM}/file"
        await wait_for(lambda: len(list(recordings.glob("*.mp4"))) >= 1)


async def test_a_killed_connector_is_supervised_again(tmp_path: Path) -> None:
    async with show_hub(tmp_path) as hub:
        connector = hub.connectors["shop"]
        task = hub._tasks["connector:shop"]
        await kill(task)
        await wait_for(lambda: "connector:shop" in hub._tasks and str(connector.state) == "ready", timeout=10)
        assert restarts(hub, "connector", "shop") == 1


async def test_nothing_is_restarted_on_a_closed_room_or_while_the_hub_stops(tmp_path: Path) -> None:
    options = {"rooms": {ROOM: {"size": "320x180", "voices": ["espeak"], "outputs": ["file"]}},
               "backends": {"voice": {"default": "espeak"}, "llm": {"default": "catalog"},
                            "output": {"file": {"path": str(tmp_path / "{room}-{start}.mp4")}}}}
    async with show_hub(tmp_path, **options) as hub:
        service = show_service(hub)
        live = await service.open_room(ROOM)
        (output,) = live.media.outputs
        await wait_for(lambda: output.state == "live", timeout=15)
        await service.close_room(ROOM)
        assert output.state == "stopped"
        rounds = service.watchdog.rounds
        await wait_for(lambda: service.watchdog.rounds >= rounds + 3)
        assert output.state == "stopped" and restarts(hub, "output", f"{ROOM}/file") == 0
    assert str(hub.connectors["shop"].state) == "stopped"  # stopped with the hub, not restarted


async def test_a_room_put_on_air_elsewhere_gets_a_bridge_and_its_answers_are_spoken(tmp_path: Path) -> None:
    from hub.media.rooms import close_room, open_room
    from hub.testing import comment, feed

    async with show_hub(tmp_path) as hub:
        service = show_service(hub)
        await open_room(hub, ROOM)
        live = await wait_for(lambda: service.rooms.get(ROOM))
        assert not live.opened_here
        await feed(hub, comment("1号链接多少钱", room=ROOM))
        answer = await wait_for(lambda: next((ln for ln in live.bridge.history if ln.kind == "answer"), None), timeout=10)
        assert "128元" in answer.text
        await close_room(hub, ROOM)
        await wait_for(lambda: ROOM not in service.rooms)
