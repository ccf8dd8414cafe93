"""Cluster benchmarks (#18): events per second through 1, 2 and 3 worker processes, and room takeover time.

Both run real ``livehub run --role worker`` processes on a private PostgreSQL server (tests/pgserver.py) with
twelve rooms, on this machine.

* :func:`throughput` — ``cluster_events_per_s_2_workers_ratio``: for N = 1, 2, 3 workers, comments are posted
  to each room's own process (``POST /api/v1/events``, batches of ``batch``, two requests in flight per
  process; a request is answered once its events are stored) and taken in by its triage; events per second
  from the first post to the last acknowledgement. The value is the 2-worker rate over the 1-worker rate
  (the goal is 1.8); the rates themselves, and the cores each side used (workers, PostgreSQL, the load
  generator: this process, on the same cores), are in the details.
* :func:`takeover` — ``cluster_takeover_p95_s``: three workers, ``lease_s = 3``; the worker running the most
  rooms is killed (``SIGKILL``) and started again, ``kills`` times; per kill, the seconds until every room
  has a lease held by a live process. The value is the p95 (the goal is under 10 s).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import percentile

ROOMS = [f"r{n:02d}" for n in range(1, 13)]


def _server() -> Any:
    from tests.pgserver import PostgresServer

    server = PostgresServer()
    server.start()
    return server


async def _cluster(folder: Path, server: Any, workers: int, **config: Any) -> tuple[list[Any], str]:
    from tests.cluster.processes import Worker, wait_serving, write_config

    name = f"bench_{uuid.uuid4().hex[:10]}"
    path = write_config(folder, server.create_database(name), ROOMS, media=False, **config)
    started = [Worker(path, f"w{n}") for n in range(1, workers + 1)]
    await wait_serving(started)
    return started, name


async def _all_owned(http: aiohttp.ClientSession, worker: Any, alive: set[str], timeout: float) -> float:
    from tests.cluster.processes import owners

    started = time.monotonic()
    while True:
        held = await owners(http, worker)
        if len(held) == len(ROOMS) and all(owner in alive for owner in held.values()):
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"rooms not all running: {held}")
        await asyncio.sleep(0.05)


def _cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes ``pids`` used so far (0 for one that is gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _comments(room: str, start: int, count: int, run: str) -> list[dict[str, Any]]:
    return [{"type": "comment", "platform": "bench", "room": room, "message_id": f"{run}-{room}-{n}",
             "user": {"id": f"u{n % 500}", "name": f"viewer {n % 500}"}, "text": f"hello number {n}"}
            for n in range(start, start + count)]


async def _rate(folder: Path, server: Any, workers: int, events: int, batch: int) -> dict[str, float]:
    from tests.cluster.processes import TOKEN, owners

    started, _ = await _cluster(folder, server, workers, capacity=len(ROOMS))
    try:
        async with aiohttp.ClientSession() as http:
            await _all_owned(http, started[0], {w.name for w in started}, timeout=60)
            where = await owners(http, started[0])
            urls = {w.name: w.url for w in started}
            per_room = events // len(ROOMS)
            queue: dict[str, list[list[dict[str, Any]]]] = {w.name: [] for w in started}
            run = uuid.uuid4().hex[:6]
            for room in ROOMS:
                for offset in range(0, per_room, batch):
                    queue[where[room]].append(_comments(room, offset, min(batch, per_room - offset), run))

            async def post(worker: str) -> None:
                while queue[worker]:
                    body = queue[worker].pop()
                    async with http.post(f"{urls[worker]}/api/v1/events", json=body,
                                         headers={"Authorization": f"Bearer {TOKEN}"}) as response:
                        if response.status != 202:
                            raise RuntimeError(f"{worker}: {response.status} {await response.text()}")

            groups = {"workers": [w.process.pid for w in started], "postgres": _postgres_pids(),
                      "load_generator": [os.getpid()]}
            cpu = {name: _cpu_s(pids) for name, pids in groups.items()}
            begin = time.perf_counter()
            await asyncio.gather(*(post(w.name) for w in started for _ in range(2)))
            seconds = time.perf_counter() - begin
            used = {f"{name}_cores": round((_cpu_s(pids) - cpu[name]) / seconds, 2) for name, pids in groups.items()}
            return {"events_per_s": round(per_room * len(ROOMS) / seconds, 1), **used}
    finally:
        for worker in started:
            worker.stop()


async def throughput(events: int = 24_000, batch: int = 200, workers: tuple[int, ...] = (1, 2, 3)) -> dict[str, Any]:
    server = _server()
    try:
        runs = {}
        for n in workers:
            with tempfile.TemporaryDirectory(prefix="livehub-bench-cluster-") as folder:
                runs[n] = await _rate(Path(folder), server, n, events, batch)
    finally:
        server.stop()
    rates = {n: run["events_per_s"] for n, run in runs.items()}
    return {"value": round(rates[2] / rates[1], 3) if 1 in rates and 2 in rates else None,
            "events_per_s": {f"{n}_workers": rate for n, rate in rates.items()},
            "cpu_cores": {f"{n}_workers": {k: v for k, v in run.items() if k.endswith("_cores")}
                          for n, run in runs.items()},
            "cores": os.cpu_count(), "events": events, "batch": batch}


async def takeover(kills: int = 5) -> dict[str, Any]:
    from tests.cluster.processes import Worker, owners

    server = _server()
    times: list[float] = []
    try:
        with tempfile.TemporaryDirectory(prefix="livehub-bench-takeover-") as folder:
            workers, _ = await _cluster(Path(folder), server, 3, lease_s=3.0, capacity=8)
            try:
                async with aiohttp.ClientSession() as http:
                    for n in range(kills):
                        alive = {w.name for w in workers}
                        await _all_owned(http, workers[0], alive, timeout=60)
                        held = await owners(http, workers[0])
                        victim = max(workers, key=lambda w: list(held.values()).count(w.name))
                        victim.kill()
                        survivors = [w for w in workers if w is not victim]
                        times.append(await _all_owned(http, survivors[0], {w.name for w in survivors}, timeout=30))
                        victim.stop()
                        replacement = Worker(Path(folder) / "livehub.toml", f"{victim.name}-{n}")
                        workers = [*survivors, replacement]
                        from tests.cluster.processes import wait_serving

                        await wait_serving([replacement])
            finally:
                for worker in workers:
                    worker.stop()
    finally:
        server.stop()
    return {"value": round(percentile(times, 95) or 0.0, 2), "takeover_s": [round(t, 2) for t in times],
            "lease_s": 3.0}
