"""What each scene costs in CPU: one 720p25 stream's frames drawn by the scene with the sprite host.

``python bench/scene_bench.py [--seconds 20] [--scene NAME]`` draws the given seconds of a show-like
sequence at 25 fps, as fast as it can, with every registered scene (or ``NAME``): the studio scene at
1280×720, a portrait scene (the vertical one) at 720×1280. The mouth moves every frame, the host blinks and
breathes, the caption changes every 3 s, the comment every 10 s, the countdown every second, the product
every 20 s. It reports process CPU seconds per second of stream (``cpu_cores``: what one stream of that
scene needs, drawing only; the voice and the encoder are ``bench/media_bench.py``'s), and the average and
99th percentile milliseconds per frame. The first second warms the caches and is not counted.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import time
from typing import Any

import numpy as np

from bench.bench_compositor import CAPTIONS, COMMENTS, STARTER
from hub.app import Hub
from hub.catalog import build_catalog
from hub.config import load_config
from hub.media.avatar import idle_state
from hub.media.pictures import FolderPictures
from hub.media.rooms import build_scene
from hub.media.scene import SceneState
from hub.plugins import BUILTIN_PLUGINS
from plugins.avatar_sprite.backend import SpriteAvatar

OFFLINE_CONFIG: dict[str, Any] = {"hub": {"database_url": "sqlite+aiosqlite:///:memory:"},
                                  "web": {"enabled": False}, "scheduler": {"enabled": False}}
LANDSCAPE, PORTRAIT = (1280, 720), (720, 1280)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def offline_hub() -> Hub:
    """A built hub that is never started (no database, web server or scheduler)."""
    return Hub(load_config(data=OFFLINE_CONFIG, env=False), builtins=BUILTIN_PLUGINS, autoload=False).build()


def scene_names(hub: Hub) -> list[str]:
    return [name for kind, name in hub.registry.backends if kind == "scene"]


def draw_stream(hub: Hub, name: str, seconds: float, fps: int = 25) -> dict[str, Any]:
    """Draw ``seconds`` of frames with scene ``name`` (at 1280×720 if it can, else 720×1280)."""
    try:
        scene = build_scene(hub, name=name, size=LANDSCAPE, fps=fps)
    except ValueError:  # a portrait-only scene
        scene = build_scene(hub, name=name, size=PORTRAIT, fps=fps)
    data = json.loads((STARTER / "catalog.json").read_text(encoding="utf-8"))
    catalog = build_catalog(data["shop"], data["products"])
    pictures, avatar = FolderPictures(STARTER), SpriteAvatar()
    times: list[float] = []
    cpu0 = 0.0
    for index in range(int((seconds + 1) * fps)):
        if index == fps:  # the first second warms the caches
            cpu0 = cpu_seconds()
        t = index / fps
        mouth = max(0.0, math.sin(t * 11.0) * 0.5 + math.sin(t * 5.3) * 0.5)  # speech-like flapping
        started = time.perf_counter()
        host = avatar.frame(idle_state(t, mouth=mouth, speaking=True), scene.host_size)
        author, text = COMMENTS[int(t // 10) % len(COMMENTS)]
        scene.draw(SceneState(host=host, product=catalog.products[int(t // 20) % len(catalog.products)],
                              pictures=pictures, shop_name=catalog.shop.name,
                              caption=CAPTIONS[int(t // 3) % len(CAPTIONS)], caption_progress=(t % 3) / 3,
                              comment_author=author, comment_text=text, countdown=max(0.0, 300 - t)))
        if index >= fps:
            times.append(time.perf_counter() - started)
    cpu = cpu_seconds() - cpu0
    ms = np.array(times) * 1000
    return {"scene": name, "size": f"{scene.size[0]}x{scene.size[1]}", "fps": fps, "seconds": seconds,
            "cpu_cores": round(cpu / seconds, 3), "avg_ms": round(float(ms.mean()), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2)}


async def run(seconds: float, scene: str = "studio", fps: int = 25) -> dict[str, Any]:
    """``bench/run.py``'s metric: scene ``scene``'s CPU cores per 720p25 stream as ``value``."""
    result = draw_stream(offline_hub(), scene, seconds, fps)
    return {"value": result.pop("cpu_cores"), **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--scene", help="one scene (default: every registered scene)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per scene")
    args = parser.parse_args()
    hub = offline_hub()
    for name in [args.scene] if args.scene else scene_names(hub):
        result = draw_stream(hub, name, args.seconds, args.fps)
        if args.json:
            print(json.dumps(result))
        else:
            print(f"{name:10} {result['size']:>9}: {result['cpu_cores']:.3f} cores per stream, "
                  f"avg {result['avg_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms per frame")


if __name__ == "__main__":
    main()
