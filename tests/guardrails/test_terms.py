"""Banned terms in host output: every shipped entry is caught, replaced or its sentence dropped."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hub.wordlists import ALLOW, Term, build_matcher, builtin_prompt_dir, normalise
from plugins.guardrails.terms import rewrite_banned

DIRS = [builtin_prompt_dir()]
FULL = build_matcher(DIRS, abuse=True, spam=True)
DOUYIN = build_matcher(DIRS, abuse=True, spam=True, platform="douyin")


def _entries(with_platform: bool = False) -> list[Term]:
    terms = (DOUYIN if with_platform else FULL).terms()
    return [t for t in terms if t.category != ALLOW]


def _carrier(term: Term) -> str:
    """A neutral sentence around ``term`` with a second sentence that must survive."""
    if term.locale == "en":
        return f"Our tea is {term.text} today. Thanks for watching!"
    return f"这款茶{term.text}哦。谢谢大家！"


def _clean(text: str | None, term: Term) -> bool:
    return text is None or normalise(term.text)[0].strip() not in normalise(text)[0]


@pytest.mark.parametrize("term", _entries(), ids=lambda t: f"{t.locale}:{t.category}:{t.text}")
def test_every_shipped_entry_is_caught_and_removed(term: Term) -> None:
    text = _carrier(term)
    assert any(m.term == term.text or m.category == term.category for m in FULL.find(text)), term
    result, reasons = rewrite_banned(text, FULL)
    assert reasons and _clean(result, term), (result, reasons)
    assert result is not None and ("Thanks" in result or "谢谢" in result)


@pytest.mark.parametrize("term", [t for t in _entries(True) if t.category.startswith("platform:")],
                         ids=lambda t: f"{t.locale}:{t.text}")
def test_platform_entries_only_for_their_platform(term: Term) -> None:
    text = _carrier(term)
    assert any(m.category == "platform:douyin" for m in DOUYIN.find(text))
    assert not any(m.category.startswith("platform:") for m in FULL.find(text))


@pytest.mark.parametrize("text, expected", [
    ("全网最低价，只要128元！", "很实惠的价格，只要128元！"),
    ("全 网 最 低 价，只要128元！", "很实惠的价格，只要128元！"),
    ("这是我们家最好的茶。", "这是我们家很好的茶。"),
    ("顶级高山茶园出品。", "优质高山茶园出品。"),
    ("The best oolong you can buy.", "A great oolong you can buy."),
    ("This mug is perfect for gifting.", "This mug is great for gifting."),
    ("乌龙茶销量第一！欢迎下单。", "欢迎下单。"),
    ("这茶能治失眠。原价168元。", "原价168元。"),
    ("It cures colds. It is 89 yuan.", "It is 89 yuan."),
    ("加 微 信领优惠。乌龙茶128元。", "乌龙茶128元。"),
    ("这是第一泡，香气最足。", "这是第一泡，香气最足。"),  # exception "第一泡"; "最足" is not listed
    ("第一次来的朋友点个关注。", "第一次来的朋友点个关注。"),
])
def test_rewrites(text: str, expected: str) -> None:
    result, _ = rewrite_banned(text, FULL)
    assert result == expected


def test_reasons_name_term_and_category() -> None:
    _, reasons = rewrite_banned("全-网-最-低价！乌龙茶能治失眠。", FULL)
    assert reasons == ["banned term '全网最低价' (ad_law) replaced with '很实惠的价格' (written '全-网-最-低价')",
                       "banned term '能治' (medical): sentence dropped"]


def test_nothing_left_blocks() -> None:
    result, reasons = rewrite_banned("销量第一！药到病除。", FULL)
    assert result is None
    assert reasons[-1] == "nothing left after removing banned terms: line blocked"


def test_review_hook_applies_term_lists(review: Callable[..., str | None]) -> None:
    assert review("全网最低价，只要128元！", stage_sku="TEA-001") == "很实惠的价格，只要128元！"
    assert review("淘宝上买不到，乌龙茶128元。", platform="douyin") is None
    assert review("淘宝上买不到。乌龙茶128元。", platform="douyin") == "乌龙茶128元。"
    assert review("淘宝上买不到。乌龙茶128元。", platform="kuaishou") == "淘宝上买不到。乌龙茶128元。"
