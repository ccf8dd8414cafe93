"""The issue's acceptance on a realistic one-hour show, offline (catalog answers, shipped word lists).

No reply may contain a banned term, a price the catalog does not have, or a free / 1-yuan promise; spam
is never echoed; each 50-viewer flood is answered on voice at most a few times (and in a few addressed
chat lines); at least 90% of the answerable questions (price, stock, promotion, shipping) get a reply
stating the right catalog figure after they were asked and within 20 s of trace time; spoken lines never overlap and chat keeps to 20 posts per 30 s.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hub.catalog_file import load_catalog
from plugins.replay.runner import run_replay
from plugins.replay.scoring import score_replay
from plugins.replay.tracegen import generate_trace

pytestmark = pytest.mark.slow

CATALOG = Path(__file__).resolve().parent / "catalog.json"


@pytest.fixture(scope="module")
def trace():
    return generate_trace(CATALOG, minutes=60, seed=2024)


@pytest.fixture(scope="module")
def report(trace):
    return asyncio.run(run_replay(list(trace), CATALOG, fast=True))


def test_an_hour_offline_meets_the_acceptance(trace, report) -> None:
    catalog = load_catalog(CATALOG)
    score = score_replay(report, list(trace), catalog, trace.expected)
    assert score.violations == []
    assert len(score.flood_replies) == 6 and max(score.flood_replies.values()) <= 3  # voice lines
    assert max(score.flood_chat_lines.values()) <= 10, score.flood_chat_lines  # follow-ups batch their askers
    assert score.answerable > 500
    assert score.answer_rate >= 0.9, score.misses[:5]  # answered after asking, within 20 s
    assert score.wrong_product == [], score.wrong_product[:3]
    summary = report["summary"]
    assert summary["events"] == len(trace) and summary["llm_calls"] == 0 and summary["blocked"] == 0


def test_spam_and_injections_are_all_dropped(trace, report) -> None:
    bad = [i for i, meta in trace.expected.items() if meta["category"] in ("spam", "injection")]
    assert bad and all(report["decisions"][i]["outcome"] == "dropped" for i in bad)


def test_the_voice_never_overlaps_and_chat_keeps_to_the_platform_limit(report) -> None:
    voice = [r for r in report["replies"] if r["channel"] == "voice"]
    for before, after in zip(voice, voice[1:], strict=False):
        assert after["at"] >= before["at"] + before["duration"]
    chat = [r["at"] for r in report["replies"] if r["channel"] == "chat"]
    for start in chat:
        assert sum(1 for t in chat if start <= t < start + 30) <= 20
