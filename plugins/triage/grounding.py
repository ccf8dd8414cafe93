"""Grounding: does an answer state the catalog fact the viewer asked for?

A viewer who asks "1号链接多少钱" wants the price. The guardrails make sure an LLM's answer says nothing
*wrong*; they cannot make it say the *right* thing. A small model often answers around the question
("这款茶很香哦") or not at all, so for the intents whose answer is one catalog fact the speaker checks the
reviewed answer with :func:`states_fact` and, when the fact is missing, says the catalog's answer
instead (see :mod:`plugins.triage.speaker`).

The facts, per intent (the same a merchant and the replay score expect):

* ``price`` — the product's current price (the promotion price if there is one);
* ``promotion`` — the promotion price, else the price;
* ``stock`` — the stock count, or that it is sold out;
* ``shipping`` — every clause of the shop's shipping policy ("全国包邮", "48小时内发货").

Figures are read with the core's parser (:func:`hub.figures.find_figures`, shared with the guardrails), so
"128元", "¥128", "一百二十八元" and "128 yuan" all count. A product intent without a known product
has no fact to state: it is never grounded (the catalog then asks which link is meant).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from hub.catalog import Product, Shop
from hub.figures import find_figures

GROUNDED_INTENTS = ("price", "stock", "shipping", "promotion")

_SOLD_OUT = re.compile(r"卖完|售罄|没货|缺货|断货|无货|sold out|out of stock", re.IGNORECASE)
_CLAUSES = re.compile(r"[，,。.;；/、]+")


def _compact(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def _amounts(text: str, kinds: tuple[str, ...]) -> set[Decimal]:
    return {f.value.normalize() for f in find_figures(text) if f.kind in kinds and f.value is not None}


def states_price(text: str, amount: Decimal) -> bool:
    """``text`` names ``amount`` as a price."""
    return amount.normalize() in _amounts(text, ("price",))


def states_stock(text: str, product: Product) -> bool:
    """``text`` gives the product's stock: its count, or that it is sold out."""
    if product.stock <= 0:
        return bool(_SOLD_OUT.search(text))
    count = Decimal(product.stock).normalize()
    if count in _amounts(text, ("stock",)):
        return True
    # "有300件" / "300 available" phrased in a way the stock patterns do not read as stock
    return bool(re.search(rf"(?<![\d.]){product.stock}(?![\d.])\s*(?:件|个|份|套|盒|袋|条|瓶|罐|包|双|"
                          r"pieces?|units?|items?|available|left|in stock)", text, re.IGNORECASE))


def states_shipping(text: str, shop: Shop | None) -> bool:
    """``text`` repeats every clause of the shop's shipping policy (punctuation and case aside)."""
    policy = shop.shipping if shop is not None else ""
    clauses = [_compact(c) for c in _CLAUSES.split(policy)]
    clauses = [c for c in clauses if c]
    said = _compact(text)
    return bool(clauses) and all(c in said for c in clauses)


def states_fact(text: str, intent: str, product: Product | None, shop: Shop | None) -> bool:
    """Does ``text`` state the catalog fact ``intent`` asks for about ``product`` (see the module doc)?

    Intents outside :data:`GROUNDED_INTENTS` have no single fact: they are always grounded.
    """
    if intent == "shipping":
        return states_shipping(text, shop)
    if intent not in GROUNDED_INTENTS:
        return True
    if product is None:
        return False
    if intent == "price":
        return states_price(text, product.current_price)
    if intent == "promotion":
        return states_price(text, product.promo_price if product.promo_price is not None else product.price)
    return states_stock(text, product)
