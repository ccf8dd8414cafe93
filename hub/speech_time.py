"""How long a line takes to say aloud, estimated from its text (no voice needed).

:func:`estimate_speech_seconds` paces the answering voice before anything is synthesised, and is the
yardstick the room bridge calibrates against what the configured voice really takes: Chinese at
``zh_chars_per_s`` characters a second (4.5 is a brisk live-commerce pace), English at ``en_words_per_s``
words a second (2.6), digits read out (a "168" is about three syllables), plus a short pause per sentence.
"""

from __future__ import annotations

import re

__all__ = ["estimate_speech_seconds", "cjk_count"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_SENTENCE_END = re.compile(r"[。！？!?；;.…]+(?=\s|$)|[。！？；…]+")


def cjk_count(text: str) -> int:
    """How many Chinese characters ``text`` has."""
    return len(_CJK.findall(text))


def estimate_speech_seconds(text: str, locale: str = "zh-CN", *, zh_chars_per_s: float = 4.5,
                            en_words_per_s: float = 2.6, pause_s: float = 0.25) -> float:
    """Seconds it takes to say ``text`` aloud (see the module docstring). Never below 0.5 s for a
    non-empty line: even "好的" takes a breath."""
    if not text.strip():
        return 0.0
    han = cjk_count(text)
    words = len(_WORD.findall(text))
    numbers = _NUMBER.findall(text)
    digits = sum(len(n.replace(".", "").replace(",", "")) for n in numbers)
    pauses = max(1, len(_SENTENCE_END.findall(text))) * pause_s
    if locale.lower().startswith("zh") or han > words:
        syllables = han + digits * 1.0 + words * 1.5
        seconds = syllables / zh_chars_per_s
    else:
        seconds = (words + len(numbers) * 1.5 + han / 2) / en_words_per_s
    return max(0.5, round(seconds + pauses, 3))
