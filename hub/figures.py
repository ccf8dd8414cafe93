"""Find the figures a line states: prices, savings, discounts, stock, coupons and giveaways, zh and en.

"128元", "¥128", "￥128.00", "128块钱", "一百二十八元", "$12.50", "12 dollars", "RMB 128", "到手价128",
"8折"/"七五折"/"20% off", "省40元", "库存300件"/"还剩五十件"/"only 12 left", "满200减20", "免费送".
Every figure keeps the span of its number, so a wrong one can be replaced in place. Offsets are those of
the original text: full-width digits and symbols are read through a one-to-one translation.

In the core because two plugins read figures: the guardrails' fact guard (is a stated price the
catalog's?) and triage's grounding (does an answer state the price it was asked for?).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_WIDE = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "．": ".", "％": "%", "＄": "$",
                       "￥": "¥", "，": "，", "＋": "+"})

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}


def _chinese_int(text: str) -> int | None:
    if not text or not any(c in _DIGITS or c == "十" for c in text):
        return None
    if len(text) > 1 and all(c in _DIGITS for c in text):
        return int("".join(str(_DIGITS[c]) for c in text))  # "一二八" read digit by digit
    total = section = number = 0
    last_unit, prev = 1, ""
    for char in text:
        if char in _DIGITS:
            number = _DIGITS[char]
        elif char in _UNITS:
            section += (number or (1 if char == "十" else 0)) * _UNITS[char]
            number, last_unit = 0, _UNITS[char]
        elif char in _BIG:
            total += (section + number) * _BIG[char]
            section = number = 0
            last_unit = _BIG[char]
        else:
            return None
        prev = char
    if number and prev in _DIGITS and len(text) > 1 and text[-2] in {**_UNITS, **_BIG} and last_unit >= 100:
        number *= last_unit // 10  # colloquial "一百二" = 120, "一万五" = 15000
    return total + section + number


def chinese_to_decimal(text: str) -> Decimal | None:
    """Chinese numerals to a Decimal: "一百二十八" → 128, "九十九点九" → 99.9, "两千五" → 2500."""
    whole, dot, frac = text.partition("点")
    value = _chinese_int(whole) if whole else 0
    if value is None:
        return None
    if not dot:
        return Decimal(value)
    if not frac or any(c not in _DIGITS for c in frac):
        return None
    return Decimal(f"{value}.{''.join(str(_DIGITS[c]) for c in frac)}")


def parse_number(text: str) -> Decimal | None:
    """An Arabic ("1,280.50", "1.5万") or Chinese numeral."""
    text = text.translate(_WIDE).replace(" ", "")
    scale = Decimal(1)
    if text.endswith("万") and text[:-1] and text[0].isdigit():
        text, scale = text[:-1], Decimal(10_000)
    if text and text[0].isdigit():
        try:
            return Decimal(text.replace(",", "")) * scale
        except InvalidOperation:
            return None
    return chinese_to_decimal(text)


@dataclass(frozen=True, slots=True)
class Figure:
    """A stated figure. ``value`` is a price/amount, folds (8折 = 8, 20% off = 8) or a count."""

    kind: str  # price | saving | discount | stock | coupon | giveaway
    value: Decimal | None
    start: int  # the whole expression
    end: int
    num_start: int  # the number alone (what a correction replaces)
    num_end: int
    currency: str | None = None  # CNY | USD | EUR | None (not stated)
    cue: str = ""
    whole: bool = False  # the number span includes its unit ("128块8"): a fix rewrites both

    @property
    def is_original_price(self) -> bool:
        return self.cue in ("原价", "定价", "标价", "was", "originally", "regular price", "list price")


ARABIC = r"\d+(?:,\d{3})*(?:\.\d+)?"
CN = r"[零〇一二两三四五六七八九十百千万]+(?:点[零〇一二三四五六七八九]+)?"
ANY = rf"(?:{ARABIC}(?:\s*万)?|{CN})"
_MEASURE = "克斤两个次天日周年月时分秒件袋盒瓶杯包片粒只双条张套米号款种位人岁度折倍层寸码毫升"
_NOT_UNIT = rf"(?![\d.零〇一二两三四五六七八九十百千万]*\s*(?:[a-zA-Z%]|[{_MEASURE}小]))"
_STOCK_UNIT = "(?:件|个|份|单|套|盒|袋|条|杯|只|瓶|罐|包|双|把|支|台|箱)"
_CURRENCY = {"¥": "CNY", "rmb": "CNY", "cny": "CNY", "人民币": "CNY", "元": "CNY", "块钱": "CNY",
             "块": "CNY", "圆": "CNY", "毛钱": "CNY", "毛": "CNY", "角": "CNY", "分钱": "CNY",
             "yuan": "CNY", "$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD",
             "bucks": "USD", "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR"}
_FRACTION = {"毛钱": Decimal("0.1"), "毛": Decimal("0.1"), "角": Decimal("0.1"), "分钱": Decimal("0.01")}

_I = re.IGNORECASE
# (kind, pattern), in priority order: a later figure overlapping an earlier one is not a figure.
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("coupon", re.compile(rf"满\s*(?P<n>{ANY})\s*(?:元|块钱?)?\s*(?:减|送|返|立减)\s*{ANY}\s*(?:元|块钱?)?")),
    ("stock", re.compile(rf"(?P<cue>库存|现货)\s*(?:还有|仅有|只有|就剩|还剩|仅剩|只剩|剩|有|共|一共|是|为|仅)?"
                         rf"\s*(?P<n>{ANY}){_STOCK_UNIT}?")),
    ("stock", re.compile(rf"(?P<cue>还剩|仅剩|只剩|剩下|剩余|就剩|最后|限量|只剩下)\s*(?P<n>{ANY})\s*{_STOCK_UNIT}")),
    ("stock", re.compile(rf"(?P<cue>仅有|只有|还有)\s*(?P<n>{ANY})\s*(?:件|份|单|套|盒|袋|瓶|罐|箱)")),
    ("stock", re.compile(rf"\b(?P<cue>only|just)?\s*(?P<n>{ARABIC})\s+(?:(?:more|pieces?|units?|items?|pcs|sets?|"
                         r"boxes|bags|packs?|mugs?|scarves|scarf|tins?|left over)\s+){0,2}"
                         r"(?:left|remaining|in stock|available)\b", _I)),
    ("stock", re.compile(rf"\b(?P<cue>stock of|last)\s+(?P<n>{ARABIC})\s+(?:pieces?|units?|items?|ones?|pcs|sets?|"
                         r"boxes|bags|packs?)\b", _I)),
    ("discount", re.compile(r"(?:打\s*)?(?P<n>\d+(?:\.\d+)?|[一二三四五六七八九]{1,2}(?:点[一二三四五六七八九])?)\s*折"
                            r"(?!叠|腾|磨|断|射|返|旧)")),
    ("discount", re.compile(rf"(?P<n>{ARABIC})\s*(?:%|percent)\s*(?:off|discount)\b", _I)),
    ("discount", re.compile(r"(?P<half>半价|half[- ]price|half off|50/50)", _I)),
    ("saving", re.compile(rf"(?P<cue>省了?|立减|直降|便宜了?|优惠了?|少了?|降了?|减了?)\s*(?P<n>{ARABIC}|{CN}(?=\s*(?:元|块)))"
                          rf"\s*(?P<u>元|块钱|块)?{_NOT_UNIT}")),
    ("saving", re.compile(rf"\b(?P<cue>save|saves|saving)\s+(?:you\s+)?(?P<u>\$|¥|rmb\s*)?\s*(?P<n>{ARABIC})\b", _I)),
    ("saving", re.compile(rf"(?P<u>\$|¥)\s*(?P<n>{ARABIC})\s+off\b|\b(?P<n2>{ARABIC})\s*(?P<u2>yuan|dollars?|bucks|rmb)"
                          r"\s+off\b", _I)),
    ("price", re.compile(rf"(?P<u>¥|US\$|\$|RMB|CNY|USD|人民币|€|EUR)\s*(?P<n>{ARABIC})", _I)),
    ("price", re.compile(rf"(?P<n>{ANY})\s*(?P<u>元|块钱|块|圆|毛钱|毛|角|分钱|(?:rmb|cny|yuan|dollars?|bucks|usd|euros?)\b)"
                         rf"(?:(?<=块)(?P<frac>[一二三四五六七八九]|\d)(?![\d{_MEASURE}号]))?", _I)),
    ("price", re.compile(rf"(?P<cue>只要|只需|仅需|仅要|仅售|售价|现价|原价|定价|特价|秒杀价|活动价|优惠价|到手价|券后价|"
                         r"价格|价钱|价位|卖|才|低至|降到|降至|一口价|标价)\s*(?:是|为|就|只要|只有|都|仅|也就|才|：|:)?"
                         rf"\s*(?P<n>{ANY}){_NOT_UNIT}")),
    ("price", re.compile(rf"\b(?P<cue>price is|prices? are|price:|priced at|costs?|cost is|for only|for just|only|just|"
                         r"now only|now just|sells for|selling for|down to|was|originally|regular price(?: is)?|"
                         rf"list price(?: is)?|pay)\s+(?:only\s+|just\s+)?(?P<n>{ARABIC})(?![\d.]*\s*(?:%|[a-z]))", _I)),
]
_PRICE_CUE = re.compile(r"(原价|定价|标价|\bwas\b|\boriginally\b|\bregular price\b|\blist price\b)[^，,。.!?！？]{0,4}$", _I)
_AMBIGUOUS_ONE = {"一", "两", "几"}  # "一块去" (together), "两块蛋糕" (pieces): not prices

GIVEAWAY = re.compile(
    r"免费(?:送|领|拿|得|赠|试用|试吃|试喝|抽|给)|白送|白拿|买[一二两三四五1-5]送[一二两三四五1-5]|下单(?:就|即)?送|"
    r"加送|再送|还送|额外送|送赠品|零元购|0元购|抽奖送|免单|"  # not "赠送": viewers' gifts are 赠送 too
    r"\bfor free\b|\bfree (?:gifts?|samples?|items?|bonus|ones?|giveaways?|tea|mugs?|scarf|scarves)\b|"
    r"\bfree of charge\b|\bgiveaways?\b|\bgiv(?:e|es|ing) (?:it |them |one |these |those )?away\b|"
    r"\bget (?:it|one|them|this|these) (?:for )?free\b|\bbuy one,? get one\b|\bbogo\b|\bat no cost\b|"
    r"(?<!shipping )(?<!delivery )(?<!return )(?<!returns )\b(?:is|are|it's|it is) free\b|\b(?:one|a|zero) (?:dollar|yuan|penny|cent)\b", _I)


def _currency(unit: str | None) -> str | None:
    key = (unit or "").strip().lower()
    return _CURRENCY.get(key) or _CURRENCY.get(key.removesuffix("s"))


def find_figures(text: str) -> list[Figure]:
    """Every figure in ``text`` ordered by position; overlapping candidates go to the earlier pattern."""
    wide = text.translate(_WIDE)
    found: list[Figure] = []
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(wide):
            if any(f.start < m.end() and m.start() < f.end for f in found):
                continue
            figure = _figure(kind, m, wide)
            if figure is not None:
                found.append(figure)
    for m in GIVEAWAY.finditer(wide):
        if not any(f.start < m.end() and m.start() < f.end for f in found):
            found.append(Figure("giveaway", None, m.start(), m.end(), m.start(), m.end(), cue=m.group(0)))
    return sorted(found, key=lambda f: f.start)


def _figure(kind: str, m: re.Match[str], text: str) -> Figure | None:
    groups = m.groupdict()
    if groups.get("half"):
        return Figure(kind, Decimal(5), m.start(), m.end(), m.start(), m.end(), cue=m.group(0))
    name = "n" if groups.get("n") else "n2"
    raw = groups.get(name) or ""
    value = parse_number(raw)
    if value is None:
        return None
    n_start, n_end = m.span(name)
    unit = groups.get("u") or groups.get("u2")
    cue = (groups.get("cue") or "").lower()
    if kind == "discount":
        if "%" in m.group(0) or "percent" in m.group(0).lower():
            value = (Decimal(100) - value) / 10
        elif raw[0] in _DIGITS and len(raw) == 2 and "点" not in raw:
            value = Decimal(f"{_DIGITS[raw[0]]}.{_DIGITS[raw[1]]}")  # 七五折 = 7.5
        elif value >= 10:
            value = value / 10  # 75折 = 7.5
    whole = False
    if kind == "price":
        if unit == "块" and raw in _AMBIGUOUS_ONE and re.match(r"[\u4e00-\u9fff]", text[m.end():m.end() + 1] or " "):
            return None
        if unit in _FRACTION:
            value *= _FRACTION[unit]
        if groups.get("frac"):
            frac = groups["frac"]
            value += Decimal(_DIGITS[frac] if frac in _DIGITS else int(frac)) / 10  # "128块8" = 128.8
            n_start, n_end, whole = m.start(), m.end(), True
        if not cue and (before := _PRICE_CUE.search(text[max(0, m.start() - 12):m.start()])):
            cue = before.group(1).lower()
    return Figure(kind, value, m.start(), m.end(), n_start, n_end, _currency(unit), cue, whole)


def format_amount(value: Decimal) -> str:
    """128.00 → "128", 12.5 → "12.50"."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.quantize(Decimal("0.01")), "f")
