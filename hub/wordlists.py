"""Word lists (banned claims, abuse, spam) and a matcher that finds their terms in text.

A :class:`TermMatcher` is an Aho-Corasick automaton (``pyahocorasick``) over *normalised* terms, run over
*normalised* text, with every hit mapped back to offsets in the original text. Normalisation
(:mod:`hub.textnorm`) is what makes simple lists hard to dodge:

* NFKC and case folding: "ＢＥＳＴ" and "Best" are "best"; "￥" is "¥";
* separators (spaces, punctuation, emoji, zero-width characters) between two CJK characters, or between
  CJK and Latin, are ignored, so "全 网 最 低" and "全-网-最-低" are "全网最低"; between two Latin words any
  run of them is one space ("best - in  the world" is "best in the world");
* English terms respect word boundaries at their Latin/digit edges: "best" never hits "bestow", "#1"
  never hits "#10". CJK edges need none (Chinese has no spaces between words).

Word list files (``.txt``, UTF-8) hold one term per line::

    # a comment; blank lines are ignored
    全网最低价 => 很实惠的价格     # "=>" gives a neutral replacement; without one the sentence is dropped
    第一
    !第一次                        # "!" marks an exception: hits inside "第一次" are not reported
    \\#1                           # "\\#" and "\\!" are a literal "#" and "!"

Lists live in prompt folders as ``<locale>/banned/*.txt`` (category: the file's stem),
``<locale>/banned/platform/<platform>.txt`` (category ``platform:<platform>``), ``<locale>/abuse.txt`` and
``<locale>/spam.txt``. :func:`wordlist_files` resolves them: the first folder holding a file of a given name
wins, so a merchant's own folder overrides a shipped list and can add new ones.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ahocorasick

from hub.textnorm import is_cjk, normalise, normalise_term, normalise_text

__all__ = ["ALLOW", "Term", "Match", "TermMatcher", "is_cjk", "normalise", "normalise_text", "normalise_term",
           "parse_line", "parse_terms", "load_wordlist", "builtin_prompt_dir", "wordlist_files", "wordlist_file",
           "list_locales", "prompt_dirs", "build_matcher"]

ALLOW = "!allow"  # the category of exception entries ("!term")


@dataclass(frozen=True, slots=True)
class Term:
    """One word list entry. ``replacement`` None: no neutral wording, drop the sentence instead."""

    text: str
    category: str
    replacement: str | None = None
    locale: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    """A term found in a text: ``text[start:end]`` is what was written (spaces and all)."""

    term: str
    start: int
    end: int
    category: str
    replacement: str | None = None
    locale: str = ""


# -- matching ------------------------------------------------------------------------------------


def _word_edge(char: str) -> str:
    """'a' for a letter-like edge, '0' for a digit edge, '' for an edge that needs no boundary."""
    if not char or is_cjk(char):
        return ""
    if char.isdigit():
        return "0"
    return "a" if char.isalpha() else ""


def _same_class(char: str, edge: str) -> bool:
    return bool(char) and not is_cjk(char) and (char.isdigit() if edge == "0" else char.isalpha())


# -- matcher ----------------------------------------------------------------------------------------


class TermMatcher:
    """Finds word list terms in text; see the module docstring for what counts as a hit."""

    def __init__(self, terms: Iterable[Term] = ()) -> None:
        self._entries: dict[str, list[Term]] = {}
        self._automaton: Any = None
        self.extend(terms)

    def add(self, text: str, category: str, replacement: str | None = None, locale: str = "") -> None:
        self.extend([Term(text, category, replacement, locale)])

    def extend(self, terms: Iterable[Term]) -> None:
        for term in terms:
            key = normalise_term(term.text)
            if not key:
                continue
            bucket = self._entries.setdefault(key, [])
            if all((t.category, t.text) != (term.category, term.text) for t in bucket):
                bucket.append(term)
                self._automaton = None

    def __len__(self) -> int:
        return sum(1 for terms in self._entries.values() for t in terms if t.category != ALLOW)

    def terms(self) -> list[Term]:
        """Every entry (exceptions included), in insertion order of their normalised forms."""
        return [t for terms in self._entries.values() for t in terms]

    def _build(self) -> Any:
        if self._automaton is None:
            automaton = ahocorasick.Automaton()
            for key, terms in self._entries.items():
                automaton.add_word(key, (key, tuple(terms)))
            if len(automaton):
                automaton.make_automaton()
            self._automaton = automaton
        return self._automaton

    def find(self, text: str, *, overlapping: bool = False) -> list[Match]:
        """Hits in ``text`` ordered by start; leftmost-longest without overlaps unless ``overlapping``.

        A hit lying wholly inside an exception ("!第一次") is not reported. A term listed in several
        categories gives one :class:`Match` per category.
        """
        automaton = self._build()
        if not text or not len(automaton):
            return []
        norm, starts, ends = normalise(text)
        out: list[Match] = []
        for first, last, terms in self._hits(automaton, norm, overlapping):
            seen: set[str] = set()
            for t in terms:  # one match per category ("NO.1" and "no. 1" are the same hit)
                if t.category not in seen:
                    seen.add(t.category)
                    out.append(Match(t.text, starts[first], ends[last], t.category, t.replacement, t.locale))
        return out

    def categories(self, text: str) -> set[str]:
        """The categories of :meth:`find`'s matches, without offsets (triage asks it of every comment)."""
        automaton = self._build()
        if not text or not len(automaton):
            return set()
        return {t.category for _, _, terms in self._hits(automaton, normalise_text(text), False) for t in terms}

    def _hits(self, automaton: Any, norm: str, overlapping: bool) -> list[tuple[int, int, tuple[Term, ...]]]:
        hits: list[tuple[int, int, tuple[Term, ...]]] = []  # (first, last, terms) in the normalised text
        allowed: list[tuple[int, int]] = []
        for last, (key, terms) in automaton.iter(norm):
            first = last - len(key) + 1
            if not self._bounded(norm, first, last, key):
                continue
            if any(t.category == ALLOW for t in terms):
                allowed.append((first, last))
            banned = tuple(t for t in terms if t.category != ALLOW)
            if banned:
                hits.append((first, last, banned))
        if allowed:
            hits = [h for h in hits if not any(a <= h[0] and h[1] <= b for a, b in allowed)]
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        if not overlapping:
            kept, reach = [], -1
            for hit in hits:
                if hit[0] > reach:
                    kept.append(hit)
                    reach = hit[1]
            hits = kept
        return hits

    @staticmethod
    def _bounded(norm: str, first: int, last: int, key: str) -> bool:
        head, tail = _word_edge(key[0]), _word_edge(key[-1])
        if head and first > 0 and _same_class(norm[first - 1], head):
            return False
        return not (tail and last + 1 < len(norm) and _same_class(norm[last + 1], tail))

    def contains(self, text: str) -> bool:
        return bool(self.find(text))


