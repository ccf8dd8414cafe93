"""What the tests need from the machine: CI detection, a missing tool (skip locally, fail under CI), and
headless Chromium for the browser tests."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--autoplay-policy=no-user-gesture-required"]


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(problem: str, suite: str) -> NoReturn:
    """``problem`` keeps ``suite`` from running: a skip on a developer's machine, a failure under CI."""
    if running_in_ci():
        pytest.fail(f"{problem}. CI must run the {suite}.", pytrace=False)
    pytest.skip(f"{problem}. (Under CI=true this is a failure.)")


def need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        unavailable("chromium is not installed (apt-get install chromium)", "browser tests")


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """Headless Debian Chromium driven by Playwright (skipped, or failed under CI, where it is missing)."""
    need_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            await browser.close()
