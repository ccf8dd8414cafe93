"""The host never recites its instructions.

A small model often answers by reading its prompt back ("你是「晨光好物」直播间的主播助理，用口语、简短地
回答…", "Rules: 1. Use only the facts…"). That is no injection a viewer planted, so the injection guard
does not see it, and it states no figure, so the fact guard lets it through. This guard drops every
sentence that

* uses an instruction phrase: the model addressed as what it is ("你是…主播助理", "你是「…", "you are
  the host's assistant"), prompt vocabulary ("system prompt", "提示词", "untrusted data", "问题类型："), a rule header;
* or overlaps the instructions: the share of its 4-token n-grams (a token is one CJK character or one
  Latin word) found in the rendered instructions is at least ``threshold``, or it repeats a run of 9
  tokens of them verbatim.

The instructions are ``llm/system.j2`` and ``llm/user.j2`` of the hub's prompt library (a merchant's
override included), rendered with neutral variables (no shop name, products, history or question) once
per hub and locale and kept in the hub's slots (:mod:`.state`). Catalog texts (product names, aliases,
selling points, shop policies) and the phrases the prompt quotes for the host to say ("以商品详情页为准",
"please check the product page") are masked first: saying them is answering, not leaking. A line with
nothing left is blocked.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .sentences import EditPlan
from .state import state_of

log = logging.getLogger("livehub.guardrails")

N = 4  # tokens per n-gram
RUN = 9  # this many tokens of the instructions in a row is a recital whatever else the sentence says
MIN_HITS = 3  # a share counts only from this many matching n-grams (short sentences share by chance)
TEMPLATES = ("llm/system.j2", "llm/user.j2")

_I = re.IGNORECASE
PHRASES = re.compile(
    r"你是\s*「|你是[^，。！？,.!?\n]{0,20}?(?:主播助理|主播助手|直播助理|直播助手|AI助手|智能助手|人工智能)|"
    r"我是[^，。！？,.!?\n]{0,20}?(?:主播助理|主播助手|直播助理|直播助手|AI助手|智能助手)|"
    r"系统提示|提示词|不可信(?:的)?数据|JSON\s*字符串|问题类型\s*[:：]|(?:^|\n)\s*规则\s*[:：]|商品资料\s*[:：]|"
    r"\byou are (?:the |a |an )?(?:host'?s? |live[- ]?shopping |shopping |ai |helpful |sales )*assistant\b|"
    r"\bI(?:'m| am) (?:the |a |an )?(?:host'?s? |live[- ]?shopping |ai )+assistant\b|"
    r"\bsystem prompt\b|\bmy (?:instructions|rules|prompt)\b|\buntrusted data\b|\bJSON string\b|"
    r"\bquestion type\s*:|(?:^|\n)\s*rules\s*:", _I)
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")  # one CJK character, or a run of letters and digits
_QUOTED = re.compile(r"[“\"「『]([^”\"」』\n]{2,60})[”\"」』]")
_MASK = "\u241e"  # stands for masked text: no token, so no n-gram spans it


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def tokens(text: str) -> list[list[str]]:
    """Token runs of ``text`` (folded), split where text was masked."""
    return [_TOKEN.findall(part) for part in fold(text).split(_MASK)]


def ngrams(runs: list[list[str]]) -> list[tuple[str, ...]]:
    return [tuple(run[i:i + N]) for run in runs for i in range(len(run) - N + 1)]


@dataclass(frozen=True, slots=True)
class Instructions:
    """The rendered instructions of one locale, as n-grams, and the phrases they tell the host to say."""

    grams: frozenset[tuple[str, ...]]
    allowed: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str) -> Instructions:
        quoted = {fold(m.group(1)).strip() for m in _QUOTED.finditer(text)}
        allowed = tuple(sorted((q for q in quoted if len(_TOKEN.findall(q)) > N), key=len, reverse=True))
        return cls(frozenset(ngrams(tokens(text))), allowed)


def instructions_for(hub: Any, locale: str, room: str | None = None) -> Instructions:
    """The instructions of ``locale`` on ``hub`` for ``room`` (its tenant's prompts, if it has its own;
    ``hub`` None: the built-in prompts), rendered once and kept in the hub's :class:`~.state.GuardrailsState`."""
    from hub.tenants import prompt_scope

    per_hub = state_of(hub).instructions
    key = (prompt_scope(hub.config if hub is not None else None, room), locale)
    found = per_hub.get(key)
    if found is None:
        found = per_hub[key] = Instructions.from_text(render_instructions(hub, locale, room))
    return found


def render_instructions(hub: Any, locale: str, room: str | None = None) -> str:
    """``llm/system.j2`` and ``llm/user.j2`` rendered with neutral variables ('' where one fails)."""
    from hub.answers import AnswerRequest
    from hub.prompts import BUILTIN_DIR, PromptLibrary, prompt_library

    library = prompt_library(hub, room) if hub is not None else PromptLibrary([BUILTIN_DIR])
    variables = AnswerRequest(question="", intent="other", locale=locale).template_vars()
    parts = []
    for name in TEMPLATES:
        try:
            parts.append(library.render(name, locale, **variables))
        except Exception as exc:  # a merchant template that needs more: the phrase list still guards
            log.warning("prompt-leak guard: cannot render %s for %s: %s", name, locale, exc)
    return "\n".join(parts)


def _masked(sentence: str, hide: Sequence[str]) -> str:
    out = fold(sentence)
    for text in hide:
        if text:
            out = out.replace(text, _MASK)
    return out


def leak_in(sentence: str, instructions: Instructions, known: Sequence[str], threshold: float) -> str | None:
    """Why ``sentence`` leaks the instructions, or None."""
    if m := PHRASES.search(sentence):
        return f"instruction phrase {m.group(0).strip()!r}"
    hide = sorted({fold(k).strip() for k in known if k and k.strip()} | set(instructions.allowed),
                  key=len, reverse=True)
    grams = ngrams(tokens(_masked(sentence, hide)))
    hits = [g in instructions.grams for g in grams]
    run = longest = 0
    for hit in hits:
        run = run + 1 if hit else 0
        longest = max(longest, run)
    share = sum(hits) / len(hits) if hits else 0.0
    if longest + N - 1 >= RUN or (sum(hits) >= MIN_HITS and share >= threshold):
        return f"{share:.0%} of it is the instructions"
    return None


def drop_leaks(text: str, instructions: Sequence[Instructions], *, known: Sequence[str] = (),
               threshold: float = 0.5) -> tuple[str | None, list[str]]:
    """``text`` without its leaking sentences: ``(text, [])`` when none leaks, ``(None, reasons)`` when
    nothing is left."""
    plan = EditPlan(text)
    reasons: list[str] = []
    for start, end in plan.spans:
        sentence = text[start:end]
        for reference in instructions:
            why = leak_in(sentence, reference, known, threshold)
            if why:
                plan.drop(start, end)
                reasons.append(f"prompt leak ({why}) {sentence.strip()[:24]!r}: sentence dropped")
                break
    if not plan.changed:
        return text, []
    return (plan.result() or None), reasons
