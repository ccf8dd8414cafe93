"""What a host reply becomes in a platform's chat: mentions, parts that fit, and the platform's word list.

* :func:`split_chat` cuts a text into messages of at most ``max_chars`` characters (the mention prefix
  included) on sentence boundaries, packing whole sentences together; only a single sentence longer than
  a message is shortened, at a comma or space where one is near the end, and ends with "…". Nothing else
  is lost: joining the parts gives the text back (up to the whitespace between parts).
* :func:`mention_prefix` writes "@name " for each asker in the platform's own format.
* :class:`ChatWords` is the platform's banned-word list: ``prompts/<locale>/banned/platform/<platform>.txt``
  plus the generic ``banned/platform/all.txt`` (terms no bot should post on any platform: contact bait,
  deals outside the platform), over every locale found in the prompt folders. A term with a replacement
  ("=>") is rewritten; any other hit means the message is not sent.

Sentences end as :mod:`hub.sentences` ends them (``。！？!?；;…`` and newlines, a ``.`` followed by a
space), with closing quotes and brackets kept on the sentence they close.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from hub.sentences import sentence_spans
from hub.wordlists import Match, TermMatcher, list_locales, load_wordlist, wordlist_file

ELLIPSIS = "…"
GENERIC_LIST = "all"
"""``banned/platform/all.txt``: the list every platform's chat is checked against."""
MAX_MENTIONS = 3
SOFT_BREAKS = "，,、：:；; "

def shorten(text: str, max_chars: int) -> str:
    """``text`` cut to at most ``max_chars`` characters ending with "…" (unchanged when it fits).

    The cut goes after the last soft break (comma, colon, space) in the second half of what fits, else
    at the limit."""
    text = text.strip()
    if len(text) <= max_chars:
        return text
    if max_chars <= len(ELLIPSIS):
        return ELLIPSIS[:max_chars]
    room = max_chars - len(ELLIPSIS)
    window = text[:room]
    cut = max(window.rfind(mark) for mark in SOFT_BREAKS)
    if cut >= room // 2:
        window = window[:cut]
    return window.rstrip(SOFT_BREAKS) + ELLIPSIS


def split_chat(text: str, max_chars: int, prefix: str = "") -> list[str]:
    """``text`` as chat messages of at most ``max_chars`` characters, each starting with ``prefix``.

    Whole sentences are packed greedily; a sentence longer than a message on its own is cut after its
    clause marks (，、；：,;:) and its clauses packed the same way, so a price late in a long sentence is
    kept; only a clause longer than a message is shortened with :func:`shorten`. A prefix that would
    leave less than half a message is dropped."""
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    if len(prefix) > max_chars // 2:
        prefix = ""
    budget = max_chars - len(prefix)
    parts: list[str] = []
    current = ""
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if len((current + sentence).strip()) <= budget:
            current += sentence
            continue
        if current.strip():
            parts.append(current.strip())
        current = ""
        if len(sentence.strip()) <= budget:
            current = sentence
            continue
        for clause in _pack([c for c in _CLAUSE.split(sentence) if c.strip()], budget):
            parts.append(clause if len(clause) <= budget else shorten(clause, budget))
    if current.strip():
        parts.append(current.strip())
    return [prefix + part for part in parts if part]


_CLAUSE = re.compile(r"(?<=[，、；：,;:])")


def _pack(pieces: list[str], budget: int) -> list[str]:
    """``pieces`` joined greedily into chunks of at most ``budget`` characters (a longer piece alone)."""
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len((chunks[-1] + piece).strip()) <= budget:
            chunks[-1] += piece
        else:
            chunks.append(piece)
    return [chunk.strip() for chunk in chunks]


def mention_prefix(names: Sequence[str], mention_format: str, max_mentions: int = MAX_MENTIONS) -> str:
    """The mentions of ``names`` (first ones, once each, empty names skipped) in ``mention_format``."""
    if not mention_format:
        return ""
    chosen = [name for name in dict.fromkeys(n.strip() for n in names) if name][:max_mentions]
    return "".join(mention_format.format(name=name) for name in chosen)


class ChatWords:
    """The banned-word list of one platform's chat (see the module docstring)."""

    def __init__(self, matcher: TermMatcher) -> None:
        self.matcher = matcher

    @classmethod
    def load(cls, dirs: Sequence[Path], platform: str) -> ChatWords:
        """Read ``banned/platform/<platform>.txt`` and ``banned/platform/all.txt`` of every locale in
        ``dirs`` (the first folder holding a file wins, as for every word list)."""
        matcher = TermMatcher()
        for locale in list_locales(dirs):
            for name in dict.fromkeys([platform, GENERIC_LIST]):
                path = wordlist_file(dirs, locale, f"banned/platform/{name}.txt")
                if path is not None:
                    matcher.extend(load_wordlist([path], category=f"platform:{name}", locale=locale))
        return cls(matcher)

    def __len__(self) -> int:
        return len(self.matcher)

    def find(self, text: str) -> list[Match]:
        return self.matcher.find(text)

    def rewrite(self, text: str) -> tuple[str | None, list[Match]]:
        """``(text, hits)``: every hit rewritten with its replacement; ``(None, hits)`` when a hit has none
        (or a replacement brings in another term): such a text must not be posted."""
        hits = self.matcher.find(text)
        if not hits:
            return text, []
        if any(not hit.replacement for hit in hits):
            return None, hits
        out, cursor = [], 0
        for hit in hits:
            out.append(text[cursor:hit.start])
            out.append(hit.replacement or "")
            cursor = hit.end
        out.append(text[cursor:])
        rewritten = "".join(out)
        if self.matcher.find(rewritten):
            return None, hits
        return rewritten, hits
