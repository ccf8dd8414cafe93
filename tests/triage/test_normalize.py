"""Normalisation: the forms the matchers read, whatever the keyboard or the evasion trick."""

from __future__ import annotations

import pytest

from plugins.triage.normalize import detect_language, locale_for, normalize


def test_full_width_becomes_half_width_and_lower_case() -> None:
    text = normalize("１号链接ＨＯＷ ＭＵＣＨ？")
    assert text.text == "1号链接how much?"
    assert text.compact == "1号链接howmuch"


def test_runs_of_letters_collapse_but_digits_never_do() -> None:
    assert normalize("多少钱钱钱钱？？？").text == "多少钱?"
    assert normalize("priceeee???").text == "price?"
    assert normalize("13888888888").compact == "13888888888"
    assert normalize("666666").text == "666666"


def test_emoji_and_invisible_characters_are_stripped() -> None:
    text = normalize("多少钱😍🙏\u200b呀")
    assert text.text == "多少钱呀"
    assert normalize("👍👍👍").empty


def test_the_compact_form_defeats_spaced_and_decorated_contact_ids() -> None:
    assert normalize("加 薇 ❤️ 信 : a b c 1 2 3").compact == "加薇信abc123"
    assert normalize("➕V ：abc123").compact == "加vabc123"


@pytest.mark.parametrize(("text", "lang"), [
    ("1号链接多少钱", "zh"), ("how much is link 1?", "en"), ("link 1 多少钱", "zh"),
    ("666", ""), ("???", ""), ("ok 好的好的", "zh"),
])
def test_language_detection(text: str, lang: str) -> None:
    assert detect_language(normalize(text).text) == lang


def test_locale_for_keeps_the_rooms_regional_variant() -> None:
    assert locale_for("zh", "zh-TW") == "zh-TW"
    assert locale_for("zh", "en") == "zh-CN"
    assert locale_for("en", "zh-CN") == "en"
    assert locale_for("", "zh-CN") == "zh-CN"


def test_chinese_is_counted_by_the_core_as_for_speech_time() -> None:
    """One count of Chinese characters for the language guess and the speech estimate (no copy here)."""
    from hub import speech_time
    from plugins.triage import normalize as module

    assert module.cjk_count is speech_time.cjk_count and "cjk_count" not in module.__all__
    assert detect_language("1号多少钱 ok") == "zh" and speech_time.cjk_count("1号多少钱 ok") == 4
