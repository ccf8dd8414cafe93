"""Shows are recorded by default: the room's frames go to an MP4 while the show runs, finished when it ends,
with the host's captions beside it and a row in ``recordings``; ``record = false`` turns it off."""

from __future__ import annotations

from pathlib import Path

from hub.recordings import find_recordings
from hub.testing import wait_for
from plugins.show_runner.service import show_service

from .conftest import FastClock, show_hub
from .test_show_run import rundown


async def test_a_show_is_recorded_with_its_captions_and_the_file_is_finished_when_it_ends(tmp_path: Path) -> None:
    folder = tmp_path / "recordings"
    async with show_hub(tmp_path, plugins={"show_runner": {"record_path": str(folder / "{room}-{start}.mp4")}}) as hub:
        service = show_service(hub)
        live = await service.start_show("main", rundown(segments=[{"sku": "TEA-001", "minutes": 5,
                                                                    "lines": ["好茶。", "欢迎来到直播间。"]}]),
                                        clock=FastClock(5))
        assert live.recorder is not None and live.recorder.label == "show-recording"
        recorder = live.recorder
        await wait_for(lambda: recorder.frames_sent >= 300, timeout=30)  # 12 s of show on the fast clock
        assert await service.stop_show("main")
        assert live.recorder is None
        [recording] = await find_recordings(hub)
        assert Path(recording.path).parent == folder and recording.seconds > 5 and recording.room == "main"
        assert recording.captions and recording.captions[0].value in ("好茶。", "欢迎来到直播间。")
        assert recording.cards and recording.cards[0].value == "TEA-001"
        assert Path(recording.path).with_suffix(".vtt").read_text(encoding="utf-8").count("-->") >= 1


async def test_record_false_leaves_shows_unrecorded(tmp_path: Path) -> None:
    async with show_hub(tmp_path, plugins={"show_runner": {"record": False,
                                                           "record_path": str(tmp_path / "r" / "{room}.mp4")}}) as hub:
        service = show_service(hub)
        live = await service.start_show("main", rundown(), clock=FastClock(5))
        assert live.recorder is None
        assert await service.stop_show("main")
        assert await find_recordings(hub, complete=False) == [] and not (tmp_path / "r").exists()
