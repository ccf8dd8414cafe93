"""Fixtures of the security tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the module (hypothesis runs many examples per test; each rewrites its files)."""
    return tmp_path_factory.mktemp("fuzz")
