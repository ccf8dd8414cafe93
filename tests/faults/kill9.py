"""Acknowledged means stored: post events to a real hub, ``kill -9`` it mid-stream, restart, count.

Run it alone (``.venv/bin/python -m tests.faults.kill9 --events 20000``) or through
``tests/faults/test_kill9.py``. It sets up a scratch folder with ``livehub init``, runs ``livehub run``
(SQLite file, no token: a loopback client), and has a few clients post batches of comments with unique
``message_id`` s to ``POST /api/v1/events``, each remembering which batches were answered 202. Once a share
of them is acknowledged it sends SIGKILL to the hub, starts it again on the same database and counts:

* ``missing``: acknowledged events that are not in the database (must be 0);
* ``duplicates``: message ids stored more than once (must be 0);
* then, as a client would, it sends again every event that was not acknowledged plus every acknowledged
  one, and counts once more: ``stored_after_resend`` must be every event, with no duplicate.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.processes import free_port

LIVEHUB = str(Path(sys.executable).with_name("livehub"))
BATCH = 100
PLATFORM = "kill9"


def _post(base: str, batch: list[dict[str, Any]]) -> int:
    """The HTTP status of posting ``batch`` (0 when the connection failed)."""
    request = urllib.request.Request(base + "/api/v1/events", data=json.dumps(batch).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the hub exited with {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{base}/healthz did not answer within {timeout} s")


def _events(first: int, count: int) -> list[dict[str, Any]]:
    return [{"type": "comment", "platform": PLATFORM, "room": "main", "text": f"event {n}",
             "message_id": f"k-{n}", "user": {"id": f"u{n % 97}", "name": "viewer"}}
            for n in range(first, first + count)]


def _counts(db_path: Path) -> tuple[set[str], int]:
    with sqlite3.connect(db_path) as db:
        rows = [r[0] for r in db.execute("SELECT message_id FROM events WHERE platform = ?", (PLATFORM,))]
    return set(rows), len(rows) - len(set(rows))


class Hub:
    """``livehub run`` in ``folder``; its output goes to ``hub.log`` there."""

    def __init__(self, folder: Path, env: dict[str, str], port: int) -> None:
        self.folder, self.env, self.base = folder, env, f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.folder / "hub.log", "ab") as log:
            self.proc = subprocess.Popen([LIVEHUB, "run"], cwd=self.folder, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT)
        _wait_healthy(self.base, self.proc)

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 60.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)


def run(folder: Path, events: int = 20_000, clients: int = 4, kill_after: float = 0.4) -> dict[str, Any]:
    """The experiment of the module docstring in ``folder``; returns the counts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEHUB_")}
    env["LIVEHUB_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    subprocess.run([LIVEHUB, "init"], cwd=folder, env=env, check=True, capture_output=True)
    port = free_port()
    config = folder / "livehub.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("port = 8080", f"port = {port}"),
                      encoding="utf-8")
    hub = Hub(folder, env, port)
    hub.start()
    batches = [_events(first, min(BATCH, events - first)) for first in range(0, events, BATCH)]
    acknowledged: list[str] = []
    lock = threading.Lock()
    next_batch = iter(range(len(batches)))
    killed = threading.Event()

    def client() -> None:
        while not killed.is_set():
            with lock:
                index = next(next_batch, None)
            if index is None:
                return
            if _post(hub.base, batches[index]) == 202:
                with lock:
                    acknowledged.extend(e["message_id"] for e in batches[index])

    threads = [threading.Thread(target=client, name=f"kill9-client-{n}") for n in range(clients)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < events * kill_after and any(t.is_alive() for t in threads):
        time.sleep(0.005)
    with lock:
        acked_before_kill = len(acknowledged)
    hub.kill(signal.SIGKILL)
    killed.set()
    for thread in threads:
        thread.join(timeout=120)
    acked = set(acknowledged)  # includes any answer read just before the kill landed
    hub.start()
    stored, duplicates = _counts(folder / "livehub.db")
    missing = acked - stored
    # A client sends again what was not acknowledged, and (to check idempotence) what was.
    for batch in batches:
        status = _post(hub.base, batch)
        if status != 202:
            raise RuntimeError(f"re-sending a batch after the restart answered {status}")
    after, duplicates_after = _counts(folder / "livehub.db")
    stopped = hub.kill(signal.SIGTERM)
    return {"events": events, "acknowledged": len(acked), "acknowledged_before_kill": acked_before_kill,
            "stored_after_restart": len(stored), "missing": len(missing),
            "missing_sample": sorted(missing)[:5], "duplicates": duplicates,
            "stored_after_resend": len(after), "duplicates_after_resend": duplicates_after,
            "exit_after_sigterm": stopped}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--kill-after", type=float, default=0.4, help="share acknowledged before the kill")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="livehub-kill9-") as folder:
        result = run(Path(folder), args.events, args.clients, args.kill_after)
    print(json.dumps(result, indent=2))
    return 0 if result["missing"] == 0 and result["duplicates"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
