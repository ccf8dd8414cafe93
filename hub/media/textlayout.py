"""Line breaking for mixed Chinese and Latin text, and making untrusted text safe to display.

Chinese has no spaces: a line may break between any two Han characters, but not before closing
punctuation (，。！？) nor after opening punctuation (（“), the usual kinsoku rules. Latin words stay whole
unless a single word is wider than the line. Viewer comments are display-only: control, bidi-override and
zero-width characters are removed and the text is cut to a bounded length before anything measures it.
"""

from __future__ import annotations

import re
import unicodedata

from hub.media.fonts import FontT

NO_LINE_START = set("，。！？、；：,.!?;:)]}）】」』》〉”’%‰…—～·")
NO_LINE_END = set("([{（【「『《〈“‘")
ELLIPSIS = "…"
_WORD = re.compile(r"[A-Za-z0-9\u00c0-\u024f'’\-_.@#$¥€£%+/]+\s*|\s+|.", re.S)
_UNSAFE = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_display_text(text: str, *, limit: int = 200) -> str:
    """``text`` fit for the screen: one line, no control/format characters, at most ``limit`` characters."""
    text = unicodedata.normalize("NFC", str(text))
    out = []
    for ch in text:
        if ch in "\r\n\t":
            out.append(" ")
        elif unicodedata.category(ch) not in _UNSAFE:
            out.append(ch)
    cleaned = re.sub(r"\s+", " ", "".join(out)).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + ELLIPSIS


def _units(text: str) -> list[str]:
    """Unbreakable pieces: a Latin word with its trailing spaces, a run of spaces, or one character;
    closing punctuation is glued to the piece before it and opening punctuation to the piece after it."""
    raw = _WORD.findall(text)
    units: list[str] = []
    carry = ""
    for piece in raw:
        if units and piece and piece[0] in NO_LINE_START and not carry:
            units[-1] += piece
            continue
        if piece in NO_LINE_END:
            carry += piece
            continue
        units.append(carry + piece)
        carry = ""
    if carry:
        units.append(carry)
    return units


def _split_long(unit: str, font: FontT, max_width: float) -> list[str]:
    """Break one piece wider than the line character by character."""
    parts, current = [], ""
    for ch in unit:
        if current and font.getlength(current + ch) > max_width:
            parts.append(current)
            current = ch
        else:
            current += ch
    if current:
        parts.append(current)
    return parts


def wrap_text(text: str, font: FontT, max_width: float) -> list[str]:
    """Greedy line breaking of ``text`` to ``max_width`` pixels in ``font`` (CJK-aware, kinsoku)."""
    lines: list[str] = []
    current = ""
    for unit in _units(text):
        candidate = current + unit
        if font.getlength(candidate.rstrip()) <= max_width:
            current = candidate
            continue
        if current.strip():
            lines.append(current.rstrip())
        current = unit.lstrip()
        if font.getlength(current.rstrip()) > max_width:
            pieces = _split_long(current, font, max_width)
            lines.extend(p.rstrip() for p in pieces[:-1])
            current = pieces[-1] if pieces else ""
    if current.strip():
        lines.append(current.rstrip())
    return lines


def ellipsize(text: str, font: FontT, max_width: float) -> str:
    """``text`` cut with an ellipsis so it fits in ``max_width`` pixels."""
    if font.getlength(text) <= max_width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if font.getlength(text[:mid].rstrip() + ELLIPSIS) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + ELLIPSIS


def fit_lines(text: str, font: FontT, max_width: float, max_lines: int) -> list[str]:
    """At most ``max_lines`` wrapped lines; the last one ends with an ellipsis if text was cut."""
    lines = wrap_text(text, font, max_width)
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    last = kept[-1]
    while last and font.getlength(last.rstrip() + ELLIPSIS) > max_width:
        last = last[:-1]
    kept[-1] = last.rstrip() + ELLIPSIS
    return kept


def page_of(lines: list[str], per_page: int, progress: float | None) -> list[str]:
    """The ``per_page`` lines that hold the character at ``progress`` (0..1) of the text: long captions
    scroll page by page as the sentence is spoken instead of being cut."""
    if len(lines) <= per_page or progress is None:
        return lines[:per_page]
    total = sum(len(line) for line in lines)
    target = min(max(progress, 0.0), 1.0) * total
    seen = 0
    for index, line in enumerate(lines):
        seen += len(line)
        if seen >= target:
            start = (index // per_page) * per_page
            return lines[start:start + per_page]
    return lines[-per_page:]
