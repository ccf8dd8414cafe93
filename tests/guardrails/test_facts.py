"""The fact guard over the starter catalog, through the plugin's review hook.

TEA-001 link 1 "高山乌龙茶 250g" (乌龙茶, oolong): 168 → 128 (7.6折, save 40), stock 300.
MUG-002 link 2 "Ceramic Travel Mug 350ml" (mug, 杯子): 89, no promotion, stock 120.
SCARF-003 link 3 "桑蚕丝围巾" (围巾, scarf): 259 → 199, stock 45. Shop: 包邮, dispatch within 48 h, 7-day returns.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from decimal import Decimal

import pytest

from hub.catalog import Catalog
from hub.figures import chinese_to_decimal, find_figures
from hub.review import ReviewContext
from plugins.guardrails.facts import check_facts

KEEP = "keep"
BLOCK = None

# (text, context, expected: KEEP | BLOCK | the exact output, figures that must not appear in the output)
CASES: list[tuple[str, dict, str | None, list[str]]] = [
    # wrong prices are replaced, never negated
    ("高山乌龙茶现在只要99元！", {}, "高山乌龙茶现在只要128元！", ["99"]),
    ("高山乌龙茶现在只要128元！", {}, KEEP, []),
    ("高山乌龙茶原价168元，现在128元。", {}, KEEP, []),
    ("高山乌龙茶原价99元，现在128元。", {}, "高山乌龙茶原价168元，现在128元。", ["99"]),
    ("1号链接一百二十八元。", {}, KEEP, []),
    ("1号链接九十九元。", {}, "1号链接128元。", ["九十九"]),
    ("2号链接99块钱。", {}, "2号链接89块钱。", ["99"]),
    ("链接3只要¥150", {}, "链接3只要¥199", ["150"]),
    ("第3个链接只要￥150.00", {}, "第3个链接只要￥199", ["150"]),
    ("乌龙茶只要九十九点九元", {}, "乌龙茶只要128元", ["九十九"]),
    ("乌龙茶128块8", {}, "乌龙茶128元", ["128块8"]),
    ("乌龙茶到手价99，抓紧。", {}, "乌龙茶到手价128，抓紧。", ["99"]),
    ("高山乌龙茶128元，杯子128元。", {}, "高山乌龙茶128元，杯子89元。", []),
    ("乌龙茶现在只要¥99，杯子¥89。", {}, "乌龙茶现在只要¥128，杯子¥89。", ["99"]),
    ("乌龙茶不是1元，是128元。", {}, "是128元。", ["1元", "不是"]),
    ("乌龙茶现在是128元，不是99元。", {}, "乌龙茶现在是128元。", ["99", "不是"]),
    # stage product and context attribution
    ("这个只要88元。", {"stage_sku": "TEA-001"}, "这个只要128元。", ["88"]),
    ("这个只要88元。", {"stage_sku": "MUG-002"}, "这个只要89元。", ["88"]),
    ("现在只要88元。", {"skus": ["SCARF-003"], "stage_sku": "TEA-001"}, "现在只要199元。", ["88"]),
    ("现在只要88元。", {}, BLOCK, ["88"]),
    ("现在只要89元。", {}, KEEP, []),
    ("乌龙茶今天有活动。现在只要99元！", {"stage_sku": "MUG-002"}, "乌龙茶今天有活动。现在只要128元！", ["99"]),
    # English
    ("The mug costs $12.50.", {}, "The mug costs ¥89.", ["12.50"]),
    ("Oolong tea: 128 RMB, the mug 89 RMB.", {}, KEEP, []),
    ("Link 2 is 99 dollars.", {}, "Link 2 is ¥89.", ["99"]),
    ("Oolong tea is now 12 yuan, yes just 12 yuan!", {}, "Oolong tea is now 128 yuan, yes just 128 yuan!", ["12 "]),
    ("It was 99 yuan, now 128 yuan.", {"stage_sku": "TEA-001"}, "It was 168 yuan, now 128 yuan.", ["99"]),
    ("It's not $1, it's 128 yuan.", {"stage_sku": "TEA-001"}, "it's 128 yuan.", ["$1", "not"]),
    # discounts and savings
    ("乌龙茶7.6折！", {}, KEEP, []),
    ("乌龙茶打8折！", {}, BLOCK, ["8折"]),
    ("乌龙茶八折！现在只要128元。", {}, "现在只要128元。", ["八折"]),
    ("杯子今天8折。", {}, BLOCK, []),
    ("Oolong tea is 24% off today!", {}, KEEP, []),
    ("Oolong tea is 50% off! Only 128 yuan.", {}, "Only 128 yuan.", ["50%"]),
    ("乌龙茶省40元！", {}, KEEP, []),
    ("乌龙茶省50元！", {}, BLOCK, []),
    ("满200减20！乌龙茶128元。", {}, "乌龙茶128元。", ["200", "20"]),
    # stock
    ("高山乌龙茶库存300件。", {}, KEEP, []),
    ("乌龙茶库存500件！", {}, "乌龙茶库存300件！", ["500"]),
    ("围巾还剩五十件！", {}, "围巾还剩45件！", ["五十"]),
    ("Only 12 mugs left!", {"stage_sku": "MUG-002"}, KEEP, []),
    ("The mug: only 500 left!", {}, "The mug: only 120 left!", ["500"]),
    # shipping and returns
    ("全国包邮！", {}, KEEP, []),
    ("48小时内发货。", {}, KEEP, []),
    ("72小时内发货。", {}, KEEP, []),
    ("24小时发货！", {}, BLOCK, []),
    ("顺丰包邮。乌龙茶128元。", {}, "乌龙茶128元。", ["顺丰"]),
    ("Free shipping, dispatched within 48 hours.", {}, KEEP, []),
    ("Same-day shipping on every order!", {}, BLOCK, []),
    ("７天无理由退货。", {}, KEEP, []),
    ("30天无理由退货。", {}, BLOCK, []),
    # free and 1-yuan promises
    ("免费送杯子！乌龙茶128元。", {}, "乌龙茶128元。", ["免费"]),
    ("今天1元秒杀乌龙茶！", {}, BLOCK, []),
    ("一块钱带走围巾！", {}, BLOCK, []),
    ("Buy one get one free on the scarf.", {}, BLOCK, []),
    ("The first ten viewers get it for free! The scarf is 199 yuan.", {}, "The scarf is 199 yuan.", ["free"]),
    ("大家一块抢乌龙茶，只要128元！", {}, KEEP, []),
    ("The tea is free today! It is 128 yuan.", {"stage_sku": "TEA-001"}, "It is 128 yuan.", ["free"]),
    # lines that must pass untouched
    ("感谢小明赠送的火箭！谢谢小红、小刚和其他12位朋友的关注！", {}, KEEP, []),
    ("Free shipping nationwide, and shipping is free on returns too.", {}, KEEP, []),
    ("高山乌龙茶 250g：原价168元，现在到手价128元，还剩300件，全国包邮，48小时内发货。", {}, KEEP, []),
    ("Oolong tea: was 168, now 128 (save 40). 7-day no-questions-asked returns.", {}, KEEP, []),
    ("link #1 is the oolong, 第一个链接就是乌龙茶。", {}, KEEP, []),
]


def _absent(figure: str, text: str) -> bool:
    if figure[0].isdigit():
        return re.search(rf"(?<![\d.]){re.escape(figure.strip())}(?![\d.])", text) is None
    return figure not in text


@pytest.mark.parametrize("text, context, expected, forbidden", CASES, ids=[c[0] for c in CASES])
def test_fact_guard(review: Callable[..., str | None], text: str, context: dict, expected: str | None,
                    forbidden: list[str]) -> None:
    result = review(text, **context)
    assert result == (text if expected == KEEP else expected)
    for figure in forbidden:
        assert result is None or _absent(figure, result), f"{figure!r} still in {result!r}"


def test_enough_cases() -> None:
    assert len(CASES) >= 30


def test_random_wrong_prices_are_corrected_without_repeating(catalog: Catalog,
                                                            review: Callable[..., str | None]) -> None:
    """A seeded sweep: any wrong price, any product, zh or en, by name or link: the output states the
    product's real price and never the wrong figure."""
    rng = random.Random(20240603)
    real = {p.price for p in catalog.products} | {p.promo_price for p in catalog.products if p.promo_price}
    templates = ["{name}现在只要{n}元！", "{link}号链接{n}块钱，快下单。", "{name}到手价¥{n}。",
                 "{name} is only {n} yuan today.", "Link {link} costs ${n}, grab it!"]
    for _ in range(200):
        product = rng.choice(catalog.products)
        wrong = rng.randint(2, 999)
        if Decimal(wrong) in real:
            continue
        name = rng.choice([product.name, *product.aliases])
        text = rng.choice(templates).format(name=name, link=product.link, n=wrong)
        result = review(text)
        assert result is not None, text
        assert _absent(str(wrong), result), (text, result)
        current = product.current_price
        assert re.search(rf"(?<![\d.]){int(current)}(?![\d])", result), (text, result)


