"""How long the avatar and the studio scene (the compositor) take per frame, in a show-like sequence.

``python bench/bench_compositor.py [--size 1280x720] [--seconds 60] [--transparent]`` draws the given
seconds of frames at 25 fps as fast as possible: the mouth moves every frame, the host blinks and
breathes, the caption changes every 3 s, the comment every 10 s, the countdown every second.
It prints the average and 99th percentile milliseconds per frame.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from hub.catalog import build_catalog
from hub.media.avatar import idle_state
from hub.media.pictures import FolderPictures
from hub.media.scene import SceneState
from plugins.avatar_sprite.backend import SpriteAvatar
from plugins.scene_studio.compositor import Compositor

STARTER = Path(__file__).resolve().parent.parent / "hub" / "starter"
CAPTIONS = [
    "大家好，欢迎来到晨光好物直播间！",
    "这款高山乌龙茶，原价168元，今天直播间只要128元。",
    "兰花香，回甘持久，每袋7克，可以冲泡5到7次。",
    "Keeps tea hot for six hours, and the ceramic inner means no metal taste.",
]
COMMENTS = [("小鹿爱喝茶", "主播，这个茶叶保质期多久？"), ("Mia", "Does the mug fit a car cup holder?"),
            ("阿杰", "围巾有几个颜色可以选")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--transparent", action="store_true")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    data = json.loads((STARTER / "catalog.json").read_text(encoding="utf-8"))
    catalog = build_catalog(data["shop"], data["products"])
    compositor = Compositor(size, args.fps, transparent=args.transparent)
    avatar = SpriteAvatar()
    times: list[float] = []
    for index in range(int(args.seconds * args.fps)):
        t = index / args.fps
        mouth = max(0.0, math.sin(t * 11.0) * 0.5 + math.sin(t * 5.3) * 0.5)  # speech-like flapping
        started = time.perf_counter()
        host = avatar.frame(idle_state(t, mouth=mouth, speaking=True), compositor.host_size)
        author, text = COMMENTS[int(t // 10) % len(COMMENTS)]
        scene = SceneState(host=host, product=catalog.products[int(t // 20) % len(catalog.products)],
                           pictures=FolderPictures(STARTER), shop_name=catalog.shop.name,
                           caption=CAPTIONS[int(t // 3) % len(CAPTIONS)], comment_author=author,
                           comment_text=text, countdown=max(0.0, 300 - t))
        compositor.draw(scene)
        times.append(time.perf_counter() - started)
    ms = np.array(times[args.fps:]) * 1000  # the first second warms the caches
    print(f"{size[0]}x{size[1]}{' transparent' if args.transparent else ''}: {len(ms)} frames, "
          f"avg {ms.mean():.2f} ms, p99 {np.percentile(ms, 99):.2f} ms, max {ms.max():.2f} ms "
          f"(avatar cache hits {avatar.hits}, misses {avatar.misses})")


if __name__ == "__main__":
    main()
