"""Cut streamed text into sentences as it arrives, so the voice can start on the first one at once.

A sentence ends at ``。！？!?；;``, a newline, an ellipsis, or a ``.`` followed by a space (``128.00`` and
list numbers like ``1.`` are not ends). A sentence whose end mark is the last character received so far
is complete at once, so the voice starts without waiting for the next token; end marks and closing
quotes that arrive after it (``！！``, ``。”`` split across chunks) are dropped, as they are not spoken. A sentence that grows past ``max_chars`` without an end is cut at
its last comma (or space), so a long run-on line still reaches the voice in speakable pieces. Length is
counted in CJK characters; a Latin letter, digit or space counts half, as it takes about half as long to
say (60 means 60 Chinese characters or about 120 English ones). Markdown
that would be read aloud (``**``, list bullets, headings) is removed.
"""

from __future__ import annotations

import re

TERMINATORS = frozenset("。！？!?；;\n…")
CLOSERS = frozenset("”’\"')）】」』》]")
SOFT_BREAKS = "，,、：:"
SENTENCE_END = re.compile(rf"(?:[{re.escape(''.join(sorted(TERMINATORS)))}]+|\.(?=\s|$))"
                          rf"[{re.escape(''.join(sorted(CLOSERS)))}]*\s*")
"""Where a sentence of a finished text ends: a run of terminators, or a ``.`` before a space or the end
(not a decimal point), with the closing quotes and brackets and the spaces after it."""
_MARKDOWN = re.compile(r"\*\*|__|`+|^#+\s*|^\s*(?:[-*•]|\d{1,2}[.)、])\s+")
_SPACES = re.compile(r"\s+")


def sentence_spans(text: str, end: re.Pattern[str] = SENTENCE_END) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text`` (ends found by ``end``); together the spans cover it
    without gaps or overlaps."""
    spans, start = [], 0
    for match in end.finditer(text):
        if match.end() > start:
            spans.append((start, match.end()))
            start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def clean_sentence(text: str) -> str:
    """``text`` without markdown marks, list bullets and runs of whitespace."""
    text = _MARKDOWN.sub("", text.strip())
    return _SPACES.sub(" ", text).strip()


def spoken_width(text: str) -> float:
    """Length in CJK characters: wide (CJK) characters count 1, everything else 1/2."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.5 for ch in text)


def has_words(text: str) -> bool:
    """True when ``text`` has a letter, digit or CJK character (not punctuation alone)."""
    return any(ch.isalnum() for ch in text)


class SentenceSplitter:
    """Feed chunks with :meth:`feed`; each call returns the sentences completed so far.

    :meth:`flush` returns what is left when the stream ends. A sentence ends as soon as its end mark
    arrives; more end marks or closing quotes at the start of the next chunk belong to it and are dropped.
    """

    def __init__(self, max_chars: int = 60, min_chars: int = 6) -> None:
        self.max_chars = max_chars
        self.min_chars = min_chars
        self._buf = ""
        self._ended = False  # the last sentence ended at the end of what was received

    def feed(self, text: str) -> list[str]:
        if not self._buf:
            text = text.lstrip("".join(TERMINATORS | CLOSERS) + "." if self._ended else "")
        self._buf += text
        out: list[str] = []
        while True:
            cut = self._boundary()
            if cut is None:
                cut = self._overflow_cut()
            if cut is None:
                break
            piece, self._buf = self._buf[:cut], self._buf[cut:]
            self._ended = not self._buf
            sentence = clean_sentence(piece)
            if has_words(sentence):  # punctuation alone is dropped
                out.append(sentence)
        return out

    def flush(self) -> list[str]:
        rest, self._buf = self._buf, ""
        sentence = clean_sentence(rest)
        return [sentence] if has_words(sentence) else []

    def _boundary(self) -> int | None:
        """The end (exclusive) of the first complete sentence in the buffer, or None."""
        buf = self._buf
        for i, ch in enumerate(buf):
            if ch in TERMINATORS or (ch == "." and self._period_ends(buf, i)):
                end = i + 1
                while end < len(buf) and (buf[end] in TERMINATORS or buf[end] in CLOSERS or buf[end] == "."):
                    end += 1
                return end
        return None

    @staticmethod
    def _period_ends(buf: str, i: int) -> bool:
        if i + 1 >= len(buf):
            return False  # undecided: "128." may go on as "128.00"
        if not buf[i + 1].isspace():
            return False
        return not buf[:i].strip().isdigit()  # "1. " is a list number, not a sentence

    def _overflow_cut(self) -> int | None:
        """Where to cut a sentence that is already longer than ``max_chars``, or None."""
        if spoken_width(self._buf.strip()) <= self.max_chars:
            return None
        limit, width = 0, 0.0
        while limit < len(self._buf) and width + spoken_width(self._buf[limit]) <= self.max_chars:
            width += spoken_width(self._buf[limit])
            limit += 1
        window = self._buf[:limit]
        for marks in (SOFT_BREAKS, " "):
            pos = max(window.rfind(m) for m in marks)
            if pos >= self.min_chars:
                return pos + 1
        return max(limit, 1)