def test_reasons_are_specific(catalog: Catalog) -> None:
    _, reasons = check_facts("乌龙茶只要99元！杯子打8折。", ReviewContext(catalog=catalog), catalog)
    assert reasons == [
        "price '99元': not the price of TEA-001 (高山乌龙茶 250g); replaced with 128 (TEA-001)",
        "discount '打8折': MUG-002 has no promotion; sentence dropped"]


def test_without_a_catalog_figures_are_dropped() -> None:
    result, reasons = check_facts("乌龙茶128元。欢迎来到直播间！", ReviewContext(), None)
    assert result == "欢迎来到直播间！"
    assert reasons == ["price '128元': no catalog to check it against; sentence dropped"]


def test_free_gifts_allowed_only_when_catalog_offers_them(catalog: Catalog) -> None:
    text = "下单就送茶杯一个！乌龙茶128元。"
    assert check_facts(text, ReviewContext(catalog=catalog), catalog, allow_free_gifts=True)[0] == "乌龙茶128元。"
    gift = catalog.model_copy(deep=True)
    gift.products[0].selling_points.append("下单赠送茶杯一个")
    assert check_facts(text, ReviewContext(catalog=gift), gift, allow_free_gifts=True)[0] == text
    assert check_facts(text, ReviewContext(catalog=gift), gift, allow_free_gifts=False)[0] == "乌龙茶128元。"


