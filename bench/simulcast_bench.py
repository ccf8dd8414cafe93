"""What simulcast costs: the CPU of a room pushed to 3 targets against the same room pushed to 1.

The room of ``bench/media_bench.py`` (espeak voice, sprite host, studio scene, 1280x720 at 25 fps, the host
reading pitches back to back) feeds the room's shared encoding (:mod:`hub.media.encoded_feed`: H.264 CBR
2.5 Mbit/s veryfast zerolatency with 2 s keyframes and AAC, as the ``rtmp`` output encodes) and N targets,
each muxing the same packets into FLV in a thread of its own, as an ``rtmp`` target does. The targets
write to ``/dev/null`` (no ingest: the figure is the hub's own cost, not the network's). The same timeline
runs first with 1 target, then with 3; process CPU seconds per second of stream (every thread) for each,
and ``simulcast_3_to_1_cpu_ratio`` = CPU(3) / CPU(1) (goal ≤ 1.15: the encoding, not the muxing, is
what costs).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any

from bench.media_bench import OFFLINE_CONFIG, STARTER, cpu_seconds
from hub.app import Hub
from hub.catalog import build_catalog
from hub.config import load_config
from hub.media.encoded_feed import EncodedFeed, PacketMuxer, push_feed
from hub.media.encoder import EncoderSettings
from hub.media.output import LIVE, OutputBackend
from hub.media.pictures import FolderPictures
from hub.media.rooms import build_timeline
from hub.plugins import BUILTIN_PLUGINS
from plugins.media_cli.offline import pitch_text


class NullTarget(OutputBackend):
    """A simulcast target muxing the shared feed into FLV on /dev/null."""

    name = "null-target"
    consumes_frames = False

    def __init__(self, feed: EncodedFeed, label: str) -> None:
        super().__init__(label=label)
        self.feed = feed

    async def _run(self, frames: Any) -> None:
        await push_feed(self.feed, lambda templates: PacketMuxer(os.devnull, "flv", templates,
                                                                 {"flvflags": "no_duration_filesize"}),
                        name=f"null-{self.label}", write_timeout=10.0, on_video=self._sent)

    def _sent(self) -> None:
        self.count_frames()
        if self.state != LIVE:
            self.set_live()


async def _measure(targets: list[NullTarget], timeline: Any, seconds: float) -> dict[str, Any]:
    for target in targets:
        target.start(timeline)
    await asyncio.sleep(3.0)  # warm up: every target muxing
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    sent0 = [t.frames_sent for t in targets]
    await asyncio.sleep(seconds)
    cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - wall0
    sent = [t.frames_sent - s for t, s in zip(targets, sent0, strict=True)]
    for target in targets:
        target.task.cancel()  # type: ignore[union-attr]
        await asyncio.gather(target.task, return_exceptions=True)  # type: ignore[arg-type]
    await asyncio.sleep(0.5)  # the feed stops with its last target
    return {"cpu_cores": round(cpu / wall, 3), "frames_per_target": sent, "seconds": round(wall, 1)}


async def run(seconds: float) -> dict[str, Any]:
    hub = Hub(load_config(data=OFFLINE_CONFIG, env=False), builtins=BUILTIN_PLUGINS, autoload=False).build()
    data = json.loads((STARTER / "catalog.json").read_text(encoding="utf-8"))
    catalog = build_catalog(data["shop"], data["products"])
    pitches = [(p.sku, pitch_text(hub, p, catalog.shop, "zh-CN")) for p in catalog.products]
    timeline = build_timeline(hub, "bench", size=(1280, 720), fps=25, catalog=lambda: catalog,
                              pictures=FolderPictures(STARTER))
    await timeline.start()
    for sku, text in pitches * 40:
        timeline.say(text, sku=sku, kind="pitch")
    settings = EncoderSettings(fps=25, size=(1280, 720))
    try:
        one = await _measure([NullTarget(EncodedFeed(timeline, settings), "only")], timeline, seconds)
        feed = EncodedFeed(timeline, settings)
        three = await _measure([NullTarget(feed, f"t{i}") for i in range(3)], timeline, seconds)
    finally:
        await timeline.stop()
    return {"value": round(three["cpu_cores"] / one["cpu_cores"], 3), "one_target": one, "three_targets": three,
            "timeline_fell_behind": timeline.late, "cpu_count": os.cpu_count()}


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.seconds)), indent=1))


if __name__ == "__main__":
    main()
