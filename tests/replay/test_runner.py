"""The replay runner: real time and simulated time, LLM latency on the simulated clock, errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hub.answers import AnswerBackend, AnswerRequest
from hub.config import load_config
from hub.hookspecs import hookimpl
from hub.specs import BackendSpec
from plugins.replay.commands import replay
from plugins.replay.runner import ReplayError, run_replay

CATALOG = Path(__file__).resolve().parent / "catalog.json"
TRACE = [{"id": "s", "t": 0, "type": "stage", "sku": "MUG-002"},
         {"id": "q", "t": 0.2, "type": "comment", "user": {"id": "u", "name": "u"}, "text": "多少钱"},
         {"id": "k", "t": 0.4, "type": "comment", "user": {"id": "v", "name": "v"}, "text": "包邮吗"}]


async def test_without_fast_the_replay_runs_on_the_wall_clock() -> None:
    quick = load_config(data={"plugins": {"triage": {"zh_chars_per_s": 60}}}, env=False)  # short voice lines
    report = await run_replay(TRACE, CATALOG, config=quick, fast=False, settle_s=30)
    first = next(r for r in report["replies"] if "q" in r["answers"])
    assert first["at"] >= 0.2 and "89元" in first["text"]
    assert report["decisions"]["k"]["outcome"] == "answered"


class Slow(AnswerBackend):
    """An LLM that needs 0.3 s of real time to say anything."""

    name = "slow"

    async def _stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        await asyncio.sleep(0.3)
        yield "A fine mug, see the link for details."


class SlowPlugin:
    @hookimpl
    def livehub_register_backends(self) -> list[BackendSpec]:
        return [BackendSpec(kind="llm", name="slow", factory=lambda settings, hub: Slow(None, hub))]


async def test_llm_latency_shows_on_the_simulated_clock() -> None:
    llm_for_facts = load_config(data={"plugins": {"triage": {"catalog_intents": []}}}, env=False)
    report = await run_replay(TRACE, CATALOG, config=llm_for_facts, fast=True, llm="slow",
                              plugins=[("slow", SlowPlugin())])
    reply = next(r for r in report["replies"] if "q" in r["answers"])
    assert reply["at"] - 0.2 >= 0.3
    assert report["summary"]["llm_calls"] >= 1
    assert report["summary"]["reply_latency_ms"]["p50"] >= 300


async def test_an_unreadable_catalog_stops_the_replay(tmp_path: Path) -> None:
    broken = tmp_path / "catalog.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ReplayError, match="could not be loaded"):
        await run_replay(TRACE, broken, fast=True, catalog_timeout_s=3)


async def test_a_disabled_triage_plugin_is_reported() -> None:
    config = load_config(data={"plugins": {"triage": {"enabled": False}}}, env=False)
    with pytest.raises(ReplayError, match="provided by the triage plugin"):
        await run_replay(TRACE, CATALOG, config=config, fast=True)


def test_an_unknown_llm_is_a_configuration_error(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    trace.write_text("".join(json.dumps(r) + "\n" for r in TRACE), encoding="utf-8")
    result = CliRunner().invoke(replay, [str(trace), "--catalog", str(CATALOG), "--llm", "nope", "--fast",
                                         "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 2 and "unknown llm backend 'nope'" in result.output


def test_the_merchants_config_is_used_but_its_connectors_are_not(tmp_path: Path) -> None:
    config = tmp_path / "livehub.toml"
    config.write_text('[plugins.triage]\nchat_enabled = false\n\n[connectors.shop]\ntype = "catalog_file"\n'
                      'path = "missing.json"\n', encoding="utf-8")
    trace = tmp_path / "t.jsonl"
    trace.write_text("".join(json.dumps(r) + "\n" for r in TRACE), encoding="utf-8")
    out = tmp_path / "r.json"
    result = CliRunner().invoke(replay, [str(trace), "--catalog", str(CATALOG), "--config", str(config), "--fast",
                                         "--report", str(out)])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert report["replies"] and {r["channel"] for r in report["replies"]} == {"voice"}
