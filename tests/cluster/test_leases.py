"""Room leases and cluster members, on SQLite and on a real PostgreSQL: one owner per room, fencing tokens, two
hubs sharing rooms, taking them over, fencing themselves and draining (in one test process; the kill -9
acceptance with three processes is tests/cluster/test_takeover.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from hub.app import Hub
from hub.cluster.leases import LeaseStore
from hub.config import load_config
from hub.hookspecs import hookimpl
from hub.storage.tables import room_leases
from hub.testing import CORE_PLUGINS, config_for_tests, wait_for

ROOMS = ["r1", "r2", "r3", "r4"]


class Watcher:
    """A plugin that notes the rooms its hub runs, as the hooks tell."""

    def __init__(self) -> None:
        self.running: set[str] = set()
        self.released: list[tuple[str, str]] = []

    @hookimpl
    def livehub_room_acquired(self, room: str) -> None:
        self.running.add(room)

    @hookimpl
    def livehub_room_released(self, room: str, reason: str) -> None:
        self.running.discard(room)
        self.released.append((room, reason))


@asynccontextmanager
async def member(db_url: str, node: str, *, web: bool = False, **cluster: Any) -> AsyncIterator[tuple[Hub, Watcher]]:
    watcher = Watcher()
    config = config_for_tests({"hub": {"database_url": db_url, "name": node}, "web": {"enabled": web, "port": 0},
                               "cluster": {"enabled": True, "node": node, "lease_s": 1.5, "capacity": 4, **cluster},
                               "rooms": {room: {} for room in ROOMS}})
    hub = Hub(load_config(data=config, env=False), builtins=CORE_PLUGINS, autoload=False,
              extra_plugins=[(f"watch-{node}", watcher)])
    await hub.start()
    try:
        yield hub, watcher
    finally:
        await hub.stop()


async def owners(hub: Hub) -> dict[str, str | None]:
    now = time.time()
    return {lease.room: (None if lease.free(now) else lease.owner) for lease in await hub.cluster.store.leases()}


async def test_a_room_has_one_owner_and_a_fencing_token_that_rises(db_url: str) -> None:
    async with member(db_url, "solo", capacity=0) as (hub, _):
        store = LeaseStore(hub.storage.engine)
        first = await store.acquire("r1", "a", ttl=0.3)
        assert first == 1 and await store.acquire("r1", "b", ttl=5) is None
        assert await store.renew("r1", "a", first + 1, ttl=0.3) is None  # a token it does not hold
        results = await asyncio.gather(*(store.acquire("r2", f"n{i}", ttl=5) for i in range(5)))
        assert sorted(r for r in results if r is not None) == [1]  # five at once: exactly one wins
        await asyncio.sleep(0.35)
        second = await store.acquire("r1", "b", ttl=5)
        assert second == first + 1  # taken over after expiry, with a higher token
        assert await store.renew("r1", "a", first, ttl=5) is None  # the old owner's renewal is refused
        assert await store.release("r1", "b", second) and await store.acquire("r1", "a", ttl=5) == second + 1


async def test_two_processes_share_the_rooms_and_one_takes_all_when_the_other_stops(db_url: str) -> None:
    async with AsyncExitStack() as stack:
        (a, wa), (b, wb) = await asyncio.gather(stack.enter_async_context(member(db_url, "a")),
                                                stack.enter_async_context(member(db_url, "b")))
        await wait_for(lambda: len(wa.running) + len(wb.running) == len(ROOMS), timeout=10)
        assert not wa.running & wb.running  # never both
        held = await owners(a)
        assert {room for room, owner in held.items() if owner == "a"} == wa.running == set(a.cluster.owned)
        await a.stop()  # a stops: it releases its rooms at once
        await wait_for(lambda: wb.running == set(ROOMS), timeout=5)
        assert all(reason == "the process is stopping" for _, reason in wa.released)


async def test_a_process_whose_lease_was_taken_stops_the_room_at_once(db_url: str) -> None:
    async with member(db_url, "a") as (hub, watcher):
        await wait_for(lambda: watcher.running == set(ROOMS), timeout=10)
        async with hub.storage.engine.begin() as conn:  # as if another process had taken r2 meanwhile
            await conn.execute(room_leases.update().where(room_leases.c.room == "r2")
                               .values(owner="intruder", token=room_leases.c.token + 1, expires_ts=time.time() + 60))
        await wait_for(lambda: "r2" not in watcher.running, timeout=3)
        assert ("r2", "its lease was taken over") in watcher.released and not hub.cluster.owns("r2")


async def test_draining_moves_every_room_to_the_other_process(db_url: str) -> None:
    async with member(db_url, "a") as (a, wa):
        await wait_for(lambda: wa.running == set(ROOMS), timeout=10)
        async with member(db_url, "b") as (b, wb):
            assert await LeaseStore(a.storage.engine).set_draining("a")
            a.cluster.wake()
            await wait_for(lambda: wb.running == set(ROOMS), timeout=15)
            assert not wa.running and {r for r, why in wa.released if why == "draining"} == set(ROOMS)
            assert set((await owners(b)).values()) == {"b"}

            async def counted() -> bool:  # the member list says so at the next heartbeats
                nodes = {n["node"]: n for n in await b.cluster.store.nodes()}
                return nodes["a"]["draining"] and nodes["a"]["rooms"] == 0 and nodes["b"]["rooms"] == 4

            await wait_for(counted, timeout=5)


async def test_a_process_that_cannot_reach_the_database_stops_its_rooms_before_their_leases_expire(
        db_url: str) -> None:
    async with member(db_url, "a") as (hub, watcher):
        await wait_for(lambda: watcher.running == set(ROOMS), timeout=10)
        store = hub.cluster.store

        async def broken(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("database unreachable")

        store.renew = broken  # type: ignore[method-assign]
        store.heartbeat = broken  # type: ignore[method-assign]
        lost_at = time.time()
        await wait_for(lambda: not watcher.running, timeout=5)
        leases = {lease.room: lease for lease in await LeaseStore(hub.storage.engine).leases()}
        assert all(lease.expires_ts > lost_at - 0.01 for lease in leases.values())
        assert hub.cluster.state == "retrying"
        assert {why for _, why in watcher.released} == {"its lease could not be renewed in time"}


async def test_an_api_process_runs_no_room_and_the_cli_shows_and_drains_the_cluster(db_url: str) -> None:
    from click.testing import CliRunner

    from hub.builtin.cluster_api import cluster, drain_command

    async with member(db_url, "w", capacity=4) as (worker, running), \
            member(db_url, "api", role="api", web=True) as (api, idle):
        await wait_for(lambda: running.running == set(ROOMS), timeout=10)
        assert not idle.running and not api.cluster.owned
        assert worker.metrics.get_sample_value("livehub_room_owned", {"room": "r1", "node": "w"}) == 1.0
        url = f"http://127.0.0.1:{api.web.port}"

        async def livehub(*args: str) -> str:  # the command calls the API of the hub running in this loop
            command = {"cluster": cluster, "drain": drain_command}[args[0]]  # `livehub cluster`, `livehub drain`
            result = await asyncio.to_thread(CliRunner().invoke, command, [*args[1:], "--url", url])
            assert result.exit_code == 0, result.output
            return result.output

        status = await livehub("cluster", "status")
        assert "w  all  4/4 rooms" in status and "api  api  0/0 rooms" in status and "4/4 rooms running" in status
        await livehub("drain", "w")
        await wait_for(lambda: not running.running, timeout=10)  # nobody else runs rooms here: they wait
        assert "0/4 rooms running; not running: r1, r2, r3, r4" in await livehub("cluster", "status")
        await livehub("drain", "w", "--undo")
        await wait_for(lambda: running.running == set(ROOMS), timeout=10)
