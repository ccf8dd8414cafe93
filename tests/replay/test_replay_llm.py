"""``livehub replay --llm openai`` against a real llama.cpp server running SmolLM2-135M.

The tiny model invents prices, free offers and nonsense: the replay must still have zero violations
(the guardrails and the catalog fallback keep every line lawful). With the server stopped in the middle
of the replay, answers keep coming, from the catalog fallback, within the deadline.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from connectors.catalog_file.client import load_catalog
from hub.config import load_config
from plugins.replay.runner import ReplaySession, run_replay
from plugins.replay.scoring import score_replay
from plugins.replay.tracegen import generate_trace
from tests.llm.conftest import _free_port, _missing_llama, find_model, running_in_ci

pytestmark = pytest.mark.slow

CATALOG = Path(__file__).resolve().parent / "catalog.json"
# SmolLM2 on two shared cores answers in seconds; a live show would use tighter deadlines.
OPENAI = {"model": "smollm2", "max_tokens": 48, "first_sentence_timeout_s": 10, "total_timeout_s": 20}


def config(base_url: str) -> Any:
    return load_config(data={"backends": {"llm": {"openai": {**OPENAI, "base_url": base_url}}}}, env=False)


def short_trace(seed: int, minutes: float = 3):
    return generate_trace(CATALOG, minutes=minutes, seed=seed, comments_per_min=12, flood_every_s=120)


async def test_replay_with_smollm2_has_zero_violations(llama_server: str) -> None:
    trace = short_trace(11)
    report = await run_replay(list(trace), CATALOG, config=config(llama_server), llm="openai", fast=True)
    score = score_replay(report, list(trace), load_catalog(CATALOG), trace.expected)
    assert report["summary"]["llm_calls"] > 0
    assert score.violations == []
    assert score.flood_replies and max(score.flood_replies.values()) <= 3
    bad = [i for i, m in trace.expected.items() if m["category"] in ("spam", "injection")]
    assert all(report["decisions"][i]["outcome"] == "dropped" for i in bad)


def start_llama() -> tuple[subprocess.Popen[bytes], str]:
    problem = _missing_llama()
    if problem:
        if running_in_ci():
            pytest.fail(f"{problem}. CI must run the llama.cpp tests.", pytrace=False)
        pytest.skip(problem)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(find_model()), "--host",
                             "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2):
                return proc, url
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    proc.kill()
    pytest.fail("llama.cpp server did not start", pytrace=False)


async def test_answers_keep_coming_from_the_fallback_when_the_server_stops() -> None:
    proc, url = start_llama()
    stopped_at: list[float] = []
    replies: list[tuple[float, str]] = []

    async def stop_after_two_calls(session: ReplaySession) -> None:
        while session.service.llm_calls < 2:  # noqa: ASYNC110 (a counter, no event to wait on)
            await asyncio.sleep(0.05)
        proc.terminate()
        await asyncio.to_thread(proc.wait)
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
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert stopped_at, "the server was never called twice"
    after = [(at, backend) for at, backend in replies if at > stopped_at[0] + 1]
    assert len(after) >= 5 and {backend for _, backend in after} <= {"catalog", "template"}
    times = {r["id"]: r["t"] for r in trace}
    late = [(r["at"], e) for r in report["replies"] if r["kind"] == "answer" and r["at"] > stopped_at[0] + 1
            for e in r["answers"] if e in times and r["at"] - times[e] > 20]
    assert late == []
    score = score_replay(report, list(trace), load_catalog(CATALOG), trace.expected)
    assert score.violations == []
