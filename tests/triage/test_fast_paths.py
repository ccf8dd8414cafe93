"""The shortcuts of triage's per-comment path give the answers of the long way.

* English intent rules and the Latin spam patterns are skipped for text without a Latin letter: every
  alternative of those patterns must spell one (checked on the parsed patterns).
* The word-list matcher's ``categories`` (what triage asks of every comment) equals the categories of
  ``find``, and its fast normalisation equals ``normalise``.
* The room engine's cached metric children still count every decision, batches included.
"""

from __future__ import annotations

import re
from pathlib import Path
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

import pytest

from hub.testing import comment, feed, make_event, running_hub, wait_for
from hub.wordlists import TermMatcher, normalise, normalise_text
from plugins.triage import intent, spam
from plugins.triage.service import service_for

_A, _Z = ord("a"), ord("z")


def _letter_class(items: list[tuple[Any, Any]]) -> bool:
    """A character class whose every member is a Latin letter (``[xsml]``, ``[a-z]``)."""
    return all((op is C.LITERAL and _A <= arg <= _Z) or (op is C.RANGE and _A <= arg[0] and arg[1] <= _Z)
               for op, arg in items)


def _spells_latin(items: Any) -> bool:
    """True when every string the parsed sequence ``items`` matches contains a letter a-z."""
    for op, arg in items:
        if op is C.LITERAL and _A <= arg <= _Z:
            return True
        if op is C.IN and _letter_class(arg):
            return True
        if op is C.SUBPATTERN and _spells_latin(arg[-1]):
            return True
        if op is C.BRANCH and all(_spells_latin(branch) for branch in arg[1]):
            return True
        if op in (C.MAX_REPEAT, C.MIN_REPEAT) and arg[0] >= 1 and _spells_latin(arg[2]):
            return True
    return False


def test_the_checker_tells_latin_patterns_from_others() -> None:
    assert _spells_latin(_parser.parse(r"\bfollow me\b|\$\d+ (a|per) day|[xsml]{1,3}"))
    for pattern in (r"\d{7,}", r"(a|b)?\d", r"how|\?", r"[a-z]*\d", r"加(我|v)"):
        assert not _spells_latin(_parser.parse(pattern)), pattern


@pytest.mark.parametrize("name", [i.name for i in intent._EN_RULES])
def test_every_english_intent_rule_needs_a_latin_letter(name: str) -> None:
    assert _spells_latin(_parser.parse(intent._EN[intent.Intent[name]]))


@pytest.mark.parametrize("pattern", [spam._LINK_TEXT, spam._CONTACT_LATIN, spam._AD_LATIN])
def test_the_latin_spam_patterns_need_a_latin_letter(pattern: re.Pattern[str]) -> None:
    assert _spells_latin(_parser.parse(pattern.pattern))


SAMPLES = ["全 网 最 低价", "全-网-最-低", "best - in  the world", "ＢＥＳＴ seller", "bestow", "#1 and #10",
           "第一次来", "第一名", "NO.1 no. 1", "e\u0301te\u0301", "\u1100\u1161 \uac00", "加 薇 ❤ 信 abc12345",
           "傻逼主播", "sb", "", "  ", "?!", "ｉｇｎｏｒｅ", "Straße", "ﬁne", "x\u200by"]


def sample_matcher() -> TermMatcher:
    matcher = TermMatcher()
    for text, category in [("全网最低", "spam"), ("best", "spam"), ("#1", "banned"), ("第一", "banned"),
                           ("!第一次", "!allow"), ("no.1", "banned"), ("傻逼", "abuse"), ("sb", "abuse"),
                           ("加薇信", "spam"), ("best in the world", "banned"), ("strasse", "spam"),
                           ("fine", "abuse"), ("ignore", "spam"), ("\uac00", "abuse"), ("été", "banned")]:
        matcher.add(text.removeprefix("!"), category)
    return matcher


@pytest.mark.parametrize("text", SAMPLES)
def test_categories_are_the_categories_of_find(text: str) -> None:
    matcher = sample_matcher()
    assert matcher.categories(text) == {m.category for m in matcher.find(text)}


def test_categories_sees_what_find_sees() -> None:
    matcher = sample_matcher()
    assert matcher.categories("全 网 最 低价") == {"spam"}
    assert matcher.categories("第一次来") == set()  # inside an exception
    assert matcher.categories("bestow") == set()  # word boundary
    assert matcher.categories("傻逼 and the best") == {"abuse", "spam"}


@pytest.mark.parametrize("text", SAMPLES + ["ｖｘ：１２３", "Ⅻ", "㈱", "ＡＢＣ－ＤＥＦ", "\u0301x"])
def test_the_fast_normalisation_is_normalise(text: str) -> None:
    assert normalise_text(text) == normalise(text)[0]


BUILTINS = ("connectors.catalog_file", "plugins.llm_catalog", "plugins.guardrails", "plugins.triage")
CATALOG = Path(__file__).resolve().parents[1] / "replay" / "catalog.json"


async def test_the_decision_metric_counts_every_decision_with_its_cached_children() -> None:
    config = {"connectors": {"shop": {"type": "catalog_file", "path": str(CATALOG)}},
              "plugins": {"triage": {"chat_enabled": False, "thanks_window_s": {"follow": 0.0}}}}
    async with running_hub(config=config, builtins=BUILTINS) as hub:
        for connector in hub.connectors.values():
            await connector.wait_ready(5)
        service_for(hub).use_speech_estimator(lambda text, locale: 0.01)  # replies end at once
        events = [comment("1号链接多少钱", room="r", user=f"u{n}") for n in range(5)]
        events += [comment("加微信abc12345", room="r"), comment("哈哈", room="r"), comment("", room="r")]
        events += [make_event("follow", room="r", user={"id": f"f{n}", "name": f"F{n}"}) for n in range(4)]
        await feed(hub, *events)
        engine = await wait_for(lambda: service_for(hub).engines.get("r"))
        await wait_for(lambda: sum(engine.log.counts.values()) == len(events), timeout=10)

        def sample(outcome: str) -> float:
            return hub.metrics.get_sample_value("livehub_triage_decisions_total", {"outcome": outcome}) or 0.0

        counts = engine.log.counts
        assert counts["dropped"] >= 1 and counts["ignored"] >= 2 and counts["aggregated"] >= 3
        assert {o: sample(o) for o in counts} == {o: float(n) for o, n in counts.items()}
        assert hub.metrics.get_sample_value("livehub_triage_comments_total") == 8.0
