"""What every benchmark shares: the machine description, percentiles, memory, CPU pinning, and a real hub.

Benchmarks run the hub as ``livehub run`` would, minus what touches the outside world: no web server, no
scheduler, no platform connectors. The only connector is the starter catalog (``hub/starter/catalog.json``)
through the ``catalog_file`` connector, so triage resolves products and the catalog backend answers as in a
show. The database is a SQLite *file* in a temporary folder (WAL, as configured by :mod:`hub.storage.db`):
persisting is measured on disk, not in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
STARTER_CATALOG = REPO / "hub" / "starter" / "catalog.json"
ROOM = "bench"


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank ``q`` percentile (0 < q <= 100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    """Where the figures come from: cores, CPU model, Python, OS and the load when the run started."""
    return {"cores": os.cpu_count(), "cpu_model": cpu_model(),
            "python": platform.python_version(), "implementation": platform.python_implementation(),
            "os": f"{platform.system()} {platform.release()}", "load_avg": [round(v, 2) for v in os.getloadavg()]}


def rss_bytes() -> int:
    """The process's resident set size now (``/proc/self/statm``), in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def cpu_seconds() -> float:
    """User plus system CPU time of this process, every thread counted."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pin_to_one_core() -> int | None:
    """Restrict this process (event loop and the database thread alike) to one CPU; returns which."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def quiet_logs() -> None:
    """Benchmarks print JSON: hub logs go to stderr, warnings and worse only."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


def bench_config(database_url: str, data: dict[str, Any] | None = None) -> Any:
    """A replay-style hub config (no web, no scheduler, only the catalog connector) plus ``data``."""
    from hub.config import load_config
    from plugins.replay.runner import replay_config

    return replay_config(STARTER_CATALOG, load_config(data=data or {}, env=False), database_url=database_url)


@contextlib.asynccontextmanager
async def bench_hub(data: dict[str, Any] | None = None, *, plugins: list[tuple[str, Any]] | None = None
                    ) -> AsyncIterator[Any]:
    """A started hub on a fresh SQLite file with the starter catalog loaded; stopped afterwards."""
    from hub.app import Hub

    with tempfile.TemporaryDirectory(prefix="livehub-bench-") as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        hub = Hub(bench_config(url, data), web=False, autoload=False, extra_plugins=plugins or ())
        hub.build()
        await hub.start()
        try:
            connector = hub.connectors.get("replay_catalog")
            if connector is None or not await connector.wait_ready(30):
                raise RuntimeError(f"the starter catalog did not load: {getattr(connector, 'last_error', '?')}")
            yield hub
        finally:
            await hub.stop()


def isolated_cache_dir() -> str:
    """Point the voice cache at a fresh folder (removed at exit) so no run reuses another's speech."""
    folder = tempfile.mkdtemp(prefix="livehub-bench-cache-")
    os.environ["LIVEHUB_CACHE_DIR"] = folder
    import atexit
    import shutil

    atexit.register(shutil.rmtree, folder, True)
    return folder


class ScaledClock:
    """Room time running ``speed`` times as fast as the wall clock (a :class:`hub.clock.Clock`).

    Replaying a long show faster than live keeps every time window of triage (expiry, fairness, the
    answer cache, thank-you batches) as long in *room* time as in the show, so what those windows hold
    matches the show's event rate rather than the faster replay rate.
    """

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._origin = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._origin) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)

    def timer(self, seconds: float) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        handle = loop.call_later(max(0.0, seconds) / self.speed,
                                 lambda: future.done() or future.set_result(None))
        future.add_done_callback(lambda _f: handle.cancel())
        return future

    def busy(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()
