"""Hand-offs through Redis Streams, on a real redis-server: a webhook reaching a process that does not run its
room is checked there and handed to the room's process, acknowledged only once handled, claimed by the next
owner when its process dies with it unacknowledged, and given up after repeated failures."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from connectors.douyin.standin import DouyinStandin
from hub.cluster.streams import MAX_ATTEMPTS, RoomStreams
from hub.testing import comment, post_events, running_hub, wait_for
from tests.douyin.helpers import fast_retries, hub_config, stored_ids
from tests.douyin.test_open_platform import post_push, signed


async def test_an_entry_left_unacknowledged_by_a_dead_consumer_is_claimed_once_by_the_next(redis_url: str) -> None:
    first, second = RoomStreams(redis_url, "a", claim_idle_s=0.3), RoomStreams(redis_url, "b", claim_idle_s=0.3)
    for n in range(3):
        await first.hand("main", "douyin", "push", {"n": n})
    seen_a: list[int] = []
    stuck = asyncio.Event()

    async def handle_a(target: str, kind: str, data: Any) -> None:
        seen_a.append(data["n"])
        if data["n"] == 1:
            stuck.set()
            await asyncio.Event().wait()  # the process dies here, before acknowledging

    task = asyncio.create_task(first.consume("main", handle_a))
    await asyncio.wait_for(stuck.wait(), 5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    seen_b: list[tuple[str, str, int]] = []

    async def handle_b(target: str, kind: str, data: Any) -> None:
        seen_b.append((target, kind, data["n"]))

    task = asyncio.create_task(second.consume("main", handle_b))
    try:
        await wait_for(lambda: len(seen_b) == 2, timeout=5)
        await second.hand("main", "douyin", "push", {"n": 3})
        await wait_for(lambda: len(seen_b) == 3, timeout=5)
        assert seen_a == [0, 1] and seen_b == [("douyin", "push", 1), ("douyin", "push", 2), ("douyin", "push", 3)]
        assert second.claimed == 2 and await second.pending("main") == 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await first.close()
        await second.close()


async def test_a_poison_entry_is_given_up_after_its_attempts_and_the_rest_go_on(redis_url: str) -> None:
    streams = RoomStreams(redis_url, "a", claim_idle_s=0.05, block_s=0.05)
    await streams.hand("main", "x", "bad", {"n": 0})
    await streams.hand("main", "x", "good", {"n": 1})
    good: list[int] = []

    async def handle(target: str, kind: str, data: Any) -> None:
        if kind == "bad":
            raise ValueError("cannot be handled")
        good.append(data["n"])

    task = asyncio.create_task(streams.consume("main", handle))
    try:
        await wait_for(lambda: streams.dropped == 1, timeout=10)
        assert good == [1] and streams.failed == MAX_ATTEMPTS and await streams.pending("main") == 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await streams.close()


@contextlib.asynccontextmanager
async def member(tmp_path: Path, standin: DouyinStandin, db_url: str, redis_url: str, node: str,
                 capacity: int) -> AsyncIterator[Any]:
    config = hub_config(tmp_path, standin)
    config["hub"] = {"database_url": db_url, "name": node}
    config["cluster"] = {"enabled": True, "node": node, "lease_s": 1.5, "capacity": capacity,
                         "redis_url": redis_url}
    async with running_hub(config=config) as hub:
        yield hub


@pytest.mark.slow
async def test_douyin_pushes_reaching_another_process_are_stored_once_by_the_rooms_process_even_across_a_takeover(
        tmp_path: Path, db_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with DouyinStandin() as standin, member(tmp_path, standin, db_url, redis_url, "a", 1) as a:
        await wait_for(lambda: a.cluster.owns("main"), timeout=10)
        async with member(tmp_path, standin, db_url, redis_url, "b", 1) as b:
            assert "douyin" not in b.connectors  # the room runs in a
            standin.callback_url = f"http://127.0.0.1:{b.web.port}/douyin/push"  # the platform reaches b
            await post_events(standin, comment("1号链接多少钱", user="u1", message_id="dy-h1", room="7001"))

            async def stored_in_a() -> bool:
                return "dy-h1" in await stored_ids(a, "comment")

            await wait_for(stored_in_a, timeout=15, interval=0.1)
            assert a.cluster.streams.handled >= 1

            body = json.dumps([{"msg_id": "dy-h2", "content": "hi", "sec_openid": "s2"}]).encode()
            assert (await post_push(b, body, signed(body, "wrong")))[0] == 401  # checked where it arrives
            stuck = asyncio.Event()

            async def hang(kind: str, data: Any) -> None:
                stuck.set()
                await asyncio.Event().wait()

            monkeypatch.setattr(a.connectors["douyin"], "accept_handoff", hang)
            assert (await post_push(b, body, signed(body, standin.secret)))[0] == 200  # Redis has it
            await asyncio.wait_for(stuck.wait(), 10)
            await a.stop()  # a goes away with the push read and never acknowledged: b runs the room now
            await wait_for(lambda: b.cluster.owns("main") and "douyin" in b.connectors, timeout=10)
            await wait_for(lambda: b.cluster.streams.claimed >= 1 and b.cluster.streams.handled >= 1, timeout=15)
            await b.events_stored(timeout=5)
            ids = await stored_ids(b, "comment")
            assert ids.count("dy-h2") == 1 and ids.count("dy-h1") == 1


async def test_events_posted_to_a_process_that_does_not_run_their_room_are_published_by_the_one_that_does(
        tmp_path: Path, db_url: str, redis_url: str) -> None:
    import aiohttp

    from hub.testing import collect

    def config(node: str, capacity: int) -> dict[str, Any]:
        return {"hub": {"database_url": db_url, "name": node}, "web": {"enabled": True, "port": 0},
                "rooms": {"main": {}, "other": {}},
                "cluster": {"enabled": True, "node": node, "lease_s": 1.5, "capacity": capacity,
                            "redis_url": redis_url}}

    async with running_hub(config=config("a", 2)) as a:
        await wait_for(lambda: a.cluster.owns("main") and a.cluster.owns("other"), timeout=10)
        async with running_hub(config=config("b", 0)) as b:
            with collect(a, types={"comment"}) as in_a, collect(b, types={"comment"}) as in_b:
                body = [{"type": "comment", "platform": "web", "room": "main", "message_id": f"m{n}",
                         "user": {"id": "u1", "name": "Ann"}, "text": f"hello {n}"} for n in range(3)]
                async with aiohttp.ClientSession() as http, http.post(
                        f"http://127.0.0.1:{b.web.port}/api/v1/events", json=body) as response:
                    assert response.status == 202, await response.text()
                    assert (await response.json())["accepted"] == 3
                await wait_for(lambda: len(in_a) == 3, timeout=10)
                assert [e.message_id for e in in_a] == ["m0", "m1", "m2"] and not in_b
            await a.events_stored(timeout=5)
            rows = await a.storage.recent_events(limit=10, type="comment", room="main")
            assert sorted(r["message_id"] for r in rows) == ["m0", "m1", "m2"]


async def test_a_watcher_of_any_process_sees_the_events_of_rooms_another_process_runs(
        tmp_path: Path, redis_url: str, db_url: str) -> None:
    import aiohttp

    def config(node: str, capacity: int) -> dict[str, Any]:
        return {"hub": {"database_url": db_url, "name": node}, "web": {"enabled": True, "port": 0},
                "rooms": {"main": {}},
                "cluster": {"enabled": True, "node": node, "lease_s": 1.5, "capacity": capacity,
                            "redis_url": redis_url}}

    async with running_hub(config=config("a", 1)) as a:
        await wait_for(lambda: a.cluster.owns("main"), timeout=10)
        async with running_hub(config=config("b", 0)) as b, aiohttp.ClientSession() as http:
            async with http.ws_connect(f"http://127.0.0.1:{b.web.port}/api/v1/events/ws?types=comment") as ws:
                body = [{"type": "comment", "platform": "web", "room": "main", "message_id": "w1",
                         "user": {"id": "u1", "name": "Ann"}, "text": "is it silk?"}]
                async with http.post(f"http://127.0.0.1:{a.web.port}/api/v1/events", json=body) as response:
                    assert response.status == 202
                message = await asyncio.wait_for(ws.receive_json(), 10)
                assert (message["type"], message["room"], message["text"]) == ("comment", "main", "is it silk?")
            assert b.cluster.feed.received >= 1 and a.cluster.feed.sent >= 1
