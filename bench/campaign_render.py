"""A big campaign never starves a live room: the room's reply latency while a campaign renders pitch videos.

One hub with the starter catalog and a room answering questions (as ``bench/crm_outage.py``: one at a time,
distinct viewers, the host speaking instantly). First ``questions`` are asked with nothing else running; then
a campaign of pitch videos (``videos`` renders: each starter product × as many runs as needed, 720×1280 at 25
fps, ``workers = 1``) is started and the same number of questions is asked while it renders.

``value`` = reply p95 while rendering ÷ p95 without (goal ≈ 1: ≤ 1.5 on a 2-core machine); the videos made
while the questions were asked are in the details. Benchmarks are not tests: nothing is asserted here.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from bench.common import percentile
from bench.crm_outage import _ask
from bench.reply import FACT_QUESTIONS
from hub.app import Hub
from hub.config import load_config
from hub.events import Reply
from hub.plugins import BUILTIN_PLUGINS
from plugins.triage.service import service_for

STARTER = Path(__file__).resolve().parent.parent / "hub" / "starter" / "catalog.json"


async def run(questions: int = 30, videos: int = 100, size: str = "720x1280") -> dict[str, Any]:
    from plugins.campaigns.service import CampaignService
    from plugins.campaigns.store import save

    texts = [FACT_QUESTIONS[n % len(FACT_QUESTIONS)] for n in range(2 * questions + 1)]
    with tempfile.TemporaryDirectory(prefix="livehub-bench-") as tmp:
        config = {"hub": {"database_url": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"},
                  "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER)}},
                  "rooms": {"main": {"locale": "zh-CN"}},
                  "backends": {"voice": {"default": "espeak"},
                               "content": {"pitch_video": {"sizes": [size], "workers": 1,
                                                           "folder": str(Path(tmp) / "media")}}},
                  "plugins": {"triage": {"recent_answer_s": 0.0}}}
        hub = Hub(load_config(data=config, env=False), builtins=BUILTIN_PLUGINS, autoload=False).build()
        await hub.start()
        try:
            service_for(hub).use_speech_estimator(lambda text, locale: 0.0)
            await hub.connectors["shop"].wait_ready(15)
            replies: list[Reply] = []
            hub.bus.subscribe("bench-replies", replies.append, types={"reply"})
            await _ask(hub, replies, 0, texts[0])  # warm-up, not counted
            quiet = [await _ask(hub, replies, n, texts[n]) for n in range(1, questions + 1)]
            products = [p.sku for p in hub.catalog().products]
            await save(hub.storage, "bench", {"products": products, "kinds": ["pitch_video"], "channels": ["post"],
                                              "variants": 1, "approval": "auto"})
            service = CampaignService(hub)

            async def campaign() -> int:
                made = 0
                while made < videos:  # each run renders the catalog again (its words carry a run number)
                    folder = Path(tmp) / "media" / "bench"
                    for old in folder.glob("*.txt") if folder.exists() else []:
                        old.unlink()  # the words are the same: forget them so every run renders
                    run = await service.run("bench", "bench")
                    made += run["counts"]["generated"]
                return made

            rendering = asyncio.create_task(campaign(), name="bench:campaign")
            await asyncio.sleep(1.0)  # the first render is under way
            busy = [await _ask(hub, replies, n, texts[n]) for n in range(questions + 1, 2 * questions + 1)]
            done_during = await _videos(Path(tmp) / "media")
            rendering.cancel()
            await asyncio.gather(rendering, return_exceptions=True)
            await service.aclose()
        finally:
            await hub.stop()
    p95_quiet, p95_busy = percentile(quiet, 95), percentile(busy, 95)
    ratio = None if not p95_quiet or p95_busy is None else round(p95_busy / p95_quiet, 2)
    return {"value": ratio, "p95_quiet_ms": round((p95_quiet or 0) * 1000, 1),
            "p95_rendering_ms": round((p95_busy or 0) * 1000, 1), "videos_rendered_meanwhile": done_during,
            "questions": questions, "video_size": size}


async def _videos(folder: Path) -> int:
    return await asyncio.to_thread(lambda: sum(1 for _ in folder.rglob("*.mp4")) if folder.exists() else 0)


if __name__ == "__main__":
    import json

    print(json.dumps(asyncio.run(run(questions=10, videos=5)), indent=2))
