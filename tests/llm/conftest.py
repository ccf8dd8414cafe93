"""Fixtures for the answer tests: a catalog, hubs built from config and the SSE stand-in server.

The real llama.cpp server running SmolLM2-135M (``llama_server``) is a session fixture of
``tests/conftest.py`` (see ``tests/llama.py``), shared with the replay tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from hub.app import Hub
from hub.catalog import Catalog, build_catalog
from hub.config import load_config
from hub.testing import config_for_tests
from tests.llm.standin import StandInServer

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
