"""Spam, abuse and prompt injection in viewer comments and display names: dropped, with a reason.

Structural patterns (links, phone numbers, contact ids, "ignore previous instructions") are regular
expressions here; vocabulary (ad phrases, insults) comes from the word lists ``<locale>/spam.txt`` and
``<locale>/abuse.txt`` through :class:`hub.wordlists.TermMatcher`, so merchants extend it without code.

Everything is matched on the normalised forms of :mod:`plugins.triage.normalize`: the ``compact`` form
(no spaces, punctuation or emoji) defeats "加 薇 ❤ 信 : 1 2 3" style evasion. A dropped comment is never
answered, quoted or echoed; its reason is recorded (``injection``, ``spam:link``, ``spam:contact``,
``spam:ad``, ``abuse``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from plugins.triage.normalize import NormalizedText, normalize

log = logging.getLogger("livehub.triage.spam")

_INJECTION_TEXT = re.compile(
    r"(忽略|无视|忘记|忘掉|不要管|别管)(你|之前|以上|上面|前面|先前|所有|全部|的|了)*.{0,6}"
    r"(指令|指示|设定|规则|提示词|提示|要求|命令|限制)"
    r"|(系统|后台|官方|平台|管理员)(通知|消息|提示|指令|公告|说明)\s*[:：]"
    r"|(你现在是|从现在(开始|起)你|现在你是|你的新(身份|任务)|角色扮演|扮演一个)"
    r"|(说|宣布|告诉大家|播报|念)\s*[:：\"“]?.{0,12}(免费|0元|零元|1元|一元|一块钱|白送|不要钱)"
    r"|ignore (all |any |every )?(of )?(the |your |my )?(previous|prior|above|earlier|preceding|system)"
    r" (instructions?|prompts?|rules|messages?)"
    r"|disregard (all |any )?(the |your )?(previous|prior|above|earlier|system)?\s*(instructions?|rules|prompts?)"
    r"|(system|admin|official) (message|notice|prompt|announcement)\s*:|^\s*system\s*:"
    r"|you are now|from now on,? you|developer mode|jailbreak|new instructions|pretend (to be|you are)"
    r"|(say|announce|tell everyone|tell the viewers)\b.{0,30}\b(free|\$0|\$1|1 yuan|one yuan|costs nothing)")

_LINK_TEXT = re.compile(
    r"https?:|www\.|\b[a-z0-9][a-z0-9-]{1,}\.(com|cn|net|org|top|xyz|vip|cc|io|me|shop|store|link|club|site"
    r"|online|info|tk|ly|gg|co)\b|\bt\.cn\b|\b(bit\.ly|tinyurl)\b")
_LINK_COMPACT = re.compile(r"https?|www[a-z0-9]{2,}|(点|dot)(com|cn|net|top|xyz|vip)")

_CONTACT_CJK = re.compile(r"(微信|威信|薇信|徽信|维信|v信|wei信|扣扣|企鹅|电报)(号|是|id|号码)?[a-z0-9_]{5,}")
_CONTACT_LATIN = re.compile(
    r"\b(vx|wx|weixin|wechat|qq|telegram|whatsapp|tg|line|kakao)\b\s*(id|号)?\s*([:：]\s*[a-z0-9_]{5,}|(?=[a-z_]*\d)[a-z0-9_]{5,})"
    r"|\b(dm|message|add|text|call) me\b")
# The compact form loses word boundaries, so Latin contact words count there only at the start or right
# after a Chinese character ("v x 12345", "加我vx12345"): never inside an English word ("outgoing").
_CONTACT_COMPACT = re.compile(
    r"(?:^|(?<=[\u4e00-\u9fff]))(vx|wx|qq|weixin|wechat)[a-z0-9_]{5,}"
    r"|加(我|v|微|薇|威|维|扣|q|好友)|(私聊|私信我|私我|联系我|找我要|看我简介)"
    r"|(?<!\d)1[3-9]\d{9}(?!\d)")
_LONG_NUMBER = re.compile(r"\d{7,}")

_AD_CJK = re.compile(
    r"兼职|刷单|日赚|日入|月入|招代理|代理加盟|躺赚|在家赚钱|免费领取|扫码|拉群|看我主页|点我头像|主页有|"
    r"低价出|贷款|网贷|博彩|彩票|引流|涨粉|互粉|互关|接单")
_AD_LATIN = re.compile(
    r"make money|earn \$|\$\d+ (a|per) day|\bfollow me\b|check (out )?my (profile|page|bio|channel)|"
    r"\bcrypto|bitcoin|forex|onlyfans|free followers|visit my|click (the |my )?link|sub4sub")

# Every alternative of _LINK_TEXT, _CONTACT_LATIN and _AD_LATIN spells a Latin letter (a test checks it).
_LATIN_LETTER = re.compile("[a-z]")

SPAM_REASONS = ("injection", "spam:link", "spam:contact", "spam:ad", "abuse")


def _long_number(compact: str) -> bool:
    """A run of 7+ digits with 3+ distinct digits: a phone or QQ id (not "6666666" applause)."""
    return any(len(set(m.group())) >= 3 for m in _LONG_NUMBER.finditer(compact))


class SpamFilter:
    """Classifies a comment (:meth:`check`) or a display name (:meth:`check_name`).

    ``matcher`` is a :class:`hub.wordlists.TermMatcher` (its ``categories(text)``; or anything with
    ``find(text)`` returning matches with a ``category``) holding the ``spam`` and ``abuse`` lists, plus banned claims for names.
    """

    def __init__(self, matcher: Any = None) -> None:
        self.matcher = matcher

    def _listed(self, text: str) -> set[str]:
        if self.matcher is None or not text:
            return set()
        categories = getattr(self.matcher, "categories", None)  # TermMatcher's: no offsets to map back
        if categories is not None:
            return categories(text)
        return {m.category for m in self.matcher.find(text)}

    def check(self, text: NormalizedText) -> str | None:
        """The reason to drop this comment, or None when it may be triaged."""
        if _INJECTION_TEXT.search(text.text):
            return "injection"
        latin = _LATIN_LETTER.search(text.text) is not None  # else the *_LATIN and link patterns cannot match
        if (latin and _LINK_TEXT.search(text.text)) or _LINK_COMPACT.search(text.compact):
            return "spam:link"
        if (_CONTACT_CJK.search(text.compact) or (latin and _CONTACT_LATIN.search(text.text))
                or _CONTACT_COMPACT.search(text.compact) or _long_number(text.compact)):
            return "spam:contact"
        if _AD_CJK.search(text.compact) or (latin and _AD_LATIN.search(text.text)):
            return "spam:ad"
        listed = self._listed(text.raw)
        if "spam" in listed:
            return "spam:ad"
        if "abuse" in listed:
            return "abuse"
        return None

    def check_name(self, name: str) -> str | None:
        """Why a display name must not be said aloud, or None. Stricter than comments: a name that
        holds any listed term (banned claims included) or digits that look like an id is refused."""
        reason = self.check(normalize(name))
        if reason is not None:
            return reason
        listed = self._listed(name)
        if listed:
            return f"listed:{sorted(listed)[0]}"
        return None


def load_matcher(dirs: Sequence[Path], locales: Iterable[str]) -> Any:
    """A TermMatcher over ``spam.txt``, ``abuse.txt`` and ``banned/*.txt`` for every locale in
    ``locales`` (spammers do not write in the room's language only). None if no list is found."""
    try:
        from hub.wordlists import TermMatcher, load_wordlist, wordlist_file, wordlist_files
    except ImportError:  # the word list module is optional for unit tests of the rules
        return None
    matcher = TermMatcher()
    for locale in dict.fromkeys(locales):
        for name, category in (("spam.txt", "spam"), ("abuse.txt", "abuse")):
            path = wordlist_file(dirs, locale, name)
            if path is not None:
                matcher.extend(load_wordlist([path], category=category, locale=locale))
        banned = wordlist_files(dirs, locale, "banned")
        if banned:
            matcher.extend(load_wordlist(banned, category="banned", locale=locale))
    if not len(matcher):
        log.warning("no spam, abuse or banned word lists found; only the built-in patterns apply")
    return matcher


def filter_for_hub(hub: Any, locales: Iterable[str]) -> SpamFilter:
    """The :class:`SpamFilter` for a hub, with word lists from its prompt folders."""
    try:
        from hub.wordlists import prompt_dirs

        dirs = prompt_dirs(hub)
    except ImportError:
        dirs = []
    return SpamFilter(load_matcher(dirs, locales))
