"""``livehub demo`` as a real subprocess for tests: start it, read its banner, wait for ``/readyz``,
stop it with SIGINT like a user pressing Ctrl+C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

START_TIMEOUT = 90.0
URL_LINE = re.compile(r"Viewer page\s*:\s*(http://\S+?)/\s*$")
DATA_LINE = re.compile(r"Data\s*:\s*(\S+)")


class DemoFailed(RuntimeError):
    """The demo exited or did not become ready in time; the message holds its output."""


@dataclass
class DemoServer:
    """A ``livehub demo`` subprocess: its base URL, output so far, and JSON helpers for its API."""

    process: subprocess.Popen[str]
    url: str = ""
    data_dir: str = ""
    lines: list[str] = field(default_factory=list)
    log_path: Path | None = None
    log_file: Any = None

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    @property
    def banner(self) -> str:
        return "".join(self.lines)

    def log(self) -> str:
        err = self.log_path.read_text(errors="replace")[-4000:] if self.log_path and self.log_path.exists() else ""
        return "".join(self.lines) + "\n--- stderr ---\n" + err


def _read_lines(process: subprocess.Popen[str], lines: list[str]) -> None:
    for line in process.stdout:  # type: ignore[union-attr]
        lines.append(line)


def start_demo(args: list[str], workdir: Path, cache: Path, env: dict[str, str] | None = None) -> DemoServer:
    """Start ``livehub demo <args>`` in ``workdir`` and wait until its banner is printed and it answers
    ``/readyz``. ``LIVEHUB_*`` variables of the test run are not passed on (``env`` adds variables).
    Raises :class:`DemoFailed` with the demo's output otherwise."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LIVEHUB_")}
    environment.update(LIVEHUB_CACHE_DIR=str(cache), PYTHONUNBUFFERED="1", **(env or {}))
    log_path = workdir / "demo.stderr"
    log_file = log_path.open("w")
    process = subprocess.Popen([sys.executable, "-m", "hub", "demo", *args], cwd=workdir, env=environment,
                               stdout=subprocess.PIPE, stderr=log_file, text=True, encoding="utf-8")
    server = DemoServer(process, log_path=log_path, log_file=log_file)
    threading.Thread(target=_read_lines, args=(process, server.lines), daemon=True, name="demo-stdout").start()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        banner = "".join(server.lines)
        if "Press Ctrl+C" in banner:
            server.url = next(m.group(1) for line in server.lines if (m := URL_LINE.search(line)))
            server.data_dir = next((m.group(1) for line in server.lines if (m := DATA_LINE.search(line))), "")
            try:
                with urllib.request.urlopen(server.url + "/readyz", timeout=2) as response:
                    if response.status == 200:
                        return server
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.2)
    stop_demo(server)
    raise DemoFailed(f"livehub demo did not become ready:\n{server.log()}")


def stop_demo(server: DemoServer) -> int | None:
    """SIGINT (a clean stop), then SIGKILL if it hangs; returns the exit code."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(10)
    if server.log_file is not None:
        server.log_file.close()
    return server.process.returncode


