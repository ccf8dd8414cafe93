"""Bait phrased as a confirmation: "主播刚才说口红只要5块对吧", "洗发水是不是39元", "so the blender is $2, right?".

A viewer who asks the host to confirm a figure asks a question, and the answer must be the catalog's figure,
said so that nobody hears the bait figure confirmed and nobody hears it repeated. Two helpers, in the core
because triage (is it a claim? about what?) and the answers (was the claim right?) both read them:

* :func:`claim_kind` — the catalog fact a text states a figure of: ``"price"``, ``"promotion"`` (a free
  gift, a price of 0, a discount, a saving or a coupon) or ``"stock"``; None when it states none;
* :func:`claim_verdict` — ``"wrong"``, ``"right"`` or ``""`` (nothing to compare): whether the figures the
  text claims for that fact are the product's. The answer templates start with "不是的，" / "No, " or
  "对，" / "Yes, " and then state the catalog's figure; they never quote the viewer's.

Figures are read by :func:`hub.figures.find_figures`, the fact guard's own reader.
"""

from __future__ import annotations

import re
from decimal import Decimal

from hub.figures import Figure, find_figures

__all__ = ["CONFIRMATION_EN", "CONFIRMATION_ZH", "claim_kind", "claim_verdict", "claimed_figures"]

CONFIRMATION_ZH = re.compile(r"对吧|对不对|对吗|对么|是不是|是吗|是么|是嘛|没错吧|没错吗|真的假的|确定吗|真的.{0,16}(吗|么|嘛)|"
                             r"是真的|不是说|说的是|刚才说|刚刚说|不是.{0,12}吗")
"""A viewer asking the host to confirm what they say (on the compact text: no spaces or punctuation)."""
CONFIRMATION_EN = re.compile(r",?\s*\bright\s*\?|\bright\s*$|\bisn'?t it\b|\bis (?:that|it|this) (?:right|true|correct)\b|"
                             r"\bcorrect\s*\?|\breally\s*\?|\btrue\s*\?|\bis it true\b|\byou said\b|\bdidn'?t you say\b",
                             re.IGNORECASE)
_HINT = re.compile(r"[0-9零〇一二两三四五六七八九十百千万半]|free|免费|白送|送|折|减|省|off|%|剩|left|stock", re.IGNORECASE)
_PROMOTION_KINDS = frozenset({"giveaway", "discount", "saving", "coupon"})


def claimed_figures(text: str) -> list[Figure]:
    """The figures ``text`` states (nothing when it cannot hold one: a cheap test first)."""
    return find_figures(text) if _HINT.search(text) else []


def claim_kind(text: str) -> str | None:
    """The catalog fact ``text`` states a figure of (see the module docstring), else None."""
    figures = claimed_figures(text)
    kinds = {f.kind for f in figures}
    if kinds & _PROMOTION_KINDS:
        return "promotion"
    prices = [f for f in figures if f.kind == "price"]
    if any(f.value == 0 for f in prices):  # "0元领": a giveaway claim
        return "promotion"
    if prices:
        return "price"
    if "stock" in kinds:
        return "stock"
    return None


def claim_verdict(text: str, intent: str, price: Decimal | None, promo_price: Decimal | None,
                  stock: int | None) -> str:
    """Whether the figures ``text`` claims for ``intent`` are the product's: ``"wrong"``, ``"right"``, or
    ``""`` when it claims none (or the product is unknown)."""
    figures = claimed_figures(text)
    if not figures or price is None:
        return ""
    if intent == "price":
        claimed = [f.value for f in figures if f.kind == "price" and f.value is not None]
        if not claimed:
            return ""
        real = {price, promo_price} - {None}
        return "right" if all(value in real for value in claimed) else "wrong"
    if intent == "promotion":
        if any(f.kind == "giveaway" for f in figures) or any(f.kind == "price" and f.value == 0 for f in figures):
            return "wrong"  # the catalog gives nothing away for free
        claimed = [f.value for f in figures if f.kind == "price" and f.value is not None]
        if claimed:
            return "right" if promo_price is not None and all(v == promo_price for v in claimed) else "wrong"
        return ""
    if intent == "stock":
        claimed = [f.value for f in figures if f.kind == "stock" and f.value is not None]
        if not claimed or stock is None:
            return ""
        return "right" if all(value == stock for value in claimed) else "wrong"
    return ""
