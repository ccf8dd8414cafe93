"""What a live room costs in CPU: the host speaking on a 720p25 timeline, drawn and encoded as for RTMP.

``python bench/media_bench.py [--seconds 60] [--size 1280x720] [--fps 25] [--json]`` runs a real-time
room for the given seconds with the offline voice (espeak), the sprite host and the default scene (studio), the
host reading catalog pitches back to back, and an output encoding exactly as the ``rtmp`` output does (FLV,
H.264 CBR 2.5 Mbit/s veryfast zerolatency, AAC) into ``/dev/null``. It reports process CPU seconds per
second of stream (``avatar_720p25_cpu_cores``; every thread counted, from ``resource.getrusage``), the
frames the output took, the times the timeline fell behind its clock, and the offline drawing speed
(seconds of video drawn per wall second by ``RoomTimeline.render``, voice included, encoding excluded).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import time
from pathlib import Path
from typing import Any

from hub.app import Hub
from hub.catalog import build_catalog
from hub.config import load_config
from hub.media.encoder import AVEncoder, EncoderSettings, ThreadedEncoder
from hub.media.output import LIVE, OutputBackend
from hub.media.pictures import FolderPictures
from hub.media.rooms import build_timeline, parse_size
from hub.plugins import BUILTIN_PLUGINS
from plugins.media_cli.offline import pitch_text

STARTER = Path(__file__).resolve().parent.parent / "hub" / "starter"
# A built hub that is never started: no database is opened, no web server or scheduler runs. Not
# ``hub.testing.config_for_tests``: benchmarks run with what ``scripts/setup.sh`` installs, without pytest.
OFFLINE_CONFIG: dict[str, Any] = {"hub": {"database_url": "sqlite+aiosqlite:///:memory:"},
                                  "web": {"enabled": False}, "scheduler": {"enabled": False}}


class NullRtmpOutput(OutputBackend):
    """The rtmp output's encoding, written to /dev/null instead of a socket."""

    name = "null"

    async def _run(self, frames: Any) -> None:
        settings = EncoderSettings(fps=self.timeline.fps, size=self.timeline.size)
        async with ThreadedEncoder(lambda: AVEncoder(os.devnull, "flv", settings,
                                                     {"flvflags": "no_duration_filesize"})) as encoder:
            async for frame in frames:
                await encoder.write(frame)
                if self.state != LIVE:
                    self.set_live()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(seconds: float, size: tuple[int, int], fps: int) -> dict[str, Any]:
    hub = Hub(load_config(data=OFFLINE_CONFIG, env=False), builtins=BUILTIN_PLUGINS, autoload=False).build()
    data = json.loads((STARTER / "catalog.json").read_text(encoding="utf-8"))
    catalog = build_catalog(data["shop"], data["products"])
    pitches = [(p.sku, pitch_text(hub, p, catalog.shop, "zh-CN")) for p in catalog.products]

    timeline = build_timeline(hub, "bench", size=size, fps=fps, catalog=lambda: catalog,
                              pictures=FolderPictures(STARTER))
    offline_started = time.perf_counter()
    rendered = 0
    async for _frame in timeline.render([pitches[0][1]]):  # also fills the voice cache, as a show would
        rendered += 1
    render_speed = rendered / fps / (time.perf_counter() - offline_started)

    output = NullRtmpOutput()
    await timeline.start()
    output.start(timeline)
    for sku, text in pitches * 20:
        timeline.say(text, sku=sku, kind="pitch")
    await asyncio.sleep(3.0)  # warm up: caches filled, encoder running
    cpu0, wall0, frames0 = cpu_seconds(), time.perf_counter(), output.frames_sent
    await asyncio.sleep(seconds)
    cpu, wall, frames = cpu_seconds() - cpu0, time.perf_counter() - wall0, output.frames_sent - frames0
    await timeline.stop()
    await output.stop(grace=10)
    return {"avatar_720p25_cpu_cores" if size == (1280, 720) and fps == 25 else "avatar_cpu_cores":
            round(cpu / wall, 3),
            "size": f"{size[0]}x{size[1]}", "fps": fps, "seconds": round(wall, 1),
            "frames_encoded": frames, "frames_expected": round(wall * fps), "timeline_fell_behind": timeline.late,
            "offline_draw_speed_x": round(render_speed, 2), "cpu_count": os.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = asyncio.run(run(args.seconds, parse_size(args.size), args.fps))
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:28} {value}")


if __name__ == "__main__":
    main()
