"""Run LiveHub's benchmarks and write their figures as one flat JSON object.

::

    python bench/run.py [--quick] [--json OUT] [--only KEY,...] [--details FILE]

Every metric runs in a fresh Python process of its own (so one metric's memory, threads or pinned core
never leak into the next), builds its own inputs (generated traces, loopback stand-in servers) and prints
one JSON object; this runner collects them. ``OUT`` gets the metric keys as top-level numbers (``null`` if a
metric failed), plus ``machine`` and ``quick``; ``--details`` writes every metric's supporting figures.
``--quick`` uses smaller counts and shorter runs (under 3 minutes on 2 cores); the full run is what
``docs/performance.md`` reports. The exit status is 1 if any metric failed, never because a target is missed:
benchmarks are not tests.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@dataclass(frozen=True)
class Metric:
    target: str  # "module:function" (async), called with the quick or full keyword arguments
    quick: dict[str, Any]
    full: dict[str, Any]
    goal: str  # the target, for the summary
    pin: bool = False  # run on one core
    timeout_s: float = 900.0
    env: dict[str, str] = field(default_factory=dict)


METRICS: dict[str, Metric] = {
    "ingest_events_per_s": Metric("bench.ingest:throughput", {"count": 30_000}, {"count": 200_000, "repeats": 3},
                                  ">= 20000", pin=True),
    "ingest_stored_events_per_s": Metric("bench.ingest:stored_throughput", {"count": 30_000},
                                         {"count": 200_000, "repeats": 3}, ">= 20000", pin=True),
    "ingest_p99_delay_ms_at_5000": Metric("bench.ingest:delay_at_rate", {"rate": 5000, "seconds": 5},
                                          {"rate": 5000, "seconds": 30}, "<= 100", pin=True),
    "reply_first_audio_p95_ms": Metric("bench.reply:first_audio", {"samples": 10}, {"samples": 60}, "<= 300"),
    "reply_overhead_p95_ms": Metric("bench.reply:overhead", {"samples": 10}, {"samples": 60}, "<= 50"),
    "avatar_720p25_cpu_cores": Metric("bench.run:avatar_cpu", {"seconds": 10}, {"seconds": 60}, "<= 0.6"),
    # one 720p25 stream's frames drawn by each shipped scene with the sprite host (drawing only; bench/scene_bench.py
    # runs every registered scene): the studio at 1280x720, the vertical at 720x1280
    "scene_studio_720p25_cpu_cores": Metric("bench.scene_bench:run", {"seconds": 3, "scene": "studio"},
                                            {"seconds": 60, "scene": "studio"}, "<= 0.3"),
    "scene_vertical_720p25_cpu_cores": Metric("bench.scene_bench:run", {"seconds": 3, "scene": "vertical"},
                                              {"seconds": 60, "scene": "vertical"}, "none (reported)"),
    "simulcast_3_to_1_cpu_ratio": Metric("bench.simulcast_bench:run", {"seconds": 5}, {"seconds": 30}, "<= 1.15"),
    "douyin_decode_msgs_per_s": Metric("bench.douyin_decode:run", {"messages": 20_000}, {"messages": 200_000},
                                       ">= 50000", pin=True),
    "tiktok_decode_msgs_per_s": Metric("bench.tiktok_decode:run", {"messages": 20_000}, {"messages": 200_000},
                                       ">= 50000", pin=True),
    "bilibili_decode_msgs_per_s": Metric("bench.bilibili_decode:run", {"messages": 20_000}, {"messages": 200_000},
                                         ">= 50000", pin=True),
    "twitch_decode_msgs_per_s": Metric("bench.twitch_decode:run", {"messages": 20_000}, {"messages": 200_000},
                                       ">= 50000", pin=True),
    "youtube_decode_msgs_per_s": Metric("bench.youtube_decode:run", {"messages": 20_000}, {"messages": 200_000},
                                        ">= 50000", pin=True),
    "kuaishou_decode_msgs_per_s": Metric("bench.kuaishou_decode:run", {"messages": 20_000}, {"messages": 200_000},
                                         ">= 50000", pin=True),
    "shopify_sync_5000_s": Metric("bench.shop_sync:shopify_sync", {"products": 2500}, {"products": 5000}, "<= 30"),
    "shopify_webhook_to_fact_p95_ms": Metric("bench.shop_sync:shopify_webhook_to_fact", {"updates": 100},
                                             {"updates": 1000}, "<= 5000"),
    "woocommerce_sync_5000_s": Metric("bench.shop_sync:woocommerce_sync", {"products": 1000}, {"products": 5000},
                                      "<= 30"),
    "woocommerce_webhook_to_fact_p95_ms": Metric("bench.shop_sync:woocommerce_webhook_to_fact", {"updates": 100},
                                                 {"updates": 1000}, "<= 5000"),
    "campaign_render_reply_p95_ratio": Metric("bench.campaign_render:run",
                                              {"questions": 10, "videos": 5, "size": "360x640"},
                                              {"questions": 60, "videos": 100}, "<= 1.5"),
    "cluster_events_per_s_2_workers_ratio": Metric("bench.cluster:throughput",
                                                   {"events": 3000, "workers": (1, 2)},
                                                   {"events": 60_000, "workers": (1, 2, 3)}, ">= 1.8"),
    "cluster_takeover_p95_s": Metric("bench.cluster:takeover", {"kills": 1}, {"kills": 5}, "< 10"),
    "crm_outage_reply_p95_ratio": Metric("bench.crm_outage:run", {"questions": 15}, {"questions": 60}, "<= 1.2"),
    "platform_reply_p95_ms": Metric("bench.platform_reply:run", {"rounds": 1}, {"rounds": 3}, "<= 100"),
    "rss_growth_pct_1m_events": Metric("bench.ingest:memory_growth", {"first": 10_000, "last": 100_000},
                                       {"first": 100_000, "last": 1_000_000}, "<= 10", timeout_s=1800),
    "llm_calls_per_question": Metric("bench.llm_calls:calls_per_question", {"minutes": 4},
                                     {"minutes": 30, "catalog_facts": True},
                                     "<= 0.3", timeout_s=1800),
}


async def avatar_cpu(seconds: float) -> dict[str, Any]:
    """``bench/media_bench.py`` (helper I's room cost benchmark) at 1280x720, 25 fps."""
    from bench import media_bench

    result = await media_bench.run(seconds, (1280, 720), 25)
    return {"value": result.pop("avatar_720p25_cpu_cores"), **result}


def run_one(key: str, quick: bool) -> dict[str, Any]:
    """Run metric ``key`` in this process; returns ``{"value": ..., <details>}``."""
    from bench.common import pin_to_one_core, quiet_logs

    quiet_logs()
    metric = METRICS[key]
    core = pin_to_one_core() if metric.pin else None
    module, name = metric.target.split(":")
    function = getattr(importlib.import_module(module), name)
    result = asyncio.run(function(**(metric.quick if quick else metric.full)))
    if core is not None:
        result["pinned_core"] = core
    return result


def spawn(key: str, quick: bool) -> dict[str, Any]:
    """Run ``key`` in a child process and parse the JSON object it prints last."""
    metric = METRICS[key]
    command = [sys.executable, str(Path(__file__).resolve()), "--one", key] + (["--quick"] if quick else [])
    env = {**os.environ, **metric.env, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                                                                                   os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=metric.timeout_s, env=env,
                              cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"value": None, "error": f"timed out after {metric.timeout_s:g} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        return {"value": None, "error": f"exit {done.returncode}", "stderr": tail}
    result = json.loads(lines[-1])
    result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts: a smoke run of a few minutes")
    parser.add_argument("--json", dest="out", type=Path, help="write the figures to this file")
    parser.add_argument("--details", type=Path, help="write every metric's supporting figures to this file")
    parser.add_argument("--only", help="comma-separated metric keys (default: all)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.quick)))
        return 0
    keys = list(METRICS)
    if args.only:
        keys = [k.strip() for k in args.only.split(",") if k.strip()]
        unknown = [k for k in keys if k not in METRICS]
        if unknown:
            parser.error(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(METRICS)}")
    from bench.common import machine_info

    figures: dict[str, Any] = {"machine": machine_info(), "quick": args.quick}
    details: dict[str, Any] = {}
    failed = False
    for key in keys:
        print(f"{key:30} ", end="", flush=True, file=sys.stderr)
        result = spawn(key, args.quick)
        value = result.pop("value", None)
        failed |= value is None
        figures[key] = value
        details[key] = result
        goal = METRICS[key].goal
        shown = "FAILED " + json.dumps(result.get("error")) if value is None else f"{value} (target {goal})"
        print(f"{shown}  [{result.get('wall_s', '?')} s]", file=sys.stderr)
        for line in result.get("stderr", []) if value is None else []:
            print(f"    {line}", file=sys.stderr)
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if args.details:
        args.details.write_text(json.dumps({"machine": figures["machine"], "quick": args.quick, **details},
                                           indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if not args.out:
        print(json.dumps(figures, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
