"""The speaking budget: speech time estimates, one voice at a time, the chat rate limit."""

from __future__ import annotations

import pytest

from hub.speech_time import estimate_speech_seconds
from plugins.triage.budget import ChatRateLimiter, SpeechBudget, VoiceTimeline


def test_chinese_speech_time_follows_characters_per_second() -> None:
    text = "一二三四五六七八九十" * 9  # 90 characters, one sentence
    assert estimate_speech_seconds(text, "zh-CN") == pytest.approx(90 / 4.5 + 0.25)
    assert estimate_speech_seconds(text, "zh-CN", zh_chars_per_s=9) == pytest.approx(10.25)


def test_english_speech_time_follows_words_per_second() -> None:
    text = " ".join(["word"] * 26) + "."
    assert estimate_speech_seconds(text, "en") == pytest.approx(26 / 2.6 + 0.25)


def test_numbers_and_sentences_take_time() -> None:
    short = estimate_speech_seconds("价格是元。", "zh-CN")
    assert estimate_speech_seconds("价格是168元。", "zh-CN") > short
    assert estimate_speech_seconds("好。好。好。", "zh-CN") > estimate_speech_seconds("好好好", "zh-CN")
    assert estimate_speech_seconds("", "zh-CN") == 0
    assert estimate_speech_seconds("好", "zh-CN") == 0.5


def test_voice_lines_never_overlap() -> None:
    voice = VoiceTimeline(gap_s=0.3)
    first = voice.reserve(0.0, 4.0)
    second = voice.reserve(1.0, 2.0)  # asked while the first line is still being said
    assert (first, second) == (0.0, 4.3)
    assert voice.wait(5.0) == pytest.approx(1.6)
    assert voice.is_free(6.6)


def test_chat_rate_limit_is_a_sliding_window() -> None:
    chat = ChatRateLimiter(limit=20, window_s=30)
    for n in range(20):
        assert chat.allowed(n * 0.5)
        chat.record(n * 0.5)
    assert not chat.allowed(10.0)
    assert chat.next_slot(10.0) == 30.0  # the first post leaves the window
    assert chat.allowed(30.0) and chat.in_window(30.0) == 19
    off = ChatRateLimiter(limit=0)
    assert not off.allowed(0) and off.next_slot(0) is None


def test_a_voice_plugin_can_supply_real_durations() -> None:
    budget = SpeechBudget()
    budget.estimator = lambda text, locale: 1.25
    assert budget.duration("任何一句话都很长很长很长", "zh-CN") == 1.25
