"""The catalog file format (:mod:`hub.catalog_file`) that ``--catalog`` of replay, replay-gen and demo reads:
JSON or CSV, bad rows reported while good ones load, unreadable files refused with a reason."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.catalog_file import CatalogFileError, load_catalog
from plugins.replay.commands import replay_gen

CSV = """sku,link,name,price,promo_price,stock,aliases,attributes
TEA-001,1,高山乌龙茶,128.00,99,50,乌龙茶|茶叶,"{""weight"": ""250g""}"
MUG-002,2,陶瓷保温杯,89,,0,保温杯,
BAD-003,x,没有链接,10,,,,
"""


def test_a_csv_catalog_takes_its_shop_from_the_sibling_file_and_reports_bad_rows(tmp_path: Path) -> None:
    (tmp_path / "shop.json").write_text(json.dumps({"name": "晨光好物", "currency": "CNY"}), encoding="utf-8")
    path = tmp_path / "products.csv"
    path.write_text(CSV, encoding="utf-8")
    catalog = load_catalog(path)
    assert catalog.shop.name == "晨光好物" and [p.sku for p in catalog.products] == ["TEA-001", "MUG-002"]
    tea = catalog.by_sku("TEA-001")
    assert tea.current_price == Decimal("99") and tea.aliases == ["乌龙茶", "茶叶"] and tea.attributes == {"weight": "250g"}
    assert [(p.row, p.field) for p in catalog.problems] == [(4, "link")]  # the header is row 1
    assert load_catalog(path, shop={"name": "别的店"}).shop.name == "别的店"


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("c.json", "{not json", "not valid JSON at line 1"),
    ("c.json", json.dumps({"products": []}), '"shop" must be an object'),
    ("c.csv", "name,price\n茶,1\n", "must name the product columns"),
    ("missing.json", None, "cannot read"),
])
def test_a_file_that_is_no_catalog_is_refused_with_its_reason(tmp_path: Path, name: str, content: str | None,
                                                              reason: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogFileError, match=reason):
        load_catalog(path)


def test_a_broken_shop_file_next_to_a_csv_is_refused(tmp_path: Path) -> None:
    (tmp_path / "shop.json").write_text("[1, 2", encoding="utf-8")
    path = tmp_path / "products.csv"
    path.write_text(CSV, encoding="utf-8")
    with pytest.raises(CatalogFileError, match="shop.json"):
        load_catalog(path)
    result = CliRunner().invoke(replay_gen, ["--catalog", str(path), "--out", str(tmp_path / "t.jsonl")])
    assert result.exit_code == 2 and "shop.json" in result.output
