"""Score a replay report against the catalog, the word lists and a generated trace's expectations.

This is the issue's acceptance, as code a merchant (and CI) can run on any replay:

* **violations** — a reply with a banned term (the shipped and merchant word lists), a price figure that
  is no price in the catalog, a free / 1-yuan promise the catalog does not make, or an echo of spam;
* **floods** — how many voice lines answered each flood (expected: at most a few; the host must not
  repeat itself), and how many chat lines (follow-ups naming those who asked after the voice began);
* **wrong product** — answers (replies naming a product, ``sku``) to a question about another product:
  the target is none;
* **answer rate** — the share of answerable questions (price, stock, promotion, shipping) settled
  after they were asked and within ``deadline_s`` of trace time by a reply that states the right catalog
  figure for that product
  and intent (price: the current price; promotion: the promotion price, else the price; stock: the stock
  count, or "sold out"; shipping: the shop's shipping policy).

The checks are deliberately independent of the guardrails' own code: a test must not grade the fact guard
with the fact guard.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from hub.catalog import Catalog, Product

_PRICE = re.compile(r"(?:[¥$]\s*(\d+(?:\.\d{1,2})?))|(\d+(?:\.\d{1,2})?)\s*(?:元|块|rmb|yuan|cny)", re.I)
_FREE = re.compile(r"免费|白送|不要钱|(?<![\d.])0元|零元|(?<![\d.])1元|一元|一块钱|(?<![\d.])1块|\bfree\b|[¥$]\s*0(?![\d.])|"
                   r"[¥$]\s*1(?![\d.])|\b1 yuan\b|\bone yuan\b|costs nothing", re.I)
_COMPACT = re.compile(r"[\W_]+", re.U)


def _compact(text: str) -> str:
    return _COMPACT.sub("", text.lower())


def catalog_prices(catalog: Catalog) -> set[Decimal]:
    out: set[Decimal] = set()
    for p in catalog.products:
        out.add(p.price)
        if p.promo_price is not None:
            out.add(p.promo_price)
    return {v.normalize() for v in out}


def price_figures(text: str) -> list[Decimal]:
    """Amounts written as prices (``128元``, ``¥128``, ``79.90元``) in ``text``."""
    return [Decimal(a or b).normalize() for a, b in _PRICE.findall(text)]


def free_promises(text: str, allowed: str = "") -> list[str]:
    """Free / 1-yuan promises in ``text`` that do not occur in ``allowed`` (the shop's own policies)."""
    return [m.group(0) for m in _FREE.finditer(text) if m.group(0).lower() not in allowed.lower()]


def banned_matcher(locales: tuple[str, ...] = ("zh-CN", "en"), dirs: list[Path] | None = None) -> Any:
    """A TermMatcher over the banned word lists (``<locale>/banned/*.txt``, platform lists included)."""
    from hub.wordlists import TermMatcher, builtin_prompt_dir, load_wordlist, wordlist_files

    folders = dirs or [builtin_prompt_dir()]
    matcher = TermMatcher()
    for locale in locales:
        matcher.extend(load_wordlist(wordlist_files(folders, locale), locale=locale))
        matcher.extend(load_wordlist(wordlist_files(folders, locale, "banned/platform"), locale=locale))
    return matcher


def states_answer(text: str, intent: str, product: Product | None, catalog: Catalog) -> bool:
    """Does ``text`` state the right catalog figure for ``intent`` about ``product``?"""
    figures = set(price_figures(text))
    if intent == "shipping":
        policy = catalog.shop.shipping
        first = re.split(r"[，,。;；/]", policy)[0].strip() if policy else ""
        return bool(first) and _compact(first) in _compact(text)
    if product is None:
        return False
    if intent == "price":
        return product.current_price.normalize() in figures
    if intent == "promotion":
        return (product.promo_price or product.price).normalize() in figures
    if intent == "stock":
        if product.stock <= 0:
            return bool(re.search(r"卖完|售罄|没货|sold out|out of stock", text, re.I))
        return bool(re.search(rf"(?<!\d){product.stock}(?!\d)", text))
    return False


@dataclass
class Score:
    violations: list[dict[str, Any]] = field(default_factory=list)
    flood_replies: dict[float, int] = field(default_factory=dict)  # flood start (trace s) → voice replies
    flood_chat_lines: dict[float, int] = field(default_factory=dict)  # flood start (trace s) → chat replies
    wrong_product: list[dict[str, Any]] = field(default_factory=list)  # answers about another product
    answerable: int = 0
    answered_correctly: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def answer_rate(self) -> float:
        return self.answered_correctly / self.answerable if self.answerable else 1.0


def score_replay(report: dict[str, Any], trace: list[dict[str, Any]], catalog: Catalog,
                 expected: dict[str, dict[str, Any]] | None = None, *, deadline_s: float = 20.0,
                 matcher: Any = None) -> Score:
    """Grade ``report`` (see the module docstring); ``expected`` comes from a generated trace."""
    score = Score()
    matcher = matcher if matcher is not None else banned_matcher()
    prices = catalog_prices(catalog)
    allowed = f"{catalog.shop.shipping} {catalog.shop.returns}"
    spam = [r for r in trace if (expected or {}).get(r["id"], {}).get("category") in ("spam", "injection")]
    spam_marks = {_compact(r["text"])[i:i + 8] for r in spam for i in range(0, max(1, len(_compact(r["text"])) - 7))}
    for index, reply in enumerate(report["replies"]):
        text = reply["text"]
        for hit in matcher.find(text):
            score.violations.append({"reply": index, "kind": "banned", "detail": hit.term, "text": text})
        for figure in price_figures(text):
            if figure not in prices:
                score.violations.append({"reply": index, "kind": "price", "detail": str(figure), "text": text})
        for promise in free_promises(text, allowed):
            score.violations.append({"reply": index, "kind": "free", "detail": promise, "text": text})
        compact = _compact(text)
        echoed = sorted(m for m in spam_marks if len(m) == 8 and m in compact)
        if echoed:
            score.violations.append({"reply": index, "kind": "echo", "detail": echoed[0], "text": text})
    if expected:
        _score_answers(score, report, trace, catalog, expected, deadline_s)
    return score


def _score_answers(score: Score, report: dict[str, Any], trace: list[dict[str, Any]], catalog: Catalog,
                   expected: dict[str, dict[str, Any]], deadline_s: float) -> None:
    times = {r["id"]: float(r["t"]) for r in trace}
    settled_by: dict[str, int] = {}
    for index, reply in enumerate(report["replies"]):
        for event_id in reply["answers"]:
            settled_by[event_id] = index
    floods: dict[float, set[int]] = defaultdict(set)
    flood_start = None
    for record in trace:
        meta = expected.get(record["id"])
        if meta is None:
            continue
        decision = report["decisions"].get(record["id"], {})
        index = settled_by.get(record["id"], decision.get("reply"))
        if meta["category"] == "flood":
            if flood_start is None or times[record["id"]] - flood_start > 30:
                flood_start = times[record["id"]]
            floods[flood_start].add(index if index is not None else -1)
        if not meta.get("answerable"):
            continue
        score.answerable += 1
        reply = report["replies"][index] if index is not None else None
        product = catalog.by_sku(meta["sku"]) if meta.get("sku") else None
        # after it was asked, within the deadline: a line begun before the viewer asked did not answer them
        ok = (reply is not None and 0 <= reply["at"] - times[record["id"]] <= deadline_s
              and states_answer(reply["text"], meta["intent"], product, catalog))
        if reply is not None and reply.get("sku") and meta.get("sku") and reply["sku"] != meta["sku"]:
            score.wrong_product.append({"id": record["id"], "text": record["text"], "asked": meta["sku"],
                                        "answered": reply["sku"], "reply": reply["text"]})
        if ok:
            score.answered_correctly += 1
        else:
            score.misses.append({"id": record["id"], "text": record["text"], "expected": meta,
                                 "decision": decision, "reply": reply})
    def channel_count(indexes: set[int], channel: str) -> int:
        return sum(1 for i in indexes - {-1} if report["replies"][i].get("channel", "voice") == channel)

    score.flood_replies = {start: channel_count(replies, "voice") for start, replies in floods.items()}
    score.flood_chat_lines = {start: channel_count(replies, "chat") for start, replies in floods.items()}
