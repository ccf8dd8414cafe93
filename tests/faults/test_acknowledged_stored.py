"""Acknowledged means stored (#11 item 2): a 202, an acknowledged platform push and a stored resume cursor
each come only after the events they vouch for are committed to the database.

The database is held back with a gate around ``storage.record_events`` (the one call the recorder writes
through), so "not yet committed" is a state the test controls, not a race it hopes to win. The kill -9
experiment itself is tests/faults/test_kill9.py.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub.app import Hub
from hub.bus import BusClosed, EventBus
from hub.events import Comment, User
from hub.testing import wait_for
from tests.live_room.conftest import room_config, started_room_hub

TOKEN = "tk-0a7c2e91b4d35f68-stored"
TOKEN_ENV = "LIVEHUB_STORED_TEST_TOKEN"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


class Gate:
    """Holds ``storage.record_events`` closed until :meth:`open`; counts the batches that went through."""

    def __init__(self, hub: Hub) -> None:
        self.opened = asyncio.Event()
        self.waiting = 0
        self.batches = 0
        record = hub.storage.record_events

        async def gated(events: Any) -> int:
            self.waiting += 1
            await self.opened.wait()
            self.waiting -= 1
            self.batches += 1
            return await record(events)

        hub.storage.record_events = gated  # type: ignore[method-assign]

    def open(self) -> None:
        self.opened.set()


@pytest.fixture
async def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Hub]:
    monkeypatch.setenv("LIVEHUB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    config = room_config(web={"enabled": True, "port": 0, "token": {"env": TOKEN_ENV}})
    config["hub"] = {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'stored.db'}"}
    async with started_room_hub(config) as running:
        yield running


def stored_ids(hub: Hub, platform: str) -> set[str]:
    path = hub.storage.engine.url.database
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT message_id FROM events WHERE platform = ?", (platform,))}


def events(n: int, prefix: str) -> list[dict[str, Any]]:
    return [{"type": "comment", "platform": "api", "room": "main", "text": f"hello {i}",
             "message_id": f"{prefix}-{i}", "user": {"id": f"u{i}"}} for i in range(n)]


async def test_the_202_waits_for_the_commit(hub, client) -> None:
    gate = Gate(hub)
    post = asyncio.ensure_future(client.post(f"{hub.web.url}/api/v1/events", json=events(20, "a"), headers=AUTH))
    await wait_for(lambda: gate.waiting > 0)
    await asyncio.sleep(0.2)  # the request is at the database's door: no answer may come meanwhile
    assert not post.done(), "202 before the events were committed"
    gate.open()
    response = await post
    assert response.status == 202, await response.text()
    assert (await response.json())["accepted"] == 20
    assert {f"a-{i}" for i in range(20)} <= stored_ids(hub, "api")  # on disk the moment 202 is read


async def test_concurrent_requests_share_commits(hub, client) -> None:
    gate = Gate(hub)
    posts = [asyncio.ensure_future(client.post(f"{hub.web.url}/api/v1/events", json=events(10, f"c{n}"),
                                               headers=AUTH)) for n in range(8)]
    await wait_for(lambda: gate.waiting > 0)
    await asyncio.sleep(0.2)  # the other seven requests queue behind the first batch
    gate.open()
    statuses = [(await p).status for p in posts]
    assert statuses == [202] * 8
    assert gate.batches < 8, "each request paid its own commit"
    assert len(stored_ids(hub, "api")) == 80


async def test_a_database_that_does_not_answer_gets_503_then_the_events_are_stored(hub, client, monkeypatch) -> None:
    from hub.builtin import event_api

    monkeypatch.setattr(event_api, "STORE_TIMEOUT_S", 0.3)
    gate = Gate(hub)
    response = await client.post(f"{hub.web.url}/api/v1/events", json=events(5, "d"), headers=AUTH)
    assert response.status == 503
    body = await response.json()
    assert "not acknowledged" in body["error"] and "same ids" in body["error"]
    gate.open()  # the database is back: what was queued is written, and a resend is stored once
    again = await client.post(f"{hub.web.url}/api/v1/events", json=events(5, "d"), headers=AUTH)
    assert again.status == 202
    assert stored_ids(hub, "api") == {f"d-{i}" for i in range(5)}


async def test_a_connector_cursor_is_never_stored_ahead_of_its_events(hub) -> None:
    connector = hub.connectors["room"]
    keeper = connector.cursor_keeper
    gate = Gate(hub)
    await connector.ingest(Comment(platform="x", room="main", user=User("v1"), text="first",
                                   message_id="cur-1"), cursor="cursor-1")
    saving = asyncio.ensure_future(keeper.save())
    await wait_for(lambda: gate.waiting > 0)
    await asyncio.sleep(0.2)
    assert keeper.stored != "cursor-1" and not saving.done(), "cursor stored before its event"
    gate.open()
    await saving
    assert keeper.stored == "cursor-1"
    assert "cur-1" in stored_ids(hub, connector.platform)


async def test_an_acknowledged_push_is_stored_when_ingest_returns(hub) -> None:
    connector = hub.connectors["room"]
    gate = Gate(hub)
    ingest = asyncio.ensure_future(connector.ingest(
        Comment(platform="x", room="main", user=User("v2"), text="pushed", message_id="push-1"), stored=True))
    await wait_for(lambda: gate.waiting > 0)
    await asyncio.sleep(0.2)
    assert not ingest.done()
    gate.open()
    assert await ingest is True
    assert "push-1" in stored_ids(hub, connector.platform)


async def test_bus_waiters_are_answered_per_batch_and_failed_when_the_subscriber_stops() -> None:
    bus = EventBus()
    release = asyncio.Event()
    handled: list[int] = []

    async def slow(batch: list[Any]) -> None:
        await release.wait()
        handled.append(len(batch))

    sub = bus.subscribe("slow", slow, batch=100)
    await bus.start()
    for i in range(5):
        await bus.publish(Comment(platform="t", room="r", user=User("u"), text=str(i)))
    first = asyncio.ensure_future(sub.reached(sub.mark()))
    await bus.publish(Comment(platform="t", room="r", user=User("u"), text="late"))
    second = asyncio.ensure_future(sub.reached(sub.mark()))
    await asyncio.sleep(0.05)
    assert not first.done() and not second.done()
    release.set()
    await asyncio.wait_for(asyncio.gather(first, second), 5)
    assert sum(handled) == 6

    release.clear()
    await bus.publish(Comment(platform="t", room="r", user=User("u"), text="never"))
    stuck = asyncio.ensure_future(sub.reached(sub.mark()))
    await bus.stop(timeout=0.2)  # the handler never finishes: it is cancelled, the waiter learns it
    with pytest.raises(BusClosed):
        await asyncio.wait_for(stuck, 5)


async def test_a_viewer_comment_is_answered_once_it_is_stored(hub, client) -> None:
    gate = Gate(hub)
    comment = {"name": "小林", "text": "这个多少钱", "viewer_id": "viewer-stored-1", "message_id": "live-stored-1"}
    post = asyncio.ensure_future(client.post(f"{hub.web.url}/live/main/comments", json=comment))
    await wait_for(lambda: gate.waiting > 0)
    await asyncio.sleep(0.2)
    assert not post.done(), "the viewer's page was told its comment is in before it was stored"
    gate.open()
    response = await post
    assert response.status == 202, await response.text()
    assert "live-stored-1" in stored_ids(hub, "local")
