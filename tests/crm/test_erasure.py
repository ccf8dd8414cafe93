"""`livehub contacts export|erase <id>` as an operator runs them on a hub's database: the export holds the
person, accounts, timeline, events (with their text) and CRM writes; the erasure removes the person's data
everywhere (events' text, names and emails, replies' mentions, CRM write payloads, the timeline), leaves other
people untouched, and is audited without the data."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import aiohttp

from hub.events import StreamState
from hub.testing import comment, feed, running_hub, wait_for
from tests.cli.conftest import cli  # noqa: F401 - the fixture
from tests.crm.test_customers import config, order, settled


async def contacts(hub: Any) -> dict[str, int]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{hub.web.port}/api/v1/contacts") as r:
        return {p["accounts"][0]: p["id"] for p in (await r.json())["contacts"]}


async def test_export_then_erase_a_person_everywhere_and_only_them(tmp_path, cli) -> None:  # noqa: F811
    db = tmp_path / "hub.db"
    async with running_hub(config=config(tmp_path, f"sqlite+aiosqlite:///{db}")) as hub:
        await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
        await feed(hub, comment("how much is link 1? I am Annabel Lee", user="annabel", name="Annabel Lee",
                                platform="douyin", message_id="a1"),
                   comment("is link 2 in stock?", user="bob", name="Bob", platform="douyin", message_id="b1"))
        await feed(hub, order("annabel", "7", "TEA-001", "168.00", email="annabel@example.com"))
        await settled(hub)
        await feed(hub, StreamState(platform="livehub", room="test-room", output="show", state="ended"))
        await settled(hub)
        await wait_for(lambda: hub.connectors["crm"].counts["pending"] == 0, timeout=10)
        people = await contacts(hub)
    (tmp_path / "livehub.toml").write_text(f'[hub]\ndatabase_url = "sqlite+aiosqlite:///{db}"\n')
    annabel = people["douyin:annabel"]

    exported = cli("contacts", "export", str(annabel), check=True)
    data = json.loads(exported.stdout)
    assert data["accounts"] == ["douyin:annabel"] and data["person"]["email"] == "annabel@example.com"
    assert any("Annabel Lee" in json.dumps(e["payload"]) for e in data["events"])
    assert {t["kind"] for t in data["timeline"]} >= {"note", "deal"} and data["crm_writes"]

    erased = cli("contacts", "erase", str(annabel), "--yes", check=True)
    assert "erased:" in erased.stdout and cli("contacts", "erase", str(annabel), "--yes").returncode == 1
    with sqlite3.connect(db) as conn:
        everything = json.dumps([list(r) for t in ("events", "replies", "crm_outbox", "people", "person_identities",
                                                      "person_activities", "viewers", "room_decisions") for r in
                                 conn.execute(f"SELECT * FROM {t}")], default=str)  # noqa: S608
        for word in ("Annabel", "annabel"):
            assert word not in everything, everything[everything.index(word) - 400:everything.index(word) + 100]
        assert "is link 2 in stock?" in everything and "douyin:bob" in everything  # bob is untouched
        (audit,) = conn.execute("SELECT actor, target, detail FROM audit_log WHERE action = 'contacts.erase'")
        assert audit[:2] == ("cli", f"person:{annabel}") and json.loads(audit[2])["events"] >= 2
        assert "annabel" not in json.dumps(list(conn.execute("SELECT * FROM audit_log"))).lower()
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] >= 3  # the events stay, counted
