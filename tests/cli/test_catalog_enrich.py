"""``livehub catalog enrich`` (#12 item 3): the LLM's suggested names, cleaned, reviewed and stored with the
catalog (JSON or CSV), then used by product resolution."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from hub.catalog_file import load_catalog
from hub.errors import BackendError
from plugins.triage.enrich import enrich, parse_aliases, write_aliases
from plugins.triage.normalize import normalize
from plugins.triage.products import ProductResolver

SHOP = {"name": "晨光好物", "currency": "CNY", "locale": "zh-CN"}
ROWS = [{"sku": "SOCK", "link": 4, "name": "羊毛袜", "aliases": ["袜子"], "price": "39"},
        {"sku": "MUG", "link": 2, "name": "陶瓷保温杯", "price": "89"}]


class FakeLlm:
    """An answer backend that answers every enrich prompt from a table (by product name)."""

    uses_llm = True

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.prompts: list[str] = []

    async def answer(self, request) -> AsyncIterator[str]:
        self.prompts.append(request.prompt)
        text = self.answers[request.products[0].name]
        if text == "FAIL":
            raise BackendError("the server is down", retryable=True)
        yield text

    async def aclose(self) -> None:
        pass


def catalog_file(tmp_path: Path, rows=ROWS) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"shop": SHOP, "products": rows}, ensure_ascii=False), encoding="utf-8")
    return path


def test_suggestions_are_cleaned() -> None:
    catalog = load_catalog_from(ROWS)
    sock = catalog.by_sku("SOCK")
    text = '1. wool socks、"羊毛短袜"，袜子, 陶瓷保温杯, 39元, note: 保暖；wool socks | merino socks'
    assert parse_aliases(text, sock, catalog) == ["wool socks", "羊毛短袜", "merino socks"]


def load_catalog_from(rows):
    from hub.catalog import build_catalog

    return build_catalog(SHOP, rows)


async def test_accepted_names_are_added_and_resolve_declined_ones_are_not(tmp_path: Path) -> None:
    path = catalog_file(tmp_path)
    llm = FakeLlm({"羊毛袜": "wool socks, merino socks", "陶瓷保温杯": "travel mug, 保温杯"})
    seen: list[str] = []

    def review(product, names):
        seen.append(product.sku)
        return names if product.sku == "SOCK" else []  # the merchant declines the mug's

    accepted = await enrich(load_catalog(path), llm, review)
    assert accepted == {"SOCK": ["wool socks", "merino socks"]} and seen == ["MUG", "SOCK"]  # by link
    assert llm.prompts == ["enrich", "enrich"]
    assert write_aliases(path, accepted) == 2
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["shop"] == SHOP
    assert data["products"][0]["aliases"] == ["袜子", "wool socks", "merino socks"]
    assert "aliases" not in data["products"][1]
    ref = ProductResolver(load_catalog(path)).resolve(normalize("how much are the wool socks"), "MUG",
                                                      product_question=True)
    assert ref.sku == "SOCK"
    assert write_aliases(path, accepted) == 0  # nothing twice


async def test_a_failing_or_useless_llm_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = catalog_file(tmp_path)
    before = path.read_bytes()
    lines: list[str] = []
    llm = FakeLlm({"羊毛袜": "FAIL", "陶瓷保温杯": "1, 2, 3元, 陶瓷保温杯"})
    accepted = await enrich(load_catalog(path), llm, lambda _p, names: names, report=lines.append)
    assert accepted == {} and write_aliases(path, accepted) == 0 and path.read_bytes() == before
    assert lines == ["4. 羊毛袜: no suggestions (the server is down)"]


def test_csv_catalogs_keep_their_columns(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text("sku,link,name,price\nSOCK,4,羊毛袜,39\nMUG,2,陶瓷保温杯,89\n", encoding="utf-8")
    assert write_aliases(path, {"MUG": ["travel mug", "保温杯"]}) == 2
    assert path.read_text(encoding="utf-8").splitlines() == [
        "sku,link,name,price,aliases", "SOCK,4,羊毛袜,39,", "MUG,2,陶瓷保温杯,89,travel mug|保温杯"]
    assert load_catalog(path, shop=SHOP).by_sku("MUG").aliases == ["travel mug", "保温杯"]


def test_the_command_says_when_there_is_no_llm(tmp_path: Path) -> None:
    path = catalog_file(tmp_path)
    for extra, reason in (([], "enrich needs an LLM"), (["--llm", "catalog"], "cannot suggest names")):
        result = subprocess.run([sys.executable, "-m", "hub", "catalog", "enrich", "--catalog", str(path),
                                 "--config", str(tmp_path / "none.toml"), *extra],
                                capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert result.returncode == 2 and reason in result.stderr, result.stderr
