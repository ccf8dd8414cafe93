"""Fixtures for the guardrails tests: the starter catalog and a review helper without a hub."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest

import plugins.guardrails as guardrails
from hub.catalog import Catalog, build_catalog
from hub.review import ReviewContext, ReviewResult


def starter_catalog() -> Catalog:
    data = json.loads((resources.files("hub.starter") / "catalog.json").read_text(encoding="utf-8"))
    return build_catalog(data["shop"], data["products"])


@pytest.fixture
def catalog() -> Catalog:
    """高山乌龙茶 TEA-001 link 1: 168 → 128, stock 300; MUG-002 link 2: 89, stock 120; SCARF-003 link 3:
    259 → 199, stock 45; 包邮, 48 h dispatch, 7-day returns, CNY."""
    return starter_catalog()


@pytest.fixture
def review(catalog: Catalog) -> Callable[..., str | None]:
    """``review(text, **context)`` → the text the host may say (None: blocked), with built-in lists."""

    def run(text: str, **context: Any) -> str | None:
        context.setdefault("catalog", catalog)
        result = guardrails.livehub_review_output(text=text, context=ReviewContext(**context), hub=None)
        if result is None:
            return text
        assert isinstance(result, ReviewResult)
        assert result.reasons, "a rewrite or block must say why"
        return result.text

    return run
