"""Chat text: splitting on sentence boundaries (with a property test), mentions, the platform word list,
and the token bucket."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.chat_text import _CLAUSE, ELLIPSIS, ChatWords, mention_prefix, sentence_spans, shorten, split_chat
from hub.ratelimit import TokenBucket
from hub.wordlists import TermMatcher, builtin_prompt_dir, parse_terms


def test_whole_sentences_are_packed_and_a_sentence_too_long_is_cut_at_its_clauses() -> None:
    text = "Yes, it ships today. It is free. This one sentence is far too long to fit in one message, sadly."
    assert split_chat(text, 40) == ["Yes, it ships today. It is free.",
                                    "This one sentence is far too long to…", "sadly."]
    # a price late in a long sentence survives a platform's short messages (Bilibili: 20 characters)
    long = "这款羊毛围巾是今年的新款，颜色有三种，直播间价128元。"
    assert split_chat(long, 20) == ["这款羊毛围巾是今年的新款，颜色有三种，", "直播间价128元。"]
    assert split_chat(long, 12) == ["这款羊毛围巾是今年的新…", "颜色有三种，", "直播间价128元。"]
    assert split_chat(text, 200, "@Ann ") == ["@Ann " + text]
    assert split_chat("两元。三元！四元？", 6) == ["两元。三元！", "四元？"]
    assert split_chat("价格是128.00元。包邮", 12) == ["价格是128.00元。", "包邮"]  # a decimal point is no end


def test_shorten_prefers_a_break_near_the_end_and_never_exceeds_the_limit() -> None:
    assert shorten("first part, then the rest of it", 20) == "first part, then…"
    assert shorten("abcdefghijklmnopqrstuvwxyz", 10) == "abcdefghi…"
    assert shorten("fits", 10) == "fits"
    assert len(shorten("超长的句子没有任何标点符号一直写下去", 1)) == 1


def test_a_prefix_that_leaves_too_little_room_is_left_out() -> None:
    assert split_chat("好的。", 10, "@一个很长的名字 ") == ["好的。"]


def test_mentions_are_written_in_the_platforms_format_once_each() -> None:
    assert mention_prefix(["小雨", "Ann", "小雨", "", "Bo", "Cy"], "@{name} ") == "@小雨 @Ann @Bo "
    assert mention_prefix(["小雨"], "") == ""
    assert mention_prefix(["{x}"], "<{name}> ") == "<{x}> "


def test_the_word_list_rewrites_terms_with_a_replacement_and_refuses_the_rest() -> None:
    words = ChatWords(TermMatcher(parse_terms(["秒杀 => 限时活动", "私人号码", "!私人号码保护"], "platform:x")))
    assert words.rewrite("今晚秒杀。") == ("今晚限时活动。", words.find("今晚秒杀。"))
    assert words.rewrite("打私人号码")[0] is None
    assert words.rewrite("开启私人号码保护") == ("开启私人号码保护", [])


def test_the_shipped_lists_hold_the_generic_list_for_every_platform() -> None:
    words = ChatWords.load([builtin_prompt_dir()], "douyin")
    assert words.find("加微信领券") and words.find("add me on WeChat")  # every platform (all.txt)
    assert words.find("去淘宝买") and not ChatWords.load([builtin_prompt_dir()], "acme").find("去淘宝买")


def test_the_token_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(2.0, 3, now=0.0)
    assert [bucket.reserve(0.0) for _ in range(5)] == [0.0, 0.0, 0.0, 0.5, 1.0]
    assert bucket.reserve(10.0) == 0.0  # refilled, never past the burst
    assert bucket.available(10.0) == 2.0
    bucket.empty(10.0)
    assert bucket.reserve(10.0) == 0.5
    with pytest.raises(ValueError):
        TokenBucket(0)


# -- property: every part fits, and nothing is lost but what a too-long sentence had to give up -------

_pieces = st.sampled_from(["好", "货", "A", "b", "7", " ", "，", ",", "。", "！", "?", ". ", "…", "\n", "”", "1.5"])
_texts = st.lists(_pieces, max_size=120).map("".join)


def _covers(text: str, bodies: list[str], budget: int) -> bool:
    """Each body is consecutive whole sentences of ``text`` (stripped) — a sentence longer than
    ``budget`` counting as its clauses — or one such piece longer than ``budget`` shortened with an
    ellipsis; together they cover every sentence with something in it."""
    sentences = []
    for a, b in sentence_spans(text):
        whole = text[a:b]
        sentences += [whole] if len(whole.strip()) <= budget else [c for c in _CLAUSE.split(whole) if c.strip()]
    i = 0
    for body in bodies:
        while i < len(sentences) and not sentences[i].strip():
            i += 1
        if i == len(sentences):
            return False
        for j in range(i + 1, len(sentences) + 1):
            if "".join(sentences[i:j]).strip() == body:
                i = j
                break
        else:
            whole = sentences[i].strip()
            if not (len(whole) > budget and body.endswith(ELLIPSIS) and whole.startswith(body[:-1])):
                return False
            i += 1
    return all(not s.strip() for s in sentences[i:])


@settings(max_examples=400, deadline=None)
@given(text=_texts, max_chars=st.integers(1, 60), prefix=st.sampled_from(["", "@小雨 ", "@Ann @Bo "]))
def test_split_chat_parts_fit_and_lose_nothing_but_shortened_tails(text, max_chars, prefix) -> None:
    parts = split_chat(text, max_chars, prefix)
    kept = prefix if len(prefix) <= max_chars // 2 else ""
    assert all(0 < len(part) <= max_chars and part.startswith(kept) for part in parts)
    bodies = [part[len(kept):] for part in parts]
    assert all(body and body == body.strip() for body in bodies)
    assert _covers(text, bodies, max_chars - len(kept))
    if all(len(text[a:b].strip()) <= max_chars - len(kept) for a, b in sentence_spans(text)):
        assert "".join(bodies).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
