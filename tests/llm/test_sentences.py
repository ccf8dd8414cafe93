"""Sentence splitting of streamed text: ends, decimals, list numbers, long runs, markdown."""

from __future__ import annotations

from hub.sentences import SentenceSplitter, clean_sentence, spoken_width


def split_stream(chunks: list[str], max_chars: int = 60) -> list[str]:
    splitter = SentenceSplitter(max_chars)
    out: list[str] = []
    for chunk in chunks:
        out.extend(splitter.feed(chunk))
    return out + splitter.flush()


def test_chinese_sentences_split_as_tokens_arrive() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("1号链接原价168元，") == []
    assert splitter.feed("到手价128元。喜欢") == ["1号链接原价168元，到手价128元。"]
    assert splitter.feed("的直接拍！") == ["喜欢的直接拍！"]  # complete as its end mark arrives
    assert splitter.flush() == []


def test_every_end_mark_and_newline_ends_a_sentence() -> None:
    text = "第一句。第二句！第三句？第四句；Fifth!Sixth?\nSeventh"
    assert split_stream([text]) == ["第一句。", "第二句！", "第三句？", "第四句；", "Fifth!", "Sixth?",
                                    "Seventh"]


def test_decimal_points_and_list_numbers_do_not_end_sentences() -> None:
    assert split_stream(["It costs ¥128", ".", "50 today. ", "1. Cotton. 2. Denim."]) == [
        "It costs ¥128.50 today.", "Cotton.", "Denim."]


def test_repeated_end_marks_and_closing_quotes_stay_with_their_sentence() -> None:
    assert split_stream(["太好看了！！”她说。好"]) == ["太好看了！！”", "她说。", "好"]
    # a sentence goes out when its end mark arrives; marks arriving after it are not spoken: dropped
    assert split_stream(["太好看了！", "！", "”她说。", "好"]) == ["太好看了！", "她说。", "好"]
    assert split_stream(["Really?", "?", " Yes."]) == ["Really?", "Yes."]


def test_a_long_sentence_is_cut_at_its_last_comma_before_the_cap() -> None:
    text = "这款T恤采用新疆长绒棉，" + "手感柔软透气" * 6 + "，适合夏天穿，" + "版型宽松显瘦" * 4 + "。"
    sentences = split_stream([text[i:i + 3] for i in range(0, len(text), 3)], max_chars=30)
    assert "".join(sentences) == text
    assert len(sentences) >= 3
    assert all(spoken_width(s) <= 30 for s in sentences)
    assert sentences[0] == "这款T恤采用新疆长绒棉，"


def test_english_counts_half_width_so_normal_sentences_are_not_cut() -> None:
    sentence = "Link one is our best-selling cotton tee, soft and breathable for summer days."
    assert len(sentence) > 60
    assert split_stream([sentence]) == [sentence]


def test_a_run_without_commas_is_cut_at_a_space_or_hard_at_the_cap() -> None:
    words = split_stream(["word " * 60], max_chars=20)
    assert all(spoken_width(s) <= 20 for s in words) and all(s.startswith("word") for s in words)
    hanzi = split_stream(["好" * 50], max_chars=20)
    assert hanzi == ["好" * 20, "好" * 20, "好" * 10]


def test_markdown_and_bullets_are_not_read_aloud() -> None:
    assert clean_sentence("**Link 1** is `¥128`.") == "Link 1 is ¥128."
    assert split_stream(["- First point.\n* Second point.\n## Heading\n"]) == [
        "First point.", "Second point.", "Heading"]


def test_punctuation_alone_is_never_a_sentence() -> None:
    assert split_stream(["。。\n\n！", "好的。"]) == ["好的。"]
    assert split_stream(["\n\n", "  "]) == []
