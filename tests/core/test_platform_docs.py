"""docs/platforms/<platform>.md cannot drift from the code: its settings table names exactly the fields of the
connector's settings model, and docs/platforms.md links every platform page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.app import Hub
from hub.config import load_config
from hub.testing import config_for_tests

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted((DOCS / "platforms").glob("*.md"))


def settings_keys(page: Path) -> set[str]:
    """Every backticked name in the first column of the table under '## Settings'."""
    text = page.read_text(encoding="utf-8")
    assert "\n## Settings" in text, f"{page.name}: no '## Settings' section"
    section = text.split("\n## Settings", 1)[1].split("\n## ", 1)[0]
    keys: set[str] = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.lstrip().startswith("|") else []
        if cells and cells[0] not in ("key", "") and not set(cells[0]) <= {"-", ":"}:
            keys |= set(re.findall(r"`([a-z_0-9]+)`", cells[0]))
    return keys


def connector_type(page: Path) -> str:
    found = re.search(r'`type = "([a-z_0-9]+)"`', page.read_text(encoding="utf-8"))
    assert found, f"{page.name}: does not name its connector type as `type = \"...\"`"
    return found.group(1)


@pytest.fixture(scope="module")
def models() -> dict[str, type]:
    hub = Hub(load_config(data=config_for_tests(), env=False), autoload=False).build()
    return {name: spec.config_model for name, (_, spec) in hub.registry.connectors.items()}


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_the_settings_table_names_every_setting(page: Path, models: dict[str, type]) -> None:
    kind = connector_type(page)
    assert kind in models, f"{page.name}: no connector of type {kind!r} is registered"
    fields = set(models[kind].model_fields)
    documented = settings_keys(page)
    assert documented == fields, (f"{page.name}: missing {sorted(fields - documented)}, "
                                  f"not settings {sorted(documented - fields)}")


def test_the_index_links_every_platform_page() -> None:
    index = (DOCS / "platforms.md").read_text(encoding="utf-8")
    for page in PAGES:
        assert f"(platforms/{page.name})" in index, f"docs/platforms.md does not link {page.name}"
