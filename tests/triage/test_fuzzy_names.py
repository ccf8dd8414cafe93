"""Chinese names written loosely (#12 item 3): homophones, pinyin and part of a name resolve to the one product
meant; a comment that could mean several asks back naming the likely links, never answering for another."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.catalog import build_catalog
from plugins.replay.runner import run_replay
from plugins.triage.normalize import normalize
from plugins.triage.products import ProductResolver

ROWS = [
    {"sku": "TEA", "link": 1, "name": "高山乌龙茶", "price": "128"},
    {"sku": "MUG", "link": 2, "name": "陶瓷保温杯", "aliases": ["保温杯"], "price": "89"},
    {"sku": "WOOL", "link": 4, "name": "羊毛袜", "price": "39"},
    {"sku": "SCARF", "link": 5, "name": "羊毛围巾", "price": "159"},
    {"sku": "HONEY", "link": 6, "name": "野生百花蜂蜜", "price": "79.90"},
]
SHOP = {"name": "晨光好物", "currency": "CNY", "locale": "zh-CN"}


@pytest.fixture(scope="module")
def resolver() -> ProductResolver:
    return ProductResolver(build_catalog(SHOP, ROWS))


@pytest.mark.parametrize("text, sku", [
    ("保温被多少钱", "MUG"),  # the same sound, a wrong character
    ("陶瓷保问杯还有吗", "MUG"),
    ("羊毛娃多少钱", "WOOL"),
    ("baowenbei duoshao qian", "MUG"),  # typed in pinyin
    ("yangmaowa 多少钱", "WOOL"),
    ("那个蜂密多少钱", "HONEY"),  # part of the name, with a typo
    ("百花蜜怎么卖", "HONEY"),
])
def test_loose_names_resolve_to_the_product_meant(resolver, text, sku) -> None:
    ref = resolver.resolve(normalize(text), "TEA", product_question=True)
    assert (ref.sku, ref.source) == (sku, "fuzzy")


def test_a_name_several_products_share_asks_back_with_the_likely_ones(resolver) -> None:
    ref = resolver.resolve(normalize("羊毛的那个多少钱"), "TEA", product_question=True)
    assert ref.sku is None and ref.source == "unknown_name" and set(ref.likely) == {"WOOL", "SCARF"}


@pytest.mark.parametrize("text", ["多少钱", "包邮吗", "这个多少钱", "主播今天穿的衣服好看多少钱", "还有货吗"])
def test_comments_naming_no_product_mean_the_stage_as_before(resolver, text) -> None:
    ref = resolver.resolve(normalize(text), "TEA", product_question=True)
    assert ref.sku == "TEA" and ref.source in ("stage", "deictic")


def test_exact_names_still_win(resolver) -> None:
    assert resolver.resolve(normalize("羊毛围巾多少钱"), "TEA", product_question=True).source == "name"


async def test_the_answer_asks_back_naming_the_likely_links(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"shop": SHOP, "products": ROWS}, ensure_ascii=False), encoding="utf-8")
    trace = [{"id": "s", "t": 0, "type": "stage", "sku": "TEA"},
             {"id": "q1", "t": 1, "type": "comment", "user": {"id": "v1", "name": "小林"}, "text": "羊毛的多少钱"},
             {"id": "q2", "t": 30, "type": "comment", "user": {"id": "v2", "name": "大周"}, "text": "保温被多少钱"}]
    report = await asyncio.wait_for(run_replay(trace, catalog, fast=True), 60)
    ask_back = report["replies"][report["decisions"]["q1"]["reply"]]
    assert ask_back["sku"] is None
    assert ask_back["text"] in ("您问的是4号羊毛袜还是5号羊毛围巾呀？", "您问的是5号羊毛围巾还是4号羊毛袜呀？")
    assert "128" not in ask_back["text"]  # nothing about the product on stage
    mug = report["replies"][report["decisions"]["q2"]["reply"]]
    assert mug["sku"] == "MUG" and "89元" in mug["text"]


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("羊毛袜围巾保温杯被问陶瓷蜂蜜密百花这个多少钱吗的 abyngmoweiqu")),
                    max_size=20))
def test_any_comment_resolves_to_a_catalog_product_or_none(resolver, text) -> None:
    ref = resolver.resolve(normalize(text), "TEA", product_question=True)
    skus = {row["sku"] for row in ROWS}
    assert ref.sku is None or ref.sku in skus
    assert set(ref.likely) <= skus and (ref.sku is None or not ref.likely or ref.likely == (ref.sku,))
