"""Intent rules on typical live-chat phrasing, Chinese and English."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.claims import claim_kind, claim_verdict
from plugins.triage.intent import Intent, detect_intent
from plugins.triage.normalize import normalize

TABLE = [
    # price
    ("多少钱", Intent.PRICE), ("什么价", Intent.PRICE), ("几块", Intent.PRICE), ("1号链接多少钱？？", Intent.PRICE),
    ("这个多少", Intent.PRICE), ("咋卖的", Intent.PRICE), ("一号链接几块钱呀", Intent.PRICE), ("主播多少米", Intent.PRICE),
    ("全网最低吗?", Intent.PRICE), ("how much", Intent.PRICE), ("price?", Intent.PRICE),
    ("How much is link 2?", Intent.PRICE), ("what's the price of this one", Intent.PRICE),
    # stock
    ("还有货吗", Intent.STOCK), ("有库存吗", Intent.STOCK), ("还有多少", Intent.STOCK), ("卖完了吗", Intent.STOCK),
    ("还有XL吗", Intent.STOCK), ("in stock?", Intent.STOCK), ("any left?", Intent.STOCK),
    ("is it sold out?", Intent.STOCK),
    # size / spec
    ("什么尺码", Intent.SPEC), ("多大", Intent.SPEC), ("什么材质", Intent.SPEC), ("这个适合敏感肌吗", Intent.SPEC),
    ("what sizes do you have", Intent.SPEC), ("is it waterproof", Intent.SPEC),
    # shipping
    ("包邮吗", Intent.SHIPPING), ("几天到", Intent.SHIPPING), ("发什么快递", Intent.SHIPPING),
    ("新疆能发吗", Intent.SHIPPING), ("运费多少", Intent.SHIPPING), ("拍了什么时候发货", Intent.SHIPPING),
    ("do you ship to canada?", Intent.SHIPPING), ("shipping?", Intent.SHIPPING),
    # promotion
    ("有优惠吗", Intent.PROMOTION), ("能便宜点吗", Intent.PROMOTION), ("可以少点吗", Intent.PROMOTION),
    ("满300减50吗", Intent.PROMOTION), ("any discount?", Intent.PROMOTION), ("is there a coupon?", Intent.PROMOTION),
    # purchase intent
    ("怎么买", Intent.PURCHASE), ("拍了", Intent.PURCHASE), ("扣1", Intent.PURCHASE), ("怎么下单", Intent.PURCHASE),
    ("how do i buy this", Intent.PURCHASE), ("I want one", Intent.PURCHASE),
    # people
    ("主播好", Intent.GREETING), ("晚上好", Intent.GREETING), ("hi", Intent.GREETING),
    ("hello everyone", Intent.GREETING),
    ("退货怎么退", Intent.COMPLAINT), ("质量太差了吧", Intent.COMPLAINT), ("my order never arrived", Intent.COMPLAINT),
    ("666", Intent.CHIT_CHAT), ("好看", Intent.CHIT_CHAT), ("lol", Intent.CHIT_CHAT),
    ("能治病吗", Intent.OTHER), ("hmmm", Intent.OTHER),
]


@pytest.mark.parametrize(("text", "intent"), TABLE)
def test_intent_table(text: str, intent: Intent) -> None:
    assert detect_intent(normalize(text)).intent == intent


def test_a_complaint_outranks_the_product_question_inside_it() -> None:
    found = detect_intent(normalize("买的杯子坏了，多少钱修"))
    assert found.intent == Intent.COMPLAINT and Intent.PRICE in found.matched


@pytest.mark.parametrize(("text", "question"), [
    ("多少钱", True), ("多大", True), ("price?", True), ("is it in stock", True), ("拍了", False),
    ("666", False), ("主播好", False),
])
def test_questions_are_told_from_statements(text: str, question: bool) -> None:
    assert detect_intent(normalize(text)).question is question


_CLAIMY = st.sampled_from(["对吧", "是不是", "真的", "吗", "right?", "元", "块", "$", "¥", "免费送", "还剩", "件",
                           "折", "0", "5", "39.9", "一百二十八", "1e99", "9" * 40, "号链接", " ", "？"])


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.one_of(_CLAIMY, st.text(max_size=8)), max_size=12).map("".join))
def test_claim_reading_never_raises(text: str) -> None:
    from decimal import Decimal

    result = detect_intent(normalize(text))
    assert not result.claim or result.question
    kind = claim_kind(text)
    assert kind in (None, "price", "promotion", "stock")
    for intent in ("price", "promotion", "stock", "shipping"):
        assert claim_verdict(text, intent, Decimal("89"), None, 10) in ("", "wrong", "right")
