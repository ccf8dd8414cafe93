"""Product resolution: link numbers, names and aliases (longest first), pointing words, the stage."""

from __future__ import annotations

import pytest

from hub.catalog import build_catalog
from plugins.triage.normalize import normalize
from plugins.triage.products import ProductResolver, chinese_number

ROWS = [
    {"sku": "SCARF", "link": 1, "name": "羊绒围巾", "aliases": ["围巾", "scarf"], "price": "168"},
    {"sku": "SILK", "link": 2, "name": "真丝围巾", "aliases": ["丝巾", "silk scarf"], "price": "259"},
    {"sku": "CUP", "link": 3, "name": "保温杯", "aliases": ["杯子", "cup", "thermos"], "price": "59"},
    {"sku": "PILLOW", "link": 12, "name": "Silk Pillowcase", "aliases": ["枕套"], "price": "99"},
]


@pytest.fixture(scope="module")
def resolver() -> ProductResolver:
    return ProductResolver(build_catalog({"name": "shop"}, ROWS))


@pytest.mark.parametrize(("text", "sku", "source"), [
    ("1号链接多少钱", "SCARF", "link"), ("一号链接", "SCARF", "link"), ("2号多少", "SILK", "link"),
    ("十二号还有吗", "PILLOW", "link"), ("link 3 price?", "CUP", "link"), ("#3?", "CUP", "link"),
    ("第二个链接有优惠吗", "SILK", "link"), ("链接12多少钱", "PILLOW", "link"),
    ("真丝围巾多少钱", "SILK", "name"), ("羊绒围巾还有吗", "SCARF", "name"), ("围巾多少钱", "SCARF", "alias"),
    ("how much is the silk scarf", "SILK", "alias"), ("thermos in stock?", "CUP", "alias"),
    ("silk pillowcase price", "PILLOW", "name"),
    ("这个多少钱", "CUP", "deictic"), ("is it in stock?", "CUP", "deictic"), ("多少钱", "CUP", "stage"),
])
def test_resolution(resolver: ProductResolver, text: str, sku: str, source: str) -> None:
    ref = resolver.resolve(normalize(text), "CUP", product_question=True)
    assert (ref.sku, ref.source) == (sku, source)


def test_the_longest_alias_wins(resolver: ProductResolver) -> None:
    # "silk scarf" (SILK) is longer than "scarf" (SCARF)
    assert resolver.resolve(normalize("silk scarf?"), None, product_question=True).sku == "SILK"


def test_latin_aliases_match_whole_words_only(resolver: ProductResolver) -> None:
    assert resolver.resolve(normalize("hiccup price"), None, product_question=True).sku is None


def test_unknown_link_numbers_are_reported_not_guessed(resolver: ProductResolver) -> None:
    ref = resolver.resolve(normalize("5号链接多少钱"), "CUP", product_question=True)
    assert (ref.sku, ref.source, ref.link) == (None, "unknown_link", 5)
    # a bare "38号" is a shoe size or a date, not a link: the product on stage is meant
    assert resolver.resolve(normalize("38号还有吗"), "CUP", product_question=True).sku == "CUP"


def test_without_a_product_question_nothing_is_implied(resolver: ProductResolver) -> None:
    assert resolver.resolve(normalize("包邮吗"), "CUP", product_question=False).sku is None
    assert resolver.resolve(normalize("多少钱"), None, product_question=True).sku is None


@pytest.mark.parametrize(("text", "value"), [("3", 3), ("十", 10), ("十二", 12), ("二十", 20), ("两", 2),
                                             ("二十一", 21), ("一百", None), ("十十", None)])
def test_chinese_numbers(text: str, value: int | None) -> None:
    assert chinese_number(text) == value
