"""Generated traces: deterministic, realistic in mix, and labelled well enough to grade an engine."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from hub.catalog_file import load_catalog
from plugins.replay.tracegen import generate_trace
from plugins.triage.intent import detect_intent
from plugins.triage.normalize import normalize
from plugins.triage.products import ProductResolver
from plugins.triage.spam import SpamFilter

CATALOG = Path(__file__).resolve().parent / "catalog.json"


@pytest.fixture(scope="module")
def trace():
    return generate_trace(CATALOG, minutes=30, seed=7)


def test_the_same_seed_gives_the_same_trace(trace) -> None:
    again = generate_trace(CATALOG, minutes=30, seed=7)
    assert list(again) == list(trace) and again.expected == trace.expected
    assert list(generate_trace(CATALOG, minutes=30, seed=8)) != list(trace)


def test_the_mix_has_everything_a_host_meets(trace) -> None:
    kinds = Counter(r["type"] for r in trace)
    assert {"stage", "comment", "enter", "like", "follow", "gift", "order", "stats"} <= set(kinds)
    categories = Counter(m["category"] for m in trace.expected.values())
    for category in ("question", "flood", "bait", "injection", "spam", "greeting", "chitchat", "complaint"):
        assert categories[category] > 0, category
    assert categories["flood"] == 3 * 50  # one flood every 10 minutes
    assert any(m["lang"] == "en" for m in trace.expected.values())
    times = [r["t"] for r in trace]
    assert times == sorted(times) and times[-1] < 30 * 60
    assert len({r["id"] for r in trace}) == len(trace)


def test_a_flood_is_fifty_viewers_within_seconds(trace) -> None:
    flood = [r for r in trace if trace.expected.get(r["id"], {}).get("category") == "flood"][:50]
    assert len({r["user"]["id"] for r in flood}) == 50
    assert max(r["t"] for r in flood) - min(r["t"] for r in flood) <= 8.5
    assert len({trace.expected[r["id"]]["sku"] for r in flood}) == 1


def test_triage_reads_the_generated_questions_as_labelled(trace) -> None:
    """The labels are what a correct engine must see: intent and product of nearly every question."""
    catalog = load_catalog(CATALOG)
    resolver = ProductResolver(catalog)
    stage = None
    right = total = 0
    for record in trace:
        if record["type"] == "stage":
            stage = record["sku"]
        meta = trace.expected.get(record["id"])
        if record["type"] != "comment" or meta is None or meta["category"] not in ("question", "flood"):
            continue
        text = normalize(record["text"])
        intent = detect_intent(text).intent
        ref = resolver.resolve(text, stage, product_question=intent != "shipping")
        total += 1
        right += intent == meta["intent"] and (meta["intent"] == "shipping" or ref.sku == meta["sku"])
    assert total > 300 and right / total >= 0.97


def test_spam_and_injections_in_the_trace_are_caught(trace) -> None:
    spam = SpamFilter()
    bad = [r for r in trace if trace.expected.get(r["id"], {}).get("category") in ("spam", "injection")]
    assert bad and all(spam.check(normalize(r["text"])) for r in bad)
