"""Which product a comment means: a cart link number, a name or alias, or the product on stage.

Viewers refer to products the way the cart shows them ("1号链接", "1号", "一号链接", "link 1", "#1"), by
name or nickname ("那个围巾"), or by pointing ("这个", "this one", "it" = what the host is presenting).
A product question with no reference at all ("多少钱?") also means the product on stage: that is how live
shopping works. Names and aliases are matched on the compact form, longest first, so "羊绒围巾" beats
"围巾" when both are aliases of different products.

Chinese names written loosely (a homophone, pinyin, part of the name) are resolved by
:mod:`plugins.triage.fuzzy_names`, or, when several products fit, give the likely ones to ask back about.

Never the wrong product: an English question that names something ("how much are the wool socks") which is
no name or alias is matched loosely against the Latin names and aliases ("oolong teas" is "oolong tea");
when that fails too it is ``unknown_name``, never the product on stage, and the answer asks which link
is meant, listing the likely ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from hub.catalog import Catalog
from plugins.triage.fuzzy_names import FuzzyNames
from plugins.triage.normalize import NormalizedText, normalize

__all__ = ["ProductRef", "ProductResolver", "chinese_number"]

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"(\d{1,3}|[一二两三四五六七八九十]{1,3})"
_LINK_ZH = re.compile(
    rf"{_NUM}\s*号\s*(链接|链|宝贝|商品|产品|款)?|链接\s*{_NUM}(?!\s*[元块])|第\s*{_NUM}\s*(个|号|款)\s*(链接|宝贝|商品)?")
_LINK_EN = re.compile(
    r"\blink\s*(?:#|no\.?|number)?\s*(\d{1,3})\b|#\s*(\d{1,3})\b|\b(?:no\.|number|item|product)\s*#?\s*(\d{1,3})\b")
_DEICTIC_ZH = re.compile(
    r"这个|这款|这件|这套|这双|这条|这瓶|这盒|这只|这支|这包|这一款|现在这|手上的|手里的|身上的|讲的这|正在讲|它")
_DEICTIC_EN = re.compile(r"\b(this|it|that one|this one|the one you'?re (showing|holding|wearing)|current (one|item))\b")
# Words of an English product question that name no product: what is left names one ("wool socks").
_EN_FILLER = frozenset("""
a an the this that these those it its one ones my your our their me you we they i he she him her them
how much many what whats what's which who when where why is are was were be been do does did can could
will would shall should may might must have has had get got buy order pay take want need like love
price prices pricing cost costs costing priced worth cheap cheaper cheapest expensive dollar dollars
usd rmb yuan bucks stock stocks left available sold out still any more some all in on of for to from at
by with and or but so if then than too also just only really very please pls plz thanks thank ok okay
right correct true sure yes no not isnt isn't dont don't there here now today tonight today's
discount discounts coupon coupons deal deals offer offers promo promotion sale free gift gifts
ship shipping shipped deliver delivery arrive size sizes fit color colour colors colours material
lol omg wow hey hi hello host guys girl sis bro dear nice cool cute great good new item link product
""".split())


def chinese_number(text: str) -> int | None:
    """``"3"`` → 3, ``"十二"`` → 12, ``"二十"`` → 20, ``"两"`` → 2; None when not a number under 100."""
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return _CN_DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        return None
    value = (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return value


@dataclass(frozen=True, slots=True)
class ProductRef:
    """The resolved product (``sku`` None: none) and how: ``link``, ``name``, ``alias``, ``deictic``,
    ``stage`` (implied by a product question), ``unknown_link`` (a link number the cart does not have),
    ``fuzzy`` (an English name close to a name or alias), ``unknown_name`` (an English name that matches
    none: ask which link is meant), ``none``."""

    sku: str | None
    source: str
    link: int | None = None
    phrase: str = ""  # unknown_name / fuzzy: the words that named a product
    likely: tuple[str, ...] = ()  # unknown_name: the products it may mean, best first (ask "do you mean…?")

class ProductResolver:
    """Resolves product references against one catalog; rebuild it when the catalog changes."""

    def __init__(self, catalog: Catalog | None) -> None:
        self.catalog = catalog
        self._links: dict[int, str] = {}
        # (compact term, sku, "name"|"alias", word pattern for Latin terms and its first word), longest first
        self._terms: list[tuple[str, str, str, re.Pattern[str] | None, str]] = []
        if catalog is not None:
            for product in catalog.products:
                self._links[product.link] = product.sku
                self._add(product.name, product.sku, "name")
                for alias in product.aliases:
                    self._add(alias, product.sku, "alias")
        self._terms.sort(key=lambda t: (-len(t[0]), t[2] != "name"))
        self.fuzzy = FuzzyNames([(term, sku) for term, sku, _kind, _pattern, _first in self._terms])

    def _add(self, term: str, sku: str, kind: str) -> None:
        norm = normalize(term)
        compact = norm.compact
        if len(compact) >= 2 or (compact and not compact.isascii()):
            # Latin names match whole words on the spaced text ("cup" must not hit "hiccup").
            words = re.findall(r"[a-z0-9]+", norm.text) if compact.isascii() else []
            pattern = re.compile(r"\b" + r"\W*".join(map(re.escape, words)) + r"\b") if words else None
            self._terms.append((compact, sku, kind, pattern, words[0] if words else ""))

    def link_number(self, text: NormalizedText) -> tuple[int, bool] | None:
        """The cart position a comment names ("1号链接", "link 1", "#1") and whether a link word was
        written (a bare "38号" may be a shoe size or a date), or None."""
        for pattern in (_LINK_ZH, _LINK_EN):
            match = pattern.search(text.text)
            if match:
                raw = next(g for g in match.groups() if g and (g.isdigit() or chinese_number(g) is not None))
                number = chinese_number(raw)
                if number is not None:
                    explicit = any(w in match.group(0) for w in ("链", "宝贝", "商品", "产品", "link", "item",
                                                                 "product", "第"))
                    return number, explicit
        return None

    def by_name(self, text: NormalizedText, stage_sku: str | None = None) -> ProductRef | None:
        """The longest name or alias in the comment (the stage product wins a tie)."""
        best: ProductRef | None = None
        best_len = 0
        for term, sku, kind, pattern, first in self._terms:
            if len(term) < best_len:
                break
            # a Latin term's pattern can only match where its first word is written: test that first
            if (first in text.text and pattern.search(text.text)) if pattern is not None else term in text.compact:
                if best is None or (sku == stage_sku and best.sku != stage_sku):
                    best, best_len = ProductRef(sku, kind), len(term)
        return best

    @staticmethod
    def deictic(text: NormalizedText) -> bool:
        """Does the comment point at the product being shown ("这个", "this one", "it")?"""
        return bool(_DEICTIC_ZH.search(text.compact) or _DEICTIC_EN.search(text.text))

    def resolve(self, text: NormalizedText, stage_sku: str | None, *, product_question: bool) -> ProductRef:
        """Resolve in order: link number, name or alias, pointing words, then (for a product question
        with no reference) the product on stage."""
        found = self.link_number(text)
        if found is not None:
            number, explicit = found
            sku = self._links.get(number)
            if sku is not None or explicit:
                return ProductRef(sku, "link" if sku else "unknown_link", number)
        named = self.by_name(text, stage_sku)
        if named is not None:
            return named
        pointing = self.deictic(text)
        if product_question:
            loose = self.fuzzy.match(text.text)
            if loose.sku is not None:
                return ProductRef(loose.sku, "fuzzy", phrase=loose.sku)
            if loose.likely and not pointing:
                return ProductRef(None, "unknown_name", phrase="~" + ",".join(loose.likely), likely=loose.likely)
        if product_question and not pointing:
            phrase = self.named_phrase(text)
            if phrase:
                sku = self.closest(phrase)
                return ProductRef(sku, "fuzzy" if sku else "unknown_name", phrase=phrase)
        if stage_sku is not None and (self.deictic(text) or product_question):
            return ProductRef(stage_sku, "deictic" if self.deictic(text) else "stage")
        return ProductRef(None, "none")

    @staticmethod
    def named_phrase(text: NormalizedText) -> str:
        """The words of an English comment that name a product (nothing for a Chinese one, or when only
        question words, fillers and numbers are left): "how much are the wool socks" → "wool socks"."""
        if text.lang != "en":
            return ""
        words = [w for w in re.findall(r"[a-z]+", text.text) if len(w) >= 3 and w not in _EN_FILLER]
        return " ".join(words)

    def closest(self, phrase: str, cutoff: float = 0.8) -> str | None:
        """The one sku a Latin name or alias of which holds every word of ``phrase`` ("jacket" is the
        "Rain Jacket", when no other product is a jacket), else the sku whose Latin name or alias is
        closest to ``phrase`` (similarity at least ``cutoff``: "silk scarfs" is the "silk scarf")."""
        vocabulary = {sku: {_singular(w) for w in re.findall(r"[a-z0-9]+", pattern.pattern)}
                      for _term, sku, _kind, pattern, _first in self._terms if pattern is not None}
        known = set().union(*vocabulary.values()) if vocabulary else set()
        words = {_singular(w) for w in phrase.split()} & known  # "jacket waterproof": the jacket
        if words:
            holders = {sku for _t, sku, _k, pattern, _f in self._terms
                       if pattern is not None and words <= {_singular(w) for w in re.findall(r"[a-z0-9]+",
                                                                                              pattern.pattern)}}
            return holders.pop() if len(holders) == 1 else None  # several share the word: ask which
        target = phrase.replace(" ", "")
        best, best_score = None, cutoff
        for term, sku, _kind, pattern, _first in self._terms:
            if pattern is None:
                continue
            score = SequenceMatcher(None, target, term).ratio()
            if score >= best_score:
                best, best_score = sku, score
        return best


def _singular(word: str) -> str:
    """"bottles" → "bottle", "glasses" → "glass": enough to match a plural against a catalog name."""
    if len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