# -- files ------------------------------------------------------------------------------------------


def parse_line(line: str) -> tuple[str, str | None, bool] | None:
    """``(term, replacement, is_exception)`` from one list line, or None for blanks and comments."""
    body, i = [], 0
    while i < len(line):
        char = line[i]
        if char == "\\" and i + 1 < len(line) and line[i + 1] in "#!\\":
            body.append("\0" + line[i + 1])  # escaped: never a comment or an exception marker
            i += 2
            continue
        if char == "#":
            break
        body.append(char)
        i += 1
    text = "".join(body).strip()
    if not text:
        return None
    exception = text.startswith("!")
    text = text.removeprefix("!")
    term, _, replacement = text.partition("=>")
    term, replacement = term.replace("\0", "").strip(), replacement.replace("\0", "").strip()
    if not term:
        return None
    return term, (replacement or None), exception


def load_wordlist(paths: Iterable[Path | str], category: str | None = None, locale: str = "") -> list[Term]:
    """Read list files; each term's category is ``category`` or its file's stem."""
    terms: list[Term] = []
    for path in paths:
        path = Path(path)
        cat = category or path.stem
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            parsed = parse_line(line)
            if parsed is not None:
                term, replacement, exception = parsed
                terms.append(Term(term, ALLOW if exception else cat, replacement, locale))
    return terms


