"""Hub processes of a cluster for the takeover test and bench/cluster.py: a config file for N rooms on one
database, ``livehub run --role worker`` processes, and reading their view over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from tests.processes import free_port, port_open

CATALOG = Path(__file__).resolve().parents[1] / "replay" / "catalog.json"
TOKEN = "cluster-test-token-5b1f"
TOKEN_ENV = "LIVEHUB_CLUSTER_TEST_TOKEN"


def write_config(folder: Path, database_url: str, rooms: list[str], *, show: str | None = None,
                 lease_s: float = 3.0, capacity: int = 6, media: bool = True, redis_url: str = "") -> Path:
    """``livehub.toml`` in ``folder``: the rooms (tiny media, espeak), the shop, the cluster on, a show file."""
    (folder / "shows").mkdir(parents=True, exist_ok=True)
    if show is not None:
        (folder / "shows" / "loop.toml").write_text(show, encoding="utf-8")
    room = '[rooms.{}]\nlocale = "en"\n' + ('size = "160x160"\nfps = 5\nvoices = ["espeak"]\n' if media else "")
    config = f"""
[hub]
database_url = "{database_url}"
locale = "en"
shutdown_timeout = 5
[web]
host = "127.0.0.1"
token = {{env = "{TOKEN_ENV}"}}
[scheduler]
enabled = false
[cluster]
enabled = true
lease_s = {lease_s}
capacity = {capacity}
redis_url = "{redis_url}"
[connectors.shop]
type = "catalog_file"
path = "{CATALOG}"
[backends.voice]
default = "espeak"
[backends.llm]
default = "catalog"
[plugins.show_runner]
shows_dir = "shows"
record = false
[plugins.triage]
chat_enabled = false
{"".join(room.format(name) for name in rooms)}"""
    path = folder / "livehub.toml"
    path.write_text(config, encoding="utf-8")
    return path


class Worker:
    """One ``livehub run --role worker`` process on its own port, logging to ``<name>.log``."""

    def __init__(self, config: Path, name: str) -> None:
        self.name, self.port = name, free_port()
        self.log = (config.parent / f"{name}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hub", "run", "-c", str(config), "--role", "worker", "--node", name,
             "--port", str(self.port)], stdout=self.log, stderr=subprocess.STDOUT, cwd=config.parent,
            env={**os.environ, "LIVEHUB_CACHE_DIR": str(config.parent / "cache"), TOKEN_ENV: TOKEN})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


async def wait_serving(workers: list[Worker], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not all(port_open(w.port) for w in workers):
        assert time.monotonic() < deadline, "workers did not start"
        assert all(w.process.poll() is None for w in workers), "a worker exited"
        await asyncio.sleep(0.2)


async def get(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url, headers={"Authorization": f"Bearer {TOKEN}"},
                        timeout=aiohttp.ClientTimeout(total=5)) as response:
        return await response.json()


async def owners(http: aiohttp.ClientSession, worker: Worker) -> dict[str, str | None]:
    """Each room's lease owner, as ``GET /api/v1/cluster`` on ``worker`` says."""
    view = await get(http, f"{worker.url}/api/v1/cluster")
    return {lease["room"]: lease["owner"] for lease in view["leases"]}
