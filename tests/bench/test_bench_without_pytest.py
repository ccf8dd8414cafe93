"""Benchmarks run with what ``scripts/setup.sh`` installs: no pytest, no test extras. Every module a
metric runs imports with pytest hidden, and none of them reaches for the test helpers (``hub.testing``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

HIDE_PYTEST = """
import importlib, sys
for name in ("pytest", "_pytest", "pytest_asyncio"):
    sys.modules[name] = None  # "import pytest" now raises ImportError, as where it is not installed
from bench.run import METRICS
modules = {metric.target.split(":")[0] for metric in METRICS.values()} | {"bench.media_bench"}
for module in sorted(modules):
    importlib.import_module(module)
print(sorted(modules))
print("hub.testing" in sys.modules)
"""


def test_every_metric_imports_without_pytest() -> None:
    done = subprocess.run([sys.executable, "-c", HIDE_PYTEST], capture_output=True, text=True, timeout=120,
                          cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    modules, uses_test_helpers = done.stdout.strip().splitlines()[-2:]
    assert "bench.media_bench" in modules and "bench.ingest" in modules
    assert uses_test_helpers == "False"
