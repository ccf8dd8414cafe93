"""Text normalisation for word-list matching: what makes "全 网 最 低", "全-网-最-低" and "ＢＥＳＴ" the same as
"全网最低" and "best" (see :mod:`hub.wordlists`).

NFKC and case folding; runs of separators (spaces, punctuation, emoji, control and zero-width characters,
but not the symbols in ``_KEEP``) are dropped next to a CJK character and become one space between Latin
words. :func:`normalise` also maps each normalised character back to its place in the original text (for
hit offsets); :func:`normalise_text` is the same text without offsets, at C speed for the usual input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_SEPARATOR_CATEGORIES = ("Z", "P", "S", "C")
_KEEP = frozenset("#%&@+$¥€£")  # symbols that carry meaning in terms ("#1", "100%", "$1")


def is_cjk(char: str) -> bool:
    """Han, kana and hangul: scripts written without spaces between words."""
    code = ord(char)
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF
            or 0x3040 <= code <= 0x30FF or 0xAC00 <= code <= 0xD7AF or 0x20000 <= code <= 0x3134F)


def _is_separator(char: str) -> bool:
    if char in _KEEP:
        return False
    return unicodedata.category(char)[0] in _SEPARATOR_CATEGORIES


def _clusters(text: str) -> Iterable[tuple[int, int]]:
    """(start, end) of each base character with its combining marks, so NFKC composes them."""
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        yield i, j
        i = j


def normalise(text: str) -> tuple[str, list[int], list[int]]:
    """Return the normalised text and, per normalised character, its start and end in ``text``."""
    pieces: list[tuple[str, int, int]] = []  # (normalised char, source start, source end)
    for start, end in _clusters(text):
        chunk = text[start:end]
        if not chunk.isascii():
            chunk = unicodedata.normalize("NFKC", chunk)
        for char in chunk.casefold():
            pieces.append((char, start, end))
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(pieces)
    while i < n:
        char, start, end = pieces[i]
        if not _is_separator(char):
            out.append(char)
            starts.append(start)
            ends.append(end)
            i += 1
            continue
        j = i
        while j < n and _is_separator(pieces[j][0]):
            j += 1
        before = out[-1] if out else ""
        after = pieces[j][0] if j < n else ""
        if before and after and (is_cjk(before) or is_cjk(after)):
            i = j  # "全 网" is "全网", "加 V" is "加v"
            continue
        out.append(" ")
        starts.append(start)
        ends.append(pieces[j - 1][2])
        i = j
    return "".join(out), starts, ends


class _SeparatorTable(dict[int, int]):
    """``str.translate`` table: a separator to NUL (itself one), anything else to itself; filled lazily."""

    def __missing__(self, code: int) -> int:
        value = 0 if _is_separator(chr(code)) else code
        if len(self) < 65_536:  # bounded, whatever characters viewers send
            self[code] = value
        return value


_SEPARATORS = _SeparatorTable()
_SEPARATOR_RUN = re.compile("\0+")


def _join_run(match: re.Match[str]) -> str:
    text, start, end = match.string, match.start(), match.end()
    return "" if start and end < len(text) and (is_cjk(text[start - 1]) or is_cjk(text[end])) else " "


def normalise_text(text: str) -> str:
    """``normalise(text)[0]`` without the offsets, at C speed for the usual text (already in NFKC, as
    nearly all typed text is): what :meth:`TermMatcher.categories` matches on every viewer comment."""
    if not (text.isascii() or unicodedata.is_normalized("NFKC", text)):
        return normalise(text)[0]
    # Each cluster of a text in NFKC is in NFKC, and case folding maps characters one by one; runs of
    # separators then follow normalise()'s rule: dropped next to a CJK character, else one space.
    return _SEPARATOR_RUN.sub(_join_run, text.casefold().translate(_SEPARATORS))


def normalise_term(term: str) -> str:
    """A term as the matcher stores it (no leading or trailing separators)."""
    return normalise(term)[0].strip()
