"""Viewer text as the matchers see it: one canonical form, whatever the keyboard or the evasion trick.

Live chat is written on phones, in full-width and half-width forms, with emoji, stretched words
("多少钱钱钱钱", "priceeee???") and spaces or symbols wedged into contact ids to dodge filters
("加 薇 ❤ 信"). :func:`normalize` turns a comment into:

* ``text`` — NFKC (full-width → half-width), lower case, emoji and invisible characters removed, runs
  of three or more of the same letter collapsed to one, whitespace collapsed: what the intent and
  product rules read;
* ``compact`` — ``text`` without any space, punctuation or symbol: what the spam rules read, so that
  "v x : 1 2 3" and "vx123" look the same;
* ``lang`` — ``"zh"``, ``"en"`` or ``""`` (undecidable: digits, emoji, "?" only).

Digits are never collapsed: they carry phone numbers, prices and link numbers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from hub.speech_time import cjk_count

__all__ = ["NormalizedText", "normalize", "detect_language", "locale_for", "strip_emoji"]

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad\u034f\u180e]")
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f900-\U0001f9ff\U00002300-\U000023ff"
    "\U00002b00-\U00002bff\U0000fe00-\U0000fe0f\U0001f3fb-\U0001f3ff\u200d\u20e3\u3030\u303d"
    "\u2190-\u21ff\u25a0-\u25ff\u2700-\u27bf]")
_REPEAT = re.compile(r"([^\d\s])\1{2,}")
_SPACE = re.compile(r"\s+")
_LATIN_WORD = re.compile(r"[a-z]{2,}")
# "Plus" signs people use for "add me" (➕V, +v, ＋wx) read as the word 加 for the spam rules.
_PLUS = re.compile("[+\u2795\u271a\u2719]")


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """A comment in its matching forms; ``raw`` is kept only to be quoted as data, never said."""

    raw: str
    text: str
    compact: str
    lang: str

    @property
    def empty(self) -> bool:
        return not self.compact


def strip_emoji(text: str) -> str:
    """``text`` without emoji, pictographs, variation selectors and zero-width joiners."""
    return _EMOJI.sub("", text)


def detect_language(text: str) -> str:
    """``"zh"`` when the text is mostly Chinese, ``"en"`` when it has Latin words and no more Chinese
    than Latin, ``""`` when neither (digits, symbols, emoji only)."""
    han = cjk_count(text)
    latin = sum(len(w) for w in _LATIN_WORD.findall(text.lower()))
    if han and han * 2 >= latin:
        return "zh"
    if latin >= 2:
        return "en"
    return "zh" if han else ""


def locale_for(lang: str, default: str) -> str:
    """The reply locale for a detected language: ``zh`` → ``zh-CN``, ``en`` → ``en``, else ``default``.

    A Chinese room keeps its own regional locale (``zh-TW`` stays ``zh-TW`` for Chinese comments).
    """
    if lang == "zh":
        return default if default.lower().startswith("zh") else "zh-CN"
    if lang == "en":
        return default if default.lower().startswith("en") else "en"
    return default


class _LettersAndDigits(dict[int, int | None]):
    """``str.translate`` table keeping letters and digits (Unicode categories L and N) and deleting
    everything else; filled on first sight of each character (at most 65,536 of them kept)."""

    def __missing__(self, code: int) -> int | None:
        value = code if unicodedata.category(chr(code))[0] in "LN" else None
        if len(self) < 65_536:
            self[code] = value
        return value


_KEEP_LETTERS_AND_DIGITS = _LettersAndDigits()


def _collapse_repeats(text: str) -> str:
    # sub() with a template costs a microsecond even when nothing matches, and most comments have no run
    return _REPEAT.sub(r"\1", text) if _REPEAT.search(text) else text


def _fold(nfkc: str) -> str:
    """``text`` from the NFKC form without invisible characters."""
    text = strip_emoji(nfkc)
    text = text.lower()
    text = _collapse_repeats(text)
    return _SPACE.sub(" ", text).strip()


def _compact(text: str) -> str:
    text = _PLUS.sub("加", text)
    return text.translate(_KEEP_LETTERS_AND_DIGITS)


def normalize(raw: str) -> NormalizedText:
    """Normalise one comment (see the module docstring). Cheap: a few regex passes, no allocation storm."""
    raw = raw or ""
    nfkc = _INVISIBLE.sub("", unicodedata.normalize("NFKC", raw))
    folded = _fold(nfkc)
    # The compact form is built from the NFKC text *with* emoji, so that "加❤️薇" keeps its two words
    # adjacent once the heart is gone, and the plus signs are mapped before symbols are dropped.
    compact = _collapse_repeats(_compact(nfkc.lower()))
    return NormalizedText(raw=raw, text=folded, compact=compact, lang=detect_language(folded))