def parse_terms(lines: Iterable[str], category: str, locale: str = "") -> list[Term]:
    """Terms given inline (config ``extra_banned``), in the list file syntax."""
    out = []
    for line in lines:
        parsed = parse_line(line)
        if parsed is not None:
            out.append(Term(parsed[0], ALLOW if parsed[2] else category, parsed[1], locale))
    return out


def builtin_prompt_dir() -> Path:
    """The shipped ``prompts/`` folder."""
    return Path(str(importlib.resources.files("prompts")))


def wordlist_files(dirs: Sequence[Path], locale: str, subdir: str = "banned") -> list[Path]:
    """``<dir>/<locale>/<subdir>/*.txt`` over ``dirs`` (earliest first); the first file of a name wins."""
    chosen: dict[str, Path] = {}
    for folder in dirs:
        base = Path(folder) / locale / subdir
        if base.is_dir():
            for path in sorted(base.glob("*.txt")):
                chosen.setdefault(path.name, path)
    return [chosen[name] for name in sorted(chosen)]


def wordlist_file(dirs: Sequence[Path], locale: str, name: str) -> Path | None:
    """The first ``<dir>/<locale>/<name>`` over ``dirs``, or None."""
    for folder in dirs:
        path = Path(folder) / locale / name
        if path.is_file():
            return path
    return None


def list_locales(dirs: Sequence[Path]) -> list[str]:
    """Every locale folder found in ``dirs`` (sorted)."""
    found = {p.name for folder in dirs if Path(folder).is_dir() for p in Path(folder).iterdir()
             if p.is_dir() and not p.name.startswith(("_", "."))}
    return sorted(found)


def prompt_dirs(hub: Any = None, room: str | None = None) -> list[Path]:
    """Folders to look in: ``room``'s tenant's ``prompts_dir``, the user's ``[hub] prompts_dir``, then plugins',
    then the built-in one.

    The same search path as templates (:func:`hub.prompts.search_path_for`); without a hub, only the
    built-in folder.
    """
    if hub is None:
        return [builtin_prompt_dir()]
    from hub.prompts import search_path_for

    return search_path_for(hub, room)


def build_matcher(dirs: Sequence[Path], *, locales: Iterable[str] | None = None, banned: bool = True,
                  abuse: bool = False, spam: bool = False, platform: str | None = None,
                  extra: Iterable[Term] = ()) -> TermMatcher:
    """One matcher over the chosen lists of every locale in ``locales`` (default: all found).

    ``banned`` adds ``<locale>/banned/*.txt``; ``platform`` adds ``banned/platform/<platform>.txt``
    (category ``platform:<platform>``); ``abuse`` and ``spam`` add those lists. Triage uses
    ``banned=False, abuse=True, spam=True``; output review uses everything.
    """
    matcher = TermMatcher()
    for locale in list(locales) if locales is not None else list_locales(dirs):
        if banned:
            matcher.extend(load_wordlist(wordlist_files(dirs, locale), locale=locale))
        if banned and platform:
            path = wordlist_file(dirs, locale, f"banned/platform/{platform}.txt")
            if path is not None:
                matcher.extend(load_wordlist([path], category=f"platform:{platform}", locale=locale))
        for wanted, name in ((abuse, "abuse"), (spam, "spam")):
            path = wordlist_file(dirs, locale, f"{name}.txt") if wanted else None
            if path is not None:
                matcher.extend(load_wordlist([path], category=name, locale=locale))
    matcher.extend(extra)
    return matcher
