"""Sentence spans and a small edit plan, shared by every guard.

Guards fix a line by replacing spans (a wrong price, a banned phrase) or by dropping whole sentences (a
claim that cannot be fixed). Both are collected first and applied once, so offsets found on the original
text stay valid. Sentences end at ``。！？!?；;…`` and newlines (runs of them stay together) and at a ``.``
that is followed by a space or the end and is not a decimal point, as :mod:`hub.answers` splits streams.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hub.sentences import sentence_spans as spans_by
from hub.wordlists import is_cjk

_END = re.compile(r"(?:[。！？!?；;\n…]+|\.(?=[\s”’\"')）」』]|$))[”’\"')）」』]*\s*")
_CLAUSE = re.compile(r"[，,、：:]")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; the spans cover ``text`` without gaps."""
    return spans_by(text, _END)


def split_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def has_words(text: str) -> bool:
    """True when ``text`` still says something (a letter, digit or CJK character)."""
    return any(c.isalnum() or is_cjk(c) for c in text)


def clause_span(text: str, sentence: tuple[int, int], pos: int) -> tuple[int, int]:
    """The clause of ``sentence`` around ``pos``, with one neighbouring comma so the rest reads on."""
    start, end = sentence
    body_end = end
    while body_end > start and (text[body_end - 1].isspace() or _END.fullmatch(text[body_end - 1])):
        body_end -= 1
    left = max((m.end() for m in _CLAUSE.finditer(text, start, pos)), default=start)
    right_match = _CLAUSE.search(text, pos, body_end)
    if right_match is not None:
        return left, right_match.end()  # "不是99元，" + "是128元。"
    if left > start:
        return left - 1, body_end  # "现在128元" + "，不是99元" + "。"
    return start, end


@dataclass
class EditPlan:
    """Replacements and sentence drops against one text, applied together by :meth:`result`."""

    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)
    edits: list[tuple[int, int, str]] = field(default_factory=list)
    dropped: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.spans = sentence_spans(self.text)

    def sentence_of(self, pos: int) -> int:
        for index, (start, end) in enumerate(self.spans):
            if start <= pos < end:
                return index
        return len(self.spans) - 1

    def span_of(self, pos: int) -> tuple[int, int]:
        return self.spans[self.sentence_of(pos)] if self.spans else (0, 0)

    def is_dropped(self, pos: int) -> bool:
        return self.sentence_of(pos) in self.dropped

    def drop(self, start: int, end: int | None = None) -> None:
        """Drop every sentence that overlaps ``[start, end)``."""
        end = start + 1 if end is None or end <= start else end
        for index, (a, b) in enumerate(self.spans):
            if a < end and start < b:
                self.dropped.add(index)

    def replace(self, start: int, end: int, new: str) -> bool:
        """Replace ``[start, end)``; refused (False) when it overlaps an earlier replacement."""
        if any(a < end and start < b for a, b, _ in self.edits):
            return False
        self.edits.append((start, end, new))
        return True

    @property
    def changed(self) -> bool:
        return bool(self.edits or self.dropped)

    def result(self) -> str:
        """The edited text, stripped; '' when nothing that says anything is left."""
        pieces = []
        for index, (start, end) in enumerate(self.spans):
            if index in self.dropped:
                continue
            cursor, out = start, []
            for a, b, new in sorted(e for e in self.edits if start <= e[0] < end):
                out.append(self.text[cursor:a])
                out.append(new)
                cursor = max(cursor, min(b, end))
            out.append(self.text[cursor:end])
            sentence = _tidy("".join(out))
            if has_words(sentence):
                pieces.append(sentence)
        joined = "".join(pieces).strip()
        return joined if has_words(joined) else ""


def _tidy(sentence: str) -> str:
    """Remove what edits leave behind: leading commas, doubled commas, empty quotes."""
    sentence = re.sub(r"[“\"'「『《(（]\s*[”\"'」』》)）]", "", sentence)
    sentence = re.sub(r"([，,、])\s*(?=[，,、。！？!?；;.])", "", sentence)
    sentence = re.sub(r"^\s*[，,、：:]\s*", "", sentence)
    return re.sub(r"[ \t]{2,}", " ", sentence)
