"""``livehub replay-gen`` and ``livehub replay`` from the command line, and the report's format."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hub.cli import cli
from plugins.replay.commands import replay, replay_gen
from plugins.replay.report import percentile

CATALOG = Path(__file__).resolve().parent / "catalog.json"


def run(args: list[str]) -> str:
    group = cli
    for command in (replay, replay_gen):
        if command.name not in group.commands:
            group.add_command(command)
    result = CliRunner().invoke(group, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_generate_then_replay_writes_the_report_the_issue_specifies(tmp_path: Path) -> None:
    trace, expected, report_path = tmp_path / "show.jsonl", tmp_path / "expected.json", tmp_path / "report.json"
    out = run(["replay-gen", "--catalog", str(CATALOG), "--minutes", "3", "--seed", "5", "--out", str(trace),
               "--expected", str(expected)])
    assert "over 3 minutes" in out
    records = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    assert set(json.loads(expected.read_text(encoding="utf-8"))) <= {r["id"] for r in records}

    out = run(["replay", str(trace), "--catalog", str(CATALOG), "--fast", "--report", str(report_path)])
    assert "report written" in out
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert set(report) == {"summary", "replies", "decisions"}
    summary = report["summary"]
    assert set(summary) == {"events", "comments", "answered", "aggregated", "dropped", "blocked", "replies",
                            "llm_calls", "llm_calls_by_intent", "reply_latency_ms"}
    assert summary["events"] == len(records)
    assert summary["comments"] == sum(1 for r in records if r["type"] == "comment")
    assert summary["replies"] == len(report["replies"]) > 0 and summary["llm_calls"] == 0
    assert set(summary["reply_latency_ms"]) == {"p50", "p95"}
    assert 0 <= summary["reply_latency_ms"]["p50"] <= summary["reply_latency_ms"]["p95"]
    for reply in report["replies"]:
        assert set(reply) == {"text", "kind", "channel", "at", "duration", "answers", "sku"}
        assert reply["channel"] in ("voice", "chat") and reply["kind"] in ("answer", "thanks")
        assert (reply["duration"] > 0) == (reply["channel"] == "voice")
    assert set(report["decisions"]) == {r["id"] for r in records}
    outcomes = {d["outcome"] for d in report["decisions"].values()}
    assert outcomes <= {"answered", "aggregated", "dropped", "blocked", "ignored"}
    for outcome in ("answered", "aggregated", "dropped", "blocked"):
        assert summary[outcome] == sum(1 for d in report["decisions"].values() if d["outcome"] == outcome)
    at = [r["at"] for r in report["replies"]]
    assert at == sorted(at) and at[-1] <= 3 * 60 + 120


def test_a_bad_trace_is_reported_with_its_line(tmp_path: Path) -> None:
    trace = tmp_path / "bad.jsonl"
    trace.write_text('{"id": "a", "t": 0, "type": "enter"}\n{"id": "b", "t": 1}\n', encoding="utf-8")
    result = CliRunner().invoke(replay, [str(trace), "--catalog", str(CATALOG), "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 2 and f"{trace}:2: missing 'type'" in result.output


def test_the_commands_are_registered_through_the_plugin_hook() -> None:
    import click

    from hub.plugins import PluginManager

    group = click.Group()
    manager = PluginManager(quiet=True)
    manager.load(autoload=False)
    manager.hook.livehub_register_commands(cli=group)
    assert {"replay", "replay-gen"} <= set(group.commands)


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95)) == (50.0, 95.0)
