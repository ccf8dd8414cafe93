"""Banned terms in what the host says: replaced by a neutral wording, or their sentence dropped.

A term with a replacement in its list ("全网最低价 => 很实惠的价格") is rewritten in place, since the sentence
still reads well; any other hit (medical claims, abuse, contact bait, ranking claims) drops the sentence
it is in. A line with nothing left is blocked. The rewritten line is matched again, so a replacement can
never smuggle in another banned term.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.wordlists import Term, TermMatcher, build_matcher, load_wordlist, parse_terms, prompt_dirs

from .sentences import EditPlan
from .settings import GuardrailsSettings

MERCHANT = "merchant"


def output_matcher(hub: Any, settings: GuardrailsSettings, platform: str = "", room: str | None = None,
                   on_error: Callable[[Exception], None] | None = None) -> TermMatcher:
    """Every list the host's output is checked against: banned (all locales), abuse, spam, the
    platform's own list when enabled, and the merchant's extra terms and files (relative paths are
    relative to ``livehub.toml``). An unreadable merchant file goes to ``on_error`` (default: raise)."""
    extra: list[Term] = parse_terms(settings.extra_banned, MERCHANT)
    base = hub.config.path.parent if hub is not None and hub.config.path else Path.cwd()
    for path in settings.extra_banned_files:
        path = path if path.is_absolute() else base / path
        try:
            extra.extend(load_wordlist([path]))
        except (OSError, UnicodeDecodeError) as exc:
            if on_error is None:
                raise
            on_error(ValueError(f"word list {path}: {exc}"))
    return build_matcher(prompt_dirs(hub, room), banned=True, abuse=True, spam=True,
                         platform=platform if settings.platform_lists and platform else None, extra=extra)


def rewrite_banned(text: str, matcher: TermMatcher) -> tuple[str | None, list[str]]:
    """``(text, [])`` when clean; ``(new text, reasons)`` after rewriting; ``(None, reasons)`` to block."""
    matches = matcher.find(text)
    if not matches:
        return text, []
    plan = EditPlan(text)
    reasons: list[str] = []
    for match in matches:
        said = text[match.start:match.end]
        one_sentence = plan.sentence_of(match.start) == plan.sentence_of(max(match.start, match.end - 1))
        written = f" (written {said!r})" if said != match.term else ""
        new = _same_case(said, match.replacement or "")
        if match.replacement and one_sentence and plan.replace(match.start, match.end, new):
            reasons.append(f"banned term {match.term!r} ({match.category}) replaced with {new!r}{written}")
            continue
        reasons.append(f"banned term {match.term!r} ({match.category}): sentence dropped{written}")
        plan.drop(match.start, match.end)
    result = plan.result()
    for match in matcher.find(result) if result else []:  # never happens with sane lists; fail safe
        reasons.append(f"banned term {match.term!r} ({match.category}) left after rewriting: line blocked")
        return None, reasons
    if not result:
        reasons.append("nothing left after removing banned terms: line blocked")
        return None, reasons
    return result, reasons


def _same_case(said: str, replacement: str) -> str:
    """"The best" → "A great": keep a capital the speaker used."""
    if said[:1].isupper() and replacement[:1].islower():
        return replacement[0].upper() + replacement[1:]
    return replacement
