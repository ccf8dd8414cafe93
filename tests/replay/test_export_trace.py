"""``livehub export-trace`` (#12 item 4): record a room, then rehearse it with ``livehub replay``."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

from hub.events import Comment, Gift, Like, Order, Reply, StageChange, User
from hub.testing import running_hub
from plugins.replay.export import to_record
from plugins.replay.trace import load_trace
from tests.cli.conftest import cli  # noqa: F401  (the `livehub` command in a scratch folder)

CATALOG = Path(__file__).resolve().parent / "catalog.json"


async def record_a_room(db: Path) -> float:
    """Two platforms feeding room ``main``, a stage change, a reply and a re-delivery; a second room.
    Returns the Unix time between the first half and the second half of the show."""
    url = f"sqlite+aiosqlite:///{db}"
    t0 = time.time() - 600
    ana, bo = User("ana-1", "Ana"), User("bo-2", "小波")

    def at(seconds: float) -> dict:
        return {"received_ts": t0 + seconds, "platform_ts": t0 + seconds}

    events = [
        StageChange(platform="hub", room="main", sku="TEA-001", **at(0)),
        Comment(platform="douyin", room="main", user=ana, text="1号链接多少钱", message_id="dy-1", **at(1.5)),
        Comment(platform="tiktok", room="main", user=ana, text="how much is #1", message_id="tt-1", **at(2.0)),
        Comment(platform="douyin", room="main", user=ana, text="1号链接多少钱", message_id="dy-1", **at(2.2)),
        Gift(platform="douyin", room="main", user=bo, gift="rose", count=3, value=Decimal("30"),
             message_id="dy-2", **at(3.0)),
        Reply(platform="hub", room="main", text="1号链接直播间价128元", **at(3.5)),
        Comment(platform="douyin", room="other", user=bo, text="别的直播间", message_id="dy-9", **at(4.0)),
        Like(platform="douyin", room="main", user=bo, count=7, message_id="dy-3", **at(300.0)),
        Order(platform="douyin", room="main", user=bo, order_id="o-1", sku="TEA-001", qty=2,
              amount=Decimal("256"), message_id="dy-4", **at(301.0)),
    ]
    async with running_hub(config={"hub": {"database_url": url}}) as hub:
        for event in events:
            await hub.publish(event)
    return t0 + 100


async def test_export_then_replay_as_a_new_user_would(cli, tmp_path: Path) -> None:  # noqa: F811
    db = tmp_path / "room.db"
    middle = await record_a_room(db)
    (cli.cwd / "livehub.toml").write_text(f'[hub]\ndatabase_url = "sqlite+aiosqlite:///{db}"\n', encoding="utf-8")

    done = cli("export-trace", "--room", "main", "--out", "main.jsonl")
    assert done.returncode == 0, done.stderr
    assert "wrote 6 events (2 comments)" in done.stdout
    records = load_trace(cli.cwd / "main.jsonl")  # what `livehub replay` reads
    assert [(r["type"], r["id"]) for r in records] == [
        ("stage", records[0]["id"]), ("comment", "dy-1"), ("comment", "tt-1"), ("gift", "dy-2"),
        ("like", "dy-3"), ("order", "dy-4")]  # no reply, no re-delivery, no other room
    assert records[0]["t"] == 0.0 and records[1]["t"] == 1.5 and records[-1]["t"] == 301.0
    assert records[1]["user"] == {"id": "ana-1", "name": "Ana"} and records[2]["platform"] == "tiktok"
    assert records[3]["count"] == 3 and records[3]["value"] == "30" and records[0]["sku"] == "TEA-001"
    assert records[5]["qty"] == 2 and records[5]["amount"] == "256"

    done = cli("export-trace", "--room", "main", "--to", f"@{middle}", "--out", "x.jsonl")
    assert done.returncode == 2 and "--to: not an ISO 8601 date-time" in done.stderr
    from datetime import UTC, datetime
    cut = datetime.fromtimestamp(middle, UTC).isoformat()
    done = cli("export-trace", "--room", "main", "--to", cut, "--out", "first.jsonl")
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in load_trace(cli.cwd / "first.jsonl")][1:] == ["dy-1", "tt-1", "dy-2"]
    done = cli("export-trace", "--room", "main", "--from", cut, "--out", "second.jsonl")
    second = load_trace(cli.cwd / "second.jsonl")
    assert [r["id"] for r in second] == ["dy-3", "dy-4"] and second[0]["t"] == 0.0

    done = cli("replay", "main.jsonl", "--catalog", str(CATALOG), "--fast", "--report", "report.json")
    assert done.returncode == 0, done.stderr
    report = json.loads((cli.cwd / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["events"] == 6 and report["summary"]["comments"] == 2


def test_a_missing_database_is_one_clear_line(cli, tmp_path: Path) -> None:  # noqa: F811
    (cli.cwd / "livehub.toml").write_text('[hub]\ndatabase_url = "postgresql://u:pw@127.0.0.1:9/x?connect_timeout=2"\n',
                                          encoding="utf-8")
    done = cli("export-trace", "--room", "main", "--out", "t.jsonl")
    assert done.returncode == 1
    assert done.stderr.startswith("error: database") and "pw" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_stored_event_becomes_a_trace_record() -> None:
    seen: set[str] = set()
    data = {"type": "comment", "id": "e-1", "platform": "douyin", "room": "main", "message_id": "m-1",
            "user": {"id": 7, "name": None}, "text": "包邮吗", "received_ts": 1000.25, "platform_ts": None}
    assert to_record(data, 1000.0, seen) == {"id": "m-1", "t": 0.25, "type": "comment",
                                            "user": {"id": "7", "name": ""}, "platform": "douyin",
                                            "text": "包邮吗"}
    assert to_record({**data, "id": "e-2"}, 1000.0, seen)["id"] == "e-2"  # the same message id again
    assert to_record({"type": "reply", "id": "r"}, 0.0, seen) is None
