"""Which products a line talks about, and what the catalog allows it to say about them.

A figure belongs to the products named in its sentence (name, alias, "1号链接", "链接1", "link 1"), else
to those named earlier in the same line, else to the products the line is about (``context.skus``), else
to the product on stage. Names are matched with the same normalising matcher as word lists, so
"高山乌龙茶 250g" and "oolong" are found however they are spaced or cased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from hub.catalog import Catalog, Product
from hub.figures import parse_number
from hub.wordlists import Term, TermMatcher

_LINK = re.compile(
    r"(?P<a>\d+|[一二三四五六七八九十]+)\s*号\s*(?:链接|商品|宝贝|产品)|链接\s*(?P<b>\d+|[一二三四五六七八九十]+)|"
    r"第\s*(?P<c>\d+|[一二三四五六七八九十]+)\s*个?\s*(?:链接|商品|宝贝)|"
    r"\b(?:link|item|product)\s*(?:#|no\.?\s*|number\s*)?(?P<d>\d+)\b", re.IGNORECASE)
_GIFT = re.compile(r"赠品|赠送|免费送|买一送一|送.{0,4}(?:一个|一份|一盒|一袋)|gift included|free gift|comes with a free",
                   re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    product: Product


@dataclass
class CatalogView:
    """A catalog prepared for checking lines: name matcher and the set of every stated price."""

    catalog: Catalog
    names: TermMatcher = field(default_factory=TermMatcher)
    prices: set[Decimal] = field(default_factory=set)
    stocks: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        for product in self.catalog.products:
            for name in [product.name, *product.aliases]:
                self.names.extend([Term(name, product.sku)])
            self.prices.add(product.price)
            if product.promo_price is not None:
                self.prices.add(product.promo_price)
            self.stocks.add(product.stock)

    @property
    def products(self) -> list[Product]:
        return self.catalog.products

    def mentions(self, text: str) -> list[Mention]:
        """Products named in ``text``, in order."""
        found = [Mention(m.start, m.end, p) for m in self.names.find(text)
                 if (p := self.catalog.by_sku(m.category)) is not None]
        for m in _LINK.finditer(text):
            raw = next(g for g in m.groups() if g)
            number = parse_number(raw)
            product = self.catalog.by_link(int(number)) if number is not None else None
            if product is not None and not any(x.start < m.end() and m.start() < x.end for x in found):
                found.append(Mention(m.start(), m.end(), product))
        return sorted(found, key=lambda x: x.start)

    def is_catalog_price(self, value: Decimal) -> bool:
        return value in self.prices

    def savings(self) -> set[Decimal]:
        return {p.price - p.promo_price for p in self.products if p.promo_price is not None}

    def offers_gifts(self) -> bool:
        """Whether any product's own description promises a gift (a merchant-written fact)."""
        for product in self.products:
            texts = [product.description, *product.selling_points, *map(str, product.attributes.values())]
            if any(_GIFT.search(t) for t in texts):
                return True
        return False


def fold_ratio(product: Product) -> Decimal | None:
    """The promotion as folds: 128 / 168 → 7.619 (折); None without a promotion."""
    if product.promo_price is None or not product.price:
        return None
    return product.promo_price / product.price * 10


def nearest(mentions: list[Mention], pos: int) -> Product | None:
    """The product named closest to ``pos``, preferring one named before it."""
    before = [m for m in mentions if m.start <= pos]
    if before:
        return before[-1].product
    return mentions[0].product if mentions else None


_VIEWS: dict[int, CatalogView] = {}


def view_of(catalog: Catalog) -> CatalogView:
    """A cached :class:`CatalogView` (catalogs are replaced, not mutated, when they reload)."""
    cached = _VIEWS.get(id(catalog))
    if cached is None or cached.catalog is not catalog:
        if len(_VIEWS) > 16:
            _VIEWS.clear()
        cached = _VIEWS[id(catalog)] = CatalogView(catalog)
    return cached
