"""Chinese product names written loosely: homophones and typos, pinyin, part of the name.

Viewers type fast on phones: "羊毛娃" for 羊毛袜 (the same sound, the wrong character), "baowenbei" for
保温杯, "那个丝巾" for 桑蚕丝围巾. :class:`FuzzyNames` resolves those against the catalog's Chinese names and
aliases, and is conservative: a wrong product is worse than a question, so a comment that could mean
several products resolves to none and lists them as the likely ones (the answer then asks back, "您问的是
4号羊毛袜吗？").

Three kinds of evidence, strongest first:

1. **Same sound**: the tone-less pinyin (pypinyin) of a name of three or more syllables, or of two
   syllables (a short name, or a two-character piece of a longer one) written with at least one of its
   characters, appears in the comment's pinyin;
2. **Typed in pinyin**: the name's pinyin (six letters or more) appears in the comment's Latin letters;
3. **Part of the name**: a two-character piece of a name appears in the comment, scored by how much of
   the name it covers (rapidfuzz's partial ratio), and only pieces that are not everyday words.

Everything is indexed once per catalog; per comment the cost is a memoised lookup per Chinese character
and dictionary lookups of its syllable runs (no pass over the whole catalog's pinyin).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[a-z]+")
COMMON_PIECES = frozenset("""
多少 价格 价钱 钱吗 今天 这个 那个 这款 那款 现在 直播 链接 宝贝 商品 产品 主播 可以 什么 怎么 还有 有没 没有
包邮 发货 快递 退货 优惠 活动 便宜 一点 一下 一个 两个 喜欢 好看 好用 质量 颜色 尺码 大小 适合 能不 是不 不是
""".split())
"""Two-character pieces of everyday questions that also occur in product names: never evidence alone."""
MEMO_SIZE = 4096
"""Comments whose result is remembered (then the memory starts again)."""


@dataclass(frozen=True, slots=True)
class FuzzyMatch:
    """``sku``: the one product meant, or None; ``likely``: the products it may mean, best first."""

    sku: str | None
    likely: tuple[str, ...] = ()


@functools.lru_cache(maxsize=8192)
def syllable(char: str) -> str:
    """The tone-less pinyin of one Chinese character, in its most common reading (memoised: a comment
    costs one dictionary lookup per character)."""
    found = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return found[0] if found else ""


def pinyin_of(text: str) -> list[str]:
    """Tone-less pinyin syllables of the Chinese characters of ``text``, one per character (each in its
    most common reading, for names and comments alike; other characters dropped)."""
    return [syllable(char) for char in CJK.findall(text)]


class FuzzyNames:
    """The catalog's Chinese names and aliases, indexed for loose matching (see the module docstring)."""

    def __init__(self, terms: list[tuple[str, str]]) -> None:
        """``terms``: ``(compact name or alias, sku)``; only those with Chinese characters are used."""
        # first syllable -> [(syllables, written term, skus)]: a comment is only compared where a name could start
        self._sounds: dict[str, list[tuple[tuple[str, ...], str, set[str]]]] = defaultdict(list)
        self._typed: dict[str, set[str]] = defaultdict(set)  # pinyin letters -> skus
        self._pieces: dict[str, set[str]] = defaultdict(set)  # two-character piece -> skus
        self._names: dict[str, list[str]] = defaultdict(list)  # sku -> its Chinese terms
        self._memo: dict[str, FuzzyMatch] = {}
        for term, sku in terms:
            chars = "".join(CJK.findall(term))
            if len(chars) < 2:
                continue
            self._names[sku].append(chars)
            syllables = tuple(pinyin_of(chars))
            self._add_sound(syllables, chars, sku)
            letters = "".join(syllables)
            if len(letters) >= 6:
                self._typed[letters].add(sku)
            for i in range(len(chars) - 1):
                piece = chars[i:i + 2]
                if piece not in COMMON_PIECES:
                    self._pieces[piece].add(sku)
                    self._add_sound(tuple(syllables[i:i + 2]), piece, sku)  # "蜂密" sounds like its "蜂蜜"

    def _add_sound(self, syllables: tuple[str, ...], written: str, sku: str) -> None:
        same = [e for e in self._sounds[syllables[0]] if e[0] == syllables and e[1] == written]
        if same:
            same[0][2].add(sku)
        else:
            self._sounds[syllables[0]].append((syllables, written, {sku}))

    def match(self, text: str) -> FuzzyMatch:
        """The product ``text`` (a normalised comment) names loosely, if it is clear; else the likely ones.
        Remembered per text: a flood repeats the same few comments."""
        found = self._memo.get(text)
        if found is None:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            found = self._memo[text] = self._match(text)
        return found

    def _match(self, text: str) -> FuzzyMatch:
        chars = "".join(CJK.findall(text))
        heard = self._by_sound(chars) | self._by_typing(text)
        if len(heard) == 1:
            return FuzzyMatch(next(iter(heard)), tuple(heard))
        if heard:
            return FuzzyMatch(None, tuple(sorted(heard)))
        return self._by_piece(chars)

    def _by_sound(self, chars: str) -> set[str]:
        """The products whose name (or piece of one) sounds like part of the comment; the longest sound
        wins ("羊毛娃" is the 羊毛袜, not every product with 羊毛 in its name)."""
        if len(chars) < 2:
            return set()
        syllables = pinyin_of(chars)
        found: set[str] = set()
        longest = 0
        for start, first in enumerate(syllables):
            for sound, term, skus in self._sounds.get(first, ()):
                end = start + len(sound)
                if len(sound) < longest or end > len(syllables) or tuple(syllables[start:end]) != sound:
                    continue
                written = chars[start:end]
                if len(sound) >= 3 or any(a == b for a, b in zip(written, term, strict=True)):
                    if len(sound) > longest:
                        found, longest = set(), len(sound)
                    found |= skus
        return found

    def _by_typing(self, text: str) -> set[str]:
        letters = "".join(LATIN.findall(text.lower()))
        if len(letters) < 6:
            return set()
        return {sku for typed, skus in self._typed.items() if typed in letters for sku in skus}

    def _by_piece(self, chars: str) -> FuzzyMatch:
        scores: dict[str, float] = {}
        for i in range(len(chars) - 1):
            for sku in self._pieces.get(chars[i:i + 2], ()):
                best = max(fuzz.partial_ratio(name, chars) for name in self._names[sku])
                scores[sku] = max(scores.get(sku, 0.0), best)
        if not scores:
            return FuzzyMatch(None)
        ranked = sorted(scores, key=lambda sku: -scores[sku])
        top = scores[ranked[0]]
        if len(ranked) == 1 or top - scores[ranked[1]] >= 25:
            return FuzzyMatch(ranked[0], (ranked[0],))
        return FuzzyMatch(None, tuple(ranked[:3]))