@pytest.mark.parametrize("text, value", [
    ("一百二十八", "128"), ("九十九点九", "99.9"), ("两千五", "2500"), ("一百二", "120"), ("一万五", "15000"),
    ("十五", "15"), ("一百零五", "105"), ("二十", "20"), ("一二八", "128"), ("三百", "300"), ("零", "0"),
])
def test_chinese_numerals(text: str, value: str) -> None:
    assert chinese_to_decimal(text) == Decimal(value)


@pytest.mark.parametrize("text, kind, value", [
    ("128元", "price", "128"), ("¥128", "price", "128"), ("￥128.00", "price", "128.00"),
    ("128块", "price", "128"), ("128块钱", "price", "128"), ("一百二十八元", "price", "128"),
    ("$12.50", "price", "12.50"), ("12 dollars", "price", "12"), ("RMB 128", "price", "128"),
    ("１２８元", "price", "128"), ("1,280元", "price", "1280"), ("一分钱", "price", "0.01"),
    ("8折", "discount", "8"), ("八折", "discount", "8"), ("打8折", "discount", "8"), ("七五折", "discount", "7.5"),
    ("20% off", "discount", "8"), ("半价", "discount", "5"),
    ("库存300件", "stock", "300"), ("还剩50件", "stock", "50"), ("only 12 left", "stock", "12"),
    ("300 in stock", "stock", "300"), ("省40元", "saving", "40"), ("save $40", "saving", "40"),
])
def test_figures_are_found(text: str, kind: str, value: str) -> None:
    figures = find_figures(text)
    assert [(f.kind, f.value) for f in figures] == [(kind, Decimal(value))]


@pytest.mark.parametrize("text", ["250g装", "48小时发货", "只要3秒", "卖十二件", "一块去吧", "100%桑蚕丝",
                                  "for 2 people", "7天无理由", "Keeps tea hot for 6 hours", "180×90cm"])
def test_not_figures(text: str) -> None:
    assert [f for f in find_figures(text) if f.kind != "giveaway"] == []


def _sold_out_catalog() -> Catalog:
    from hub.catalog import Product, Shop

    return Catalog(shop=Shop(name="s"), products=[
        Product(sku="SOCK", link=3, name="羊毛袜", aliases=["wool socks"], price="39", stock=0),
        Product(sku="CUP", link=4, name="保温杯", aliases=["travel cup"], price="89", stock=5)])


@pytest.mark.parametrize("text, locale", [
    ("羊毛袜现在还有货，快拍！", "zh-CN"), ("3号链接还能拍，39元。", "zh-CN"), ("羊毛袜现货充足。", "zh-CN"),
    ("The wool socks are still available at 39 yuan.", "en"), ("Wool socks: in stock now!", "en"),
])
def test_saying_a_sold_out_product_is_in_stock_drops_the_sentence(text, locale):
    context = ReviewContext(channel="voice", kind="answer", locale=locale, stage_sku="CUP")
    result, reasons = check_facts(text, context, _sold_out_catalog())
    assert result is None and reasons and "SOCK is sold out" in reasons[0]


@pytest.mark.parametrize("text", [
    "保温杯有货，羊毛袜没有货了。", "羊毛袜已经抢光了。", "The travel cup is in stock.", "The wool socks are not available any more.",
])
def test_true_availability_statements_pass(text):
    context = ReviewContext(channel="voice", kind="answer", locale="zh-CN", stage_sku="CUP")
    assert check_facts(text, context, _sold_out_catalog()) == (text, [])
