"""TermMatcher and word list files: normalisation, word boundaries, exceptions, resolution order."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.wordlists import (
    ALLOW,
    Term,
    TermMatcher,
    build_matcher,
    builtin_prompt_dir,
    list_locales,
    load_wordlist,
    normalise,
    parse_line,
    wordlist_files,
)


def matcher(*terms: str, category: str = "test") -> TermMatcher:
    found = [parse_line(t) for t in terms]
    return TermMatcher(Term(t, ALLOW if exc else category, rep) for t, rep, exc in filter(None, found))


def spans(m: TermMatcher, text: str) -> list[str]:
    return [text[x.start:x.end] for x in m.find(text)]


@pytest.mark.parametrize("text, expected", [
    ("今天全网最低价", ["全网最低"]),
    ("全 网 最 低", ["全 网 最 低"]),
    ("全-网-最-低!", ["全-网-最-低"]),
    ("全\u200b网\u200b最\u200b低", ["全\u200b网\u200b最\u200b低"]),  # zero-width spaces
    ("全🔥网🔥最🔥低", ["全🔥网🔥最🔥低"]),
    ("全網最低", []),  # traditional characters are other characters
    ("ＢＥＳＴ ＩＮ ＴＨＥ ＷＯＲＬＤ", ["ＢＥＳＴ ＩＮ ＴＨＥ ＷＯＲＬＤ"]),
    ("Best  in - the world!", ["Best  in - the world"]),
    ("bestow in the world", []),
    ("the best-in-the-world tea", ["best-in-the-world"]),
])
def test_normalised_matching(text: str, expected: list[str]) -> None:
    m = matcher("全网最低", "best in the world")
    assert spans(m, text) == expected


@pytest.mark.parametrize("text, hit", [
    ("best tea", True), ("the best.", True), ("bestow", False), ("sunbest", False), ("best2", True),
    ("#1 seller", True), ("#10 seller", False), ("排名#1", True), ("cure", True), ("secure", False),
    ("cures", False), ("加V信", True), ("加v", True), ("加vx", False),
])
def test_english_word_boundaries(text: str, hit: bool) -> None:
    m = matcher("best", "\\#1", "cure", "加v")
    assert bool(m.find(text)) is hit


def test_exceptions_suppress_hits_inside_them() -> None:
    m = matcher("第一", "!第一次", "!第一泡")
    assert m.find("这是第一次直播，第一泡最香") == []
    assert spans(m, "销量第一，第一次买的朋友") == ["第一"]


def test_leftmost_longest_and_overlapping() -> None:
    m = matcher("全网最低", "全网最低价", "最低价")
    assert spans(m, "全网最低价来了") == ["全网最低价"]
    everything = [(x.start, x.end) for x in m.find("全网最低价", overlapping=True)]
    assert everything == [(0, 5), (0, 4), (2, 5)]  # by start, longest first


def test_parse_line_syntax() -> None:
    assert parse_line("# comment") is None
    assert parse_line("   ") is None
    assert parse_line("全网最低价 => 很实惠的价格  # why") == ("全网最低价", "很实惠的价格", False)
    assert parse_line("!第一次") == ("第一次", None, True)
    assert parse_line("\\#1") == ("#1", None, False)
    assert parse_line("\\!important") == ("!important", None, False)


def test_load_wordlist_categories_and_replacements(tmp_path: Path) -> None:
    path = tmp_path / "brand.txt"
    path.write_text("\ufeff# merchant list\n国货之光 => 好物\n!国货之光不是我们说的\n\n秒杀全网\n", encoding="utf-8")
    terms = load_wordlist([path])
    assert [(t.text, t.category, t.replacement) for t in terms] == [
        ("国货之光", "brand", "好物"), ("国货之光不是我们说的", ALLOW, None), ("秒杀全网", "brand", None)]
    found = TermMatcher(terms).find("真正的国货之光")
    assert [(x.term, x.category, x.replacement) for x in found] == [("国货之光", "brand", "好物")]


def test_user_folder_overrides_and_extends_builtin(tmp_path: Path) -> None:
    banned = tmp_path / "zh-CN" / "banned"
    banned.mkdir(parents=True)
    (banned / "ad_law.txt").write_text("好喝到哭\n", encoding="utf-8")
    (banned / "brand.txt").write_text("国货之光\n", encoding="utf-8")
    dirs = [tmp_path, builtin_prompt_dir()]
    files = wordlist_files(dirs, "zh-CN")
    assert files[0].parent == banned and files[0].name == "ad_law.txt"
    assert {f.name for f in files} == {"ad_law.txt", "brand.txt", "medical.txt"}
    m = build_matcher(dirs, locales=["zh-CN"])
    assert m.find("全网最低") == []  # the shipped ad_law list is overridden
    assert [x.category for x in m.find("好喝到哭，国货之光，能治百病")] == ["ad_law", "brand", "medical"]


def test_builtin_lists_are_serious_and_clean() -> None:
    dirs = [builtin_prompt_dir()]
    assert {"zh-CN", "en"} <= set(list_locales(dirs))
    zh = [t for t in load_wordlist(wordlist_files(dirs, "zh-CN")) if t.category == "ad_law"]
    assert len(zh) >= 60
    full = build_matcher(dirs, abuse=True, spam=True, platform="douyin")
    for term in full.terms():
        if term.replacement:
            assert full.find(term.replacement) == [], f"replacement {term.replacement!r} is itself banned"
    assert len(full) > len(build_matcher(dirs))


def test_normalise_maps_back_to_original_offsets() -> None:
    norm, starts, ends = normalise("Ａ  b")
    assert norm == "a b"
    assert (starts[0], ends[0]) == (0, 1)
    assert (starts[1], ends[1]) == (1, 3)  # the run of spaces
