"""Shipping and return claims, checked against the shop's own words (``shop.shipping``, ``shop.returns``).

A claim is true when the shop text makes the same promise or a stronger one: "包邮"/"free shipping" needs
free shipping in the policy; "48小时发货" is fine when the shop dispatches within 48 hours (or sooner),
"24小时发货" is not; "当天发货"/"same-day" needs the shop to say so; a courier ("顺丰", "SF Express") or a
"运费险"/"假一赔" promise needs the same words in the policy; "7天无理由" needs the same number of days.
A sentence with a claim the shop does not make is dropped.
"""

from __future__ import annotations

import re

from hub.catalog import Shop
from hub.figures import ANY, ARABIC, parse_number

from .sentences import EditPlan

_I = re.IGNORECASE
FREE_SHIPPING = re.compile(r"包邮|免运费|免邮|运费全免|不要运费|不收运费|\bfree (?:shipping|delivery)\b|"
                           r"\bships? (?:for )?free\b|\bshipping is free\b|\bno shipping (?:fees?|costs?)\b", _I)
PAID_SHIPPING = re.compile(r"不包邮|运费自理|需要运费|另付运费|邮费另计|\bshipping (?:is )?not included\b|"
                           r"\bplus shipping\b|\bshipping (?:costs? )?extra\b", _I)
_DISPATCH_VERBS = ("发货", "发出", "寄出", "ship", "dispatch")
TIMED = [
    re.compile(rf"(?P<n>{ANY})\s*个?\s*(?P<u>小时|天|日|个?工作日)\s*内?\s*(?P<v>发货|发出|寄出|送达|到货|到达)"),
    re.compile(rf"\b(?P<v>ships?|shipped|dispatch(?:ed|es)?|deliver(?:ed|s|y)?|arrives?)\s+(?:with)?in\s+"
               rf"(?P<n>{ARABIC})\s*(?P<u>hours?|days?|business days?)\b", _I),
    re.compile(rf"\b(?P<n>{ARABIC})[- ]?(?P<u>hours?|days?)\s+(?P<v>dispatch|shipping|delivery)\b", _I),
]
SAME_DAY = re.compile(r"当天发货|当日发货|今天发货|今日发货|当天发|当天寄出|\bsame[- ]day (?:shipping|dispatch)\b|"
                      r"\bships? (?:today|the same day)\b", _I)
NEXT_DAY = re.compile(r"次日达|隔日达|当天到|明天就到|\bnext[- ]day delivery\b|\barrives? tomorrow\b", _I)
KEYWORDS = [  # (claim pattern, words that must appear in the shop's policy text)
    (re.compile(r"顺丰|\bSF Express\b", _I), ("顺丰", "sf express")),
    (re.compile(r"京东快递|京东物流", _I), ("京东",)),
    (re.compile(r"\bEMS\b|邮政"), ("ems", "邮政")),
    (re.compile(r"\bDHL\b|\bFedEx\b|\bUPS\b", _I), ("dhl", "fedex", "ups")),
    (re.compile(r"运费险|\breturn shipping insurance\b", _I), ("运费险", "return shipping insurance")),
    (re.compile(r"假一赔|\bfake\W+refund\b", _I), ("假一赔",)),
]
RETURNS = [
    re.compile(rf"(?P<n>{ANY})\s*天\s*(?:无理由|包退|包换|退换|可退|内可退|内退换)"),
    re.compile(rf"\b(?P<n>{ARABIC})[- ]day (?:returns?|return policy|money[- ]back|no[- ]questions)", _I),
    re.compile(rf"\breturn (?:it |them )?within (?P<n>{ARABIC}) days\b", _I),
]


def _hours(number: str, unit: str) -> float | None:
    value = parse_number(number)
    if value is None:
        return None
    return float(value) * (1 if unit.startswith(("小时", "hour")) else 24)


def _kind(verb: str) -> str:
    return "dispatch" if verb.lower().startswith(_DISPATCH_VERBS) else "delivery"


def shop_promises(shop: Shop) -> list[tuple[str, float]]:
    """``[(dispatch|delivery, hours)]`` the shop's shipping text promises (0 for same-day)."""
    text = shop.shipping
    promises = [(_kind(m["v"]), h) for pattern in TIMED for m in pattern.finditer(text)
                if (h := _hours(m["n"], m["u"])) is not None]
    if SAME_DAY.search(text):
        promises.append(("dispatch", 0.0))
    if NEXT_DAY.search(text):
        promises.append(("delivery", 24.0))
    return promises


def _days(text: str) -> set[str]:
    return {str(parse_number(m["n"])) for pattern in RETURNS for m in pattern.finditer(text)}


def check_policies(text: str, plan: EditPlan, shop: Shop | None) -> list[str]:
    """Drop sentences whose shipping or return claims ``shop`` does not make; return the reasons."""
    reasons: list[str] = []

    def drop(m: re.Match[str], why: str) -> None:
        if not plan.is_dropped(m.start()):
            plan.drop(m.start(), m.end())
            reasons.append(f"shipping/returns claim {m.group(0)!r}: {why}; sentence dropped")

    policy = f"{shop.shipping} {shop.returns}".lower() if shop else ""
    free = bool(shop and FREE_SHIPPING.search(shop.shipping) and not PAID_SHIPPING.search(shop.shipping))
    paid_spans = [m.span() for m in PAID_SHIPPING.finditer(text)]
    for m in PAID_SHIPPING.finditer(text):
        if shop is None or free:
            drop(m, "the shop ships for free" if shop else "no shop policy to check it against")
    for m in FREE_SHIPPING.finditer(text):
        if any(a <= m.start() < b for a, b in paid_spans):
            continue
        if not free:
            drop(m, "the shop's shipping policy does not offer free shipping")
    promises = shop_promises(shop) if shop else []
    for pattern in TIMED:
        for m in pattern.finditer(text):
            hours = _hours(m["n"], m["u"])
            kind = _kind(m["v"])
            if hours is None or not any(k == kind and hours >= h for k, h in promises):
                drop(m, f"the shop promises no {kind} within that time")
    for pattern, kind, hours in ((SAME_DAY, "dispatch", 0.0), (NEXT_DAY, "delivery", 24.0)):
        for m in pattern.finditer(text):
            if not any(k == kind and hours >= h for k, h in promises):
                drop(m, f"the shop promises no {kind} that fast")
    for pattern, words in KEYWORDS:
        for m in pattern.finditer(text):
            if not any(w in policy for w in words):
                drop(m, "not in the shop's policy")
    allowed_days = _days(shop.returns) | _days(shop.shipping) if shop else set()
    for pattern in RETURNS:
        for m in pattern.finditer(text):
            if str(parse_number(m["n"])) not in allowed_days:
                drop(m, "the shop's return policy says otherwise")
    return reasons
