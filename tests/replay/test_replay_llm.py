"""``livehub replay --llm openai`` against a real llama.cpp server running SmolLM2-135M.

The tiny model invents prices, free offers and nonsense, recites its prompt and rarely states the fact
it was asked: the replay must still have zero violations (the guardrails keep every line lawful) and at
least 80% of the answerable questions answered correctly within 20 s (the speaker grounds price, stock,
promotion and shipping answers in the catalog; ``catalog_intents = []`` lets the model answer those
questions, which by default the catalog answers without it). With the server stopped in the middle of the replay,
answers keep coming, from the catalog fallback, within the deadline.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from hub.catalog_file import load_catalog
from hub.clock import busy
from hub.config import load_config
from plugins.replay.runner import ReplaySession, run_replay
from plugins.replay.scoring import score_replay
from plugins.replay.tracegen import generate_trace
from tests.llama import LlamaServer, require_llama

pytestmark = pytest.mark.slow

CATALOG = Path(__file__).resolve().parent / "catalog.json"
# SmolLM2 on two shared cores answers in seconds; a live show would use tighter deadlines.
OPENAI = {"model": "smollm2", "max_tokens": 48, "first_sentence_timeout_s": 10, "total_timeout_s": 20}


def config(base_url: str) -> Any:
    # catalog_intents = []: the model answers the fact questions too, so grounding is what is tested
    return load_config(data={"backends": {"llm": {"openai": {**OPENAI, "base_url": base_url}}},
                             "plugins": {"triage": {"catalog_intents": []}}}, env=False)


def short_trace(seed: int, minutes: float = 3):
    return generate_trace(CATALOG, minutes=minutes, seed=seed, comments_per_min=12, flood_every_s=120)


async def test_replay_with_smollm2_has_zero_violations_and_grounded_answers(llama_server: str) -> None:
    trace = short_trace(11)
    report = await run_replay(list(trace), CATALOG, config=config(llama_server), llm="openai", fast=True)
    score = score_replay(report, list(trace), load_catalog(CATALOG), trace.expected)
    assert report["summary"]["llm_calls"] > 0
    assert score.violations == []
    assert score.answerable >= 15
    assert score.answer_rate >= 0.9, score.misses[:5]  # answered after asking, within 20 s
    assert score.flood_replies and max(score.flood_replies.values()) <= 3  # voice lines
    assert max(score.flood_chat_lines.values()) <= 10, score.flood_chat_lines
    bad = [i for i, m in trace.expected.items() if m["category"] in ("spam", "injection")]
    assert all(report["decisions"][i]["outcome"] == "dropped" for i in bad)
    # the model recites its system prompt; none of it reaches the room
    assert not any("主播助理" in r["text"] or "不可信" in r["text"] for r in report["replies"])


async def test_answers_keep_coming_from_the_fallback_when_the_server_stops(tmp_path: Path) -> None:
    require_llama()
    server = LlamaServer(tmp_path / "llama.log")
    url = server.start()
    stopped_at: list[float] = []
    replies: list[tuple[float, str]] = []

    async def stop_after_two_calls(session: ReplaySession) -> None:
        while session.service.llm_calls < 2:  # noqa: ASYNC110 (a counter, no event to wait on)
            await asyncio.sleep(0.05)
        with busy(session.clock):  # stopping takes real time: the trace must not race ahead meanwhile
            await asyncio.to_thread(server.stop)
        stopped_at.append(session.trace_time())

    def observe(session: ReplaySession) -> None:
        session.hub.create_task(stop_after_two_calls(session), name="test:stop-llama")
        session.service.on_reply.append(
            lambda room, record: replies.append((record.at - session.t0, record.backend)))

    trace = short_trace(12, minutes=4)
    try:
        report = await run_replay(list(trace), CATALOG, config=config(url), llm="openai", fast=True,
                                  observe=observe)
    finally:
        server.stop()
    assert stopped_at, "the server was never called twice"
    after = [(at, backend) for at, backend in replies if at > stopped_at[0] + 1]
    assert len(after) >= 5 and {backend for _, backend in after} <= {"catalog", "template"}
    times = {r["id"]: r["t"] for r in trace}
    late = [(r["at"], e) for r in report["replies"] if r["kind"] == "answer" and r["at"] > stopped_at[0] + 1
            for e in r["answers"] if e in times and r["at"] - times[e] > 20]
    assert late == []
    score = score_replay(report, list(trace), load_catalog(CATALOG), trace.expected)
    assert score.violations == []
