"""Viewer text is data, never instructions, and never echoed raw.

* A line that looks like an obeyed injection ("系统通知：…", "ignore previous instructions", "as an AI",
  "免费领取" the catalog does not offer) is blocked whole: a model that followed a viewer's orders cannot be
  trusted for the rest of its line either.
* A stretch of a viewer's comment longer than ``max_viewer_quote_chars`` repeated verbatim is cut out
  (with the quotes around it); short quotes ("乌龙茶多少钱") may stay.
* URLs, e-mail addresses, phone numbers and contact ids (WeChat, QQ, WhatsApp, Telegram handles) drop
  their sentence: the host never sends viewers off the platform.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from hub.wordlists import is_cjk

from .sentences import EditPlan

_I = re.IGNORECASE
OBEYED = [
    ("fake system notice", re.compile(r"系统(?:通知|消息|提示|公告)|平台(?:通知|公告)|管理员(?:通知|消息)|"
                                      r"\bsystem (?:notice|message|notification|prompt)\b|\[system\]", _I)),
    ("instruction override", re.compile(
        r"\b(?:ignore|disregard|forget)\s+(?:(?:all|any|the|your|my|of)\s+)*(?:previous|prior|above|earlier|"
        r"preceding|system|instructions?|rules)\b|"
        r"忽略(?:之前|以上|前面|上面|所有)|无视(?:之前|以上|前面|所有)|忘记(?:之前|以上|前面)的?(?:指令|设定|规则)|"
        r"(?:新的|最新)指令|\bnew instructions?\b|\bdeveloper mode\b|\bjailbreak\b|\bDAN mode\b", _I)),
    ("model self-talk", re.compile(
        r"\bas an? (?:AI|language model|large language model|assistant)\b|\bI(?:'m| am) (?:an AI|a language model)\b|"
        r"作为(?:一个)?(?:AI|人工智能|语言模型|大模型|AI助手)|我是(?:一个)?(?:AI|人工智能|语言模型|大模型)|"
        r"(?:系统|system)\s*(?:提示词|prompt)|\bmy (?:instructions|system prompt)\b", _I)),
    ("chat template leak", re.compile(r"<\|[a-z_]+\|>|^\s*(?:assistant|user|system)\s*[:：]|"
                                      r"\n\s*(?:assistant|user|system)\s*[:：]", _I)),
]
FREE_CLAIM = re.compile(r"免费领取|0元领|零元领|\bfree to claim\b|\bclaim (?:your|a) free\b|"
                        r"\bfree for everyone\b|\ball (?:items|products) (?:are )?free\b|全场免费|所有商品免费", _I)
CONTACTS = [  # in this order: an e-mail address is not reported as a URL
    ("e-mail address", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")),
    ("url", re.compile(r"\bhttps?://\S+|\bwww\.[^\s，。]+|\b[a-z0-9][a-z0-9-]{1,62}\."
                       r"(?:com|cn|net|org|io|me|cc|top|xyz|shop|info|co|tv|app|link|ly)\b(?:/[^\s，。]*)?", _I)),
    ("phone number", re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)|"
                                r"(?<![\d.])\+\d{1,3}[- ]?\d{2,4}[- ]?\d{3,4}[- ]?\d{3,4}(?!\d)|(?<![\d.¥$])\d{3,4}-\d{7,8}(?!\d)|"
                                r"(?<![\d.¥$])\(?\d{3}\)?[- .]\d{3}[- .]\d{4}(?![\d.])|(?<![\d.¥$-])\d{3}-\d{4}(?![\d.-])")),
    ("contact id", re.compile(r"(?:微信|薇信|威信|v信|\bvx|\bwx|\bwechat|\bqq|扣扣|\bwhatsapp|\btelegram)\s*"
                              r"(?:号|id)?\s*[:：是为]?\s*@?[a-z0-9_\-]{5,}", _I)),
]
_QUOTES = "“”\"'「」『』《》‘’"


def find_obeyed(text: str, *, free_allowed: bool) -> list[str]:
    """Reasons to block ``text`` as an obeyed injection (empty: none found)."""
    for label, pattern in OBEYED:
        if m := pattern.search(text):
            return [f"obeyed injection ({label}) {m.group(0)!r}: line blocked"]
    if not free_allowed and (m := FREE_CLAIM.search(text)):
        return [f"obeyed injection (free offer the catalog does not make) {m.group(0)!r}: line blocked"]
    return []


def check_injection(text: str, viewer_texts: list[str], *, max_quote: int, free_allowed: bool,
                    known: Sequence[str] = ()) -> tuple[str | None, list[str]]:
    """``(new text, reasons)``; ``(None, reasons)`` blocks the line; ``(text, [])`` passes it."""
    if blocked := find_obeyed(text, free_allowed=free_allowed):
        return None, blocked
    return strip_echoes_and_contacts(text, viewer_texts, max_quote=max_quote, known=known)


def strip_echoes_and_contacts(text: str, viewer_texts: list[str], *, max_quote: int,
                              known: Sequence[str] = ()) -> tuple[str | None, list[str]]:
    """Cut long verbatim quotes of viewers and drop sentences with contacts.

    ``known`` are texts the host may repeat however long (product names and aliases, selling points,
    shop policies): a viewer who names a product is not being echoed when the host names it too, even
    in part ("Ceramic Travel Mug" of "Ceramic Travel Mug 350ml").
    """
    plan = EditPlan(text)
    reasons: list[str] = []
    for start, end, size in _echoes(text, viewer_texts, max_quote, known):
        while start > 0 and text[start - 1] in _QUOTES:
            start -= 1
        while end < len(text) and text[end] in _QUOTES:
            end += 1
        if plan.replace(start, end, ""):
            reasons.append(f"viewer text echoed verbatim ({size} chars > {max_quote}): removed")
    for label, pattern in CONTACTS:
        for m in pattern.finditer(text):
            if not plan.is_dropped(m.start()):
                plan.drop(m.start(), m.end())
                reasons.append(f"{label} {m.group(0)!r}: sentence dropped")
    if not plan.changed:
        return text, []
    return (plan.result() or None), reasons


def _fold(text: str) -> str:
    return text.casefold() if len(text.casefold()) == len(text) else text


def _known_chars(span: str, known: Sequence[str]) -> set[int]:
    """Positions of ``span`` inside runs that also occur in a known text: whole short names ("围巾"), or
    runs of at least 3 CJK characters or 6 characters in all ("Ceramic Travel Mug"). Shorter runs (" the ")
    are common words, not names."""
    covered: set[int] = set()
    for name in known:
        name = _fold(name)
        if not name:
            continue
        if len(name) < 6:
            at = span.find(name)
            while at >= 0:
                covered.update(range(at, at + len(name)))
                at = span.find(name, at + 1)
        masked = span
        while True:
            m = SequenceMatcher(None, masked, name, autojunk=False).find_longest_match(0, len(masked), 0, len(name))
            if m.size < 3:
                break
            run = masked[m.a:m.a + m.size]
            if m.size >= 6 or sum(is_cjk(c) for c in run) >= 3:
                covered.update(range(m.a, m.a + m.size))
            masked = masked[:m.a] + "\0" * m.size + masked[m.a + m.size:]
    return covered


def _echoes(text: str, viewer_texts: list[str], max_quote: int, known: Sequence[str]) -> list[tuple[int, int, int]]:
    """Spans of ``text`` repeating more than ``max_quote`` characters of a viewer's text verbatim, not
    counting the known names inside them."""
    spans: list[tuple[int, int, int]] = []
    folded = _fold(text)
    for viewer in viewer_texts:
        source = _fold(viewer)
        if len(source.strip()) <= max_quote:
            continue
        taken: list[tuple[int, int]] = []
        while True:
            masked = "".join("\0" if any(a <= i < b for a, b in taken) else c for i, c in enumerate(folded))
            m = SequenceMatcher(None, masked, source, autojunk=False).find_longest_match(
                0, len(masked), 0, len(source))
            if m.size <= max_quote:
                break
            taken.append((m.a, m.a + m.size))
            span = masked[m.a:m.a + m.size]
            covered = _known_chars(span, known)
            own = sum(1 for i, c in enumerate(span) if i not in covered and not c.isspace())
            if own > max_quote:
                spans.append((m.a, m.a + m.size, own))
    return sorted(spans)
