"""What a question asks, without how it was written: the answer cache's key for detail questions.

Two viewers asking about the same product rarely type the same characters: "1号链接什么材质？", "这个什么
材质呀", "请问什么材质呢 🙏" and "保温杯什么材质" (with the mug on stage) ask one thing. The answer cache
keys on the product already, so :func:`question_wording` drops what only names that product or decorates
the question, and keeps every other word:

* width, case, spaces, punctuation and emoji (NFKC, case-folded, letters and digits only);
* references to *this* product: its cart link ("1号链接", "一号", "链接1", "#1", "link 1"), its name
  and aliases (two characters or more), and pointing words ("这个", "这款", "它", "this one", "it");
  another product's link or name stays, so "1号和2号哪个大" and "1号和3号哪个大" differ;
* a polite opening ("请问", "问一下", "please"; not "主播" or "宝宝", which may be what is asked about)
  and sentence-final particles ("呢", "吗", "呀", "啊", "嘛", "哦", "啦", "吧").

What remains is compared as it is: "多大" and "多重" stay different questions, as do "适合送人吗" and "适合
小孩吗". When nothing remains ("这个呢？"), the whole normalised text is the key.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_CN_DIGITS = "零一二三四五六七八九"
_DEICTIC = re.compile(r"这一款|这个|这款|这件|这套|这瓶|这盒|它|\b(?:this one|that one|this|it)\b")
# Only openings that never carry meaning: "主播穿什么码" asks about the host, "宝宝多大能用" about a baby.
_OPENING = re.compile(r"^(?:请问一下|请问|想问一下|想问下|问一下|问下|家人们)+")
_POLITE_EN = re.compile(r"\b(?:please|pls|plz)\b")
_PARTICLES = re.compile(r"[呢吗呀啊嘛哦啦吧]+$")


def compact(text: str) -> str:
    """NFKC, case-folded, letters and digits only ("１号链接 多少钱？？" → "1号链接多少钱")."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def chinese_numeral(n: int) -> str:
    """1 → "一", 12 → "十二", 20 → "二十" (1–99)."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return (_CN_DIGITS[tens] if tens > 1 else "") + "十" + (_CN_DIGITS[ones] if ones else "")


def _link_pattern(link: int) -> re.Pattern[str]:
    numbers = f"{link}|{chinese_numeral(link)}" if 0 < link < 100 else str(link)
    return re.compile(rf"(?<![\d一二三四五六七八九十])(?:{numbers})\s*号\s*(?:链接|链)?(?![\d])"
                      rf"|链接\s*(?:{numbers})(?![\d十])|#\s*{link}(?!\d)|\blink\s*#?\s*{link}(?!\d)")


def question_wording(question: str, product: Any = None) -> str:
    """The cache key wording of ``question`` about ``product`` (a :class:`hub.catalog.Product` or None)."""
    text = unicodedata.normalize("NFKC", question).casefold()
    if product is not None:
        text = _link_pattern(product.link).sub(" ", text)
    text = compact(_POLITE_EN.sub(" ", _DEICTIC.sub(" ", text)))
    if product is not None:
        for name in sorted({compact(n) for n in [product.name, *product.aliases]}, key=len, reverse=True):
            if len(name) >= 2:
                text = text.replace(name, "")
    wording = _PARTICLES.sub("", _OPENING.sub("", text))
    return wording or compact(question)
