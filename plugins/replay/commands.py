"""The ``livehub replay`` and ``livehub replay-gen`` commands."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.command("replay")
@click.argument("trace", type=_FILE)
@click.option("--catalog", "catalog", required=True, type=_FILE, help="Catalog file (JSON or CSV).")
@click.option("--llm", default=None, help="Answer backend to try first (falls back to catalog).")
@click.option("--llm-model", default=None, help="Model name for that backend.")
@click.option("--config", "-c", "config_path", default=None, type=_FILE,
              help="A livehub.toml for triage, backends and word lists (its connectors are not started).")
@click.option("--fast", is_flag=True, help="Simulated time: run as fast as the machine allows.")
@click.option("--report", "report_path", required=True, type=_OUT, help="Where to write the JSON report.")
def replay(trace: Path, catalog: Path, llm: str | None, llm_model: str | None, config_path: Path | None,
           fast: bool, report_path: Path) -> None:
    """Feed a recorded room (TRACE, JSON lines) through the full pipeline and write a report.

    Nothing is posted anywhere: the hub runs without web server, scheduler or platform connectors, on a
    temporary database. Use it to rehearse a show and to tune word lists and triage settings.
    """
    from hub.errors import ConfigError, LiveHubError
    from hub.logs import setup_logging
    from plugins.replay.runner import run_replay
    from plugins.replay.trace import TraceError, load_trace

    try:
        records = load_trace(trace)
    except TraceError as exc:
        _fail(str(exc))
    setup_logging("WARNING", None)
    try:
        report = asyncio.run(run_replay(records, catalog, config=config_path, llm=llm, llm_model=llm_model,
                                        fast=fast))
    except ConfigError as exc:
        _fail(f"invalid configuration:\n{exc}")
    except LiveHubError as exc:
        _fail(str(exc), 1)
    report_path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    s = report["summary"]
    latency = s["reply_latency_ms"]
    click.echo(f"{s['events']} events, {s['comments']} comments: {s['answered']} answered, "
               f"{s['aggregated']} aggregated, {s['dropped']} dropped, {s['blocked']} blocked; "
               f"{s['replies']} replies, {s['llm_calls']} LLM calls, latency p50 {latency['p50']} ms "
               f"p95 {latency['p95']} ms")
    click.echo(f"report written to {report_path}")


@click.command("replay-gen")
@click.option("--catalog", "catalog", required=True, type=_FILE, help="Catalog file (JSON or CSV).")
@click.option("--minutes", default=60.0, show_default=True, type=click.FloatRange(min=0.1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--out", "out", required=True, type=_OUT, help="Where to write the trace (JSON lines).")
@click.option("--expected", "expected_path", default=None, type=_OUT,
              help="Also write what a correct engine should see per comment (JSON).")
@click.option("--no-flood", is_flag=True, help="No 50-viewer floods.")
@click.option("--comments-per-min", default=24.0, show_default=True, type=click.FloatRange(min=0))
@click.option("--english-share", default=0.08, show_default=True, type=click.FloatRange(0, 1))
def replay_gen(catalog: Path, minutes: float, seed: int, out: Path, expected_path: Path | None, no_flood: bool,
               comments_per_min: float, english_share: float) -> None:
    """Generate a realistic trace of a show over CATALOG: questions, floods, bait, injections, spam."""
    from hub.catalog_file import CatalogFileError
    from plugins.replay.trace import write_trace
    from plugins.replay.tracegen import generate_trace

    try:
        trace = generate_trace(catalog, minutes=minutes, seed=seed, flood=not no_flood,
                               comments_per_min=comments_per_min, english_share=english_share)
    except CatalogFileError as exc:
        _fail(str(exc))
    write_trace(trace, out)
    if expected_path is not None:
        expected_path.write_text(json.dumps(trace.expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    comments = sum(1 for r in trace if r["type"] == "comment")
    click.echo(f"wrote {len(trace)} events ({comments} comments) over {minutes:g} minutes to {out}")


def _instant(text: str | None, timezone: str, option: str) -> float | None:
    """``text`` (ISO 8601; without an offset: in ``timezone``) as Unix seconds."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"{option}: not an ISO 8601 date-time (e.g. 2026-12-01T20:00:00): {text!r}")
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(timezone))
    return when.timestamp()


@click.command("export-trace")
@click.option("--room", required=True, help="The hub room to export.")
@click.option("--from", "since", default=None, help="Only events received from this time (ISO 8601).")
@click.option("--to", "until", default=None, help="Only events received before this time (ISO 8601).")
@click.option("--out", "out", required=True, type=_OUT, help="Where to write the trace (JSON lines).")
@click.option("--config", "-c", "config_path", default="livehub.toml", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The config file (for the database).")
def export_trace(room: str, since: str | None, until: str | None, out: Path, config_path: Path) -> None:
    """Write what the hub recorded of ROOM as a trace that `livehub replay` takes.

    Viewer events and stage changes, timed from the first of them; times without an offset are in
    [scheduler] timezone. Rehearse the room against a new config with `livehub replay`.
    """
    from hub.cli import load_or_exit
    from hub.config import safe_database_url
    from hub.errors import LiveHubError
    from hub.storage import Storage
    from plugins.replay.export import trace_records

    config = load_or_exit(config_path, required=False)
    start = _instant(since, config.scheduler.timezone, "--from")
    end = _instant(until, config.scheduler.timezone, "--to")
    if start is not None and end is not None and end <= start:
        _fail("--to must be later than --from")

    async def export() -> tuple[int, int, float]:
        storage = Storage(config.database_url)
        try:
            await storage.start(migrate=False)
            count = comments = 0
            last = 0.0
            partial = out.with_name(out.name + ".partial")
            with partial.open("w", encoding="utf-8") as file:
                async for record in trace_records(storage.room_events(room, since=start, until=end)):
                    file.write(json.dumps(record, ensure_ascii=False) + "\n")
                    count += 1
                    comments += record["type"] == "comment"
                    last = max(last, record["t"])
            partial.replace(out)
            return count, comments, last
        finally:
            await storage.stop()

    try:
        count, comments, span = asyncio.run(export())
    except LiveHubError as exc:
        _fail(config.redactor.redact(str(exc)), 1)
    except Exception as exc:  # the database is not there, or not a LiveHub database
        message = str(exc).splitlines()[0] if str(exc) else ""
        _fail(f"database {safe_database_url(config.database_url)}: {type(exc).__name__}: "
              f"{config.redactor.redact(message)}", 1)
    if count == 0:
        click.echo(f"no events of room {room!r} in that time: wrote an empty trace to {out}", err=True)
    click.echo(f"wrote {count} events ({comments} comments) over {span / 60:.1f} minutes of room {room!r} "
               f"to {out}")
