"""A private, throwaway Redis server for the cluster tests (the Debian ``redis-server`` binary).

It listens on 127.0.0.1 and a free port, keeps its files in a temporary directory, and writes an append-only
file flushed every second (what docs/scale-out.md recommends, so what the tests run). Nothing here touches a
system Redis. Run it by hand: ``python tests/redisserver.py`` prints the URL and stops on Enter.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.processes import free_port, port_open


class RedisNotInstalled(RuntimeError):
    """No ``redis-server`` on PATH; install the ``redis-server`` package."""


class RedisServer:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisNotInstalled("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(prefix="livehub-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._db = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--protected-mode", "yes"],
            stdout=(self.folder / "redis.log").open("wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while not port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start: {(self.folder / 'redis.log').read_text()[-500:]}")
            time.sleep(0.05)

    def database(self) -> str:
        """The URL of a database of its own (1-15, then shared), so tests do not see each other's keys."""
        self._db = self._db % 15 + 1
        return f"redis://127.0.0.1:{self.port}/{self._db}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


if __name__ == "__main__":
    server = RedisServer()
    server.start()
    print(server.url)
    try:
        input("Enter stops it. ")
    finally:
        server.stop()
