"""The benchmark runner still works: ``bench/run.py --quick --only ...`` writes its figures as a flat JSON
object. Benchmarks are not tests, so nothing here looks at how fast anything was, only that the runner
ran the real pipeline and reported numbers under the documented keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ALL_KEYS = ("cluster_events_per_s_2_workers_ratio", "cluster_takeover_p95_s",
            "ingest_events_per_s", "ingest_stored_events_per_s", "ingest_p99_delay_ms_at_5000",
            "reply_first_audio_p95_ms",
            "reply_overhead_p95_ms", "avatar_720p25_cpu_cores", "rss_growth_pct_1m_events",
            "llm_calls_per_question", "simulcast_3_to_1_cpu_ratio", "douyin_decode_msgs_per_s",
            "tiktok_decode_msgs_per_s", "bilibili_decode_msgs_per_s", "twitch_decode_msgs_per_s",
            "youtube_decode_msgs_per_s", "kuaishou_decode_msgs_per_s", "platform_reply_p95_ms",
            "shopify_sync_5000_s", "shopify_webhook_to_fact_p95_ms", "woocommerce_sync_5000_s",
            "woocommerce_webhook_to_fact_p95_ms", "crm_outage_reply_p95_ratio",
            "campaign_render_reply_p95_ratio", "scene_studio_720p25_cpu_cores", "scene_vertical_720p25_cpu_cores")


def test_runner_knows_every_metric_of_the_issue() -> None:
    sys.path.insert(0, str(REPO))
    try:
        from bench.run import METRICS
    finally:
        sys.path.remove(str(REPO))
    assert set(METRICS) == set(ALL_KEYS)


def test_quick_run_writes_the_ingest_figures(tmp_path: Path) -> None:
    out, details = tmp_path / "bench.json", tmp_path / "details.json"
    keys = ["ingest_events_per_s", "ingest_stored_events_per_s", "ingest_p99_delay_ms_at_5000"]
    done = subprocess.run([sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--only", ",".join(keys),
                           "--json", str(out), "--details", str(details)],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert set(figures) == {*keys, "machine", "quick"}
    assert figures["quick"] is True
    assert figures["machine"]["cores"] >= 1 and figures["machine"]["python"]
    for key in keys:
        assert isinstance(figures[key], int | float) and figures[key] > 0, (key, figures[key])
    # the runner drove the real pipeline: every event was triaged and persisted, duplicates skipped
    supporting = json.loads(details.read_text())
    assert supporting["ingest_events_per_s"]["events"] == 30_000
    assert supporting["ingest_events_per_s"]["duplicates_skipped"] > 0
    assert supporting["ingest_p99_delay_ms_at_5000"]["missing"] == 0
    assert supporting["ingest_stored_events_per_s"]["requests"] == 300  # 30,000 events, 100 a request
