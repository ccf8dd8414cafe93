"""LLM calls per answerable question: ``livehub replay`` of a generated show with the ``openai`` backend.

The trace (:func:`plugins.replay.tracegen.generate_trace` over the starter catalog) is a realistic show:
the catalog's products presented in turn, viewers entering, liking, gifting and ordering, comments in
real-world phrasing, floods (50 viewers asking the stage product's price within seconds, every 10 minutes),
repeats, bait, injections, spam and English comments. It is replayed on a simulated clock through the real
hub (:func:`plugins.replay.runner.run_replay`: triage, answer chain with its cache, guardrails, grounding)
with ``--llm openai`` pointed at :class:`bench.standins.LlmStandIn` (first token after 200 ms, 50 tokens/s;
the time an answer takes counts on the replay clock, as live).

``llm_calls_per_question`` = the answer chains' LLM calls (``TriageService.llm_calls``: every call to a
backend that uses an LLM, cache hits excluded) divided by the trace's answerable questions (price, stock,
promotion and shipping questions with a known product, floods included, as the trace generator labels them).
The triage settings are the defaults, so with ``catalog_intents`` as shipped, fact questions, purchase
remarks and complaints are answered from the catalog. The details add ``llm_calls_by_intent`` (where the
calls go) and, in the full run, the figure for other ``catalog_intents`` (:data:`VARIANTS`).
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import STARTER_CATALOG, isolated_cache_dir
from bench.reply import standin_answer


async def _replay(trace: list[dict[str, Any]], url: str, triage: dict[str, Any] | None = None) -> tuple[dict, float]:
    from hub.config import load_config
    from plugins.replay.runner import run_replay

    data: dict[str, Any] = {"backends": {"llm": {"openai": {"base_url": url, "model": "bench-standin",
                                                            "max_tokens": 120}}}}
    if triage:
        data["plugins"] = {"triage": triage}
    started = time.perf_counter()
    report = await run_replay(trace, STARTER_CATALOG, config=load_config(data=data, env=False), llm="openai",
                              fast=True)
    return report, time.perf_counter() - started


VARIANTS = {"with_catalog_fact_intents": ["price", "stock", "promotion", "shipping"],
            "with_no_catalog_intents": []}
"""Other ``[plugins.triage] catalog_intents`` measured on the same trace (``catalog_facts``): the four
fact intents only (purchase remarks and complaints then go to the LLM), and none (an LLM phrases every
answer, grounded: the default before catalog answers became the default)."""


async def calls_per_question(minutes: float, seed: int = 6, catalog_facts: bool = False) -> dict[str, Any]:
    """The metric with the default triage settings; with ``catalog_facts`` also the figure for each of
    :data:`VARIANTS` (``[plugins.triage] catalog_intents``)."""
    from bench.standins import LlmStandIn
    from plugins.replay.tracegen import generate_trace

    isolated_cache_dir()
    trace = generate_trace(STARTER_CATALOG, minutes=minutes, seed=seed)
    answerable = sum(1 for meta in trace.expected.values() if meta.get("answerable"))
    questions = sum(1 for meta in trace.expected.values() if meta.get("category") in ("question", "flood"))
    llm = LlmStandIn(standin_answer, first_token_s=0.2, tokens_per_s=50.0)
    url = await llm.start()
    try:
        report, elapsed = await _replay(list(trace), url)
        variants: dict[str, Any] = {}
        for name, intents in (VARIANTS.items() if catalog_facts else ()):
            other, _ = await _replay(list(trace), url, {"catalog_intents": intents})
            calls = other["summary"]["llm_calls"]
            variants[name] = round(calls / answerable, 3) if answerable else None
            variants[name + "_by_intent"] = other["summary"]["llm_calls_by_intent"]
    finally:
        await llm.stop()
    summary = report["summary"]
    calls = summary["llm_calls"]
    return {"value": round(calls / answerable, 3) if answerable else None, "llm_calls": calls,
            "llm_calls_by_intent": summary.get("llm_calls_by_intent", {}),
            "answerable_questions": answerable, "questions": questions, "comments": summary["comments"],
            "events": summary["events"], "trace_minutes": minutes, "replies": summary["replies"],
            "answered": summary["answered"], "aggregated": summary["aggregated"], "dropped": summary["dropped"],
            "replay_seconds": round(elapsed, 1), **variants}
