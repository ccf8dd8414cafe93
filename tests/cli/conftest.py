"""Helpers to run the real `livehub` command in a scratch folder, as a new user would."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

LIVEHUB = str(Path(sys.executable).with_name("livehub"))


class Cli:
    def __init__(self, cwd: Path, env: dict[str, str]):
        self.cwd, self.env = cwd, env

    def __call__(self, *args: str, check: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
        result = subprocess.run([LIVEHUB, *args], cwd=self.cwd, env=self.env, capture_output=True, text=True,
                                timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"livehub {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def start(self, *args: str) -> subprocess.Popen:
        log = open(self.cwd / "hub.log", "ab")
        return subprocess.Popen([LIVEHUB, *args], cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture
def cli(tmp_path) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEHUB_")}
    env["LIVEHUB_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return Cli(tmp_path, env)


def wait_http(url: str, timeout: float = 30.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer 200 within {timeout} s")
        time.sleep(0.1)
