"""Generate realistic live-room traces, with the right answer for every comment, to rehearse and to test.

A generated show presents the catalog's products one after another (a ``stage`` event per segment of
4–7 minutes) while viewers enter, like, follow, send gifts, order and comment. Comments mix real-world
phrasing of price, stock, promotion, shipping, spec and purchase questions (by link number, name, "这个"
or no reference at all), greetings, chit-chat and complaints with the traffic a host must *not* act on:
floods (``flood_size`` viewers asking the stage product's price within a few seconds), bait ("全网最低吗?",
"能治病吗"), prompt injections, spam (links, contact ids, ads) and English comments.

:func:`generate_trace` returns a :class:`GeneratedTrace`: a list of trace records (see
:mod:`plugins.replay.trace`) whose ``expected`` maps each comment id to what a correct engine should see::

    {"category": "question|flood|bait|injection|spam|greeting|chitchat|complaint",
     "intent": "price"|..., "sku": "TEA-001"|None, "answerable": bool, "lang": "zh"|"en"}

``answerable`` marks the price, stock, promotion and shipping questions the acceptance criterion counts.
The same ``seed`` gives the same trace.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from hub.catalog import Catalog, Product
from plugins.replay import phrases

ANSWERABLE = ("price", "stock", "promotion", "shipping")
_CN_NUMS = "零一二三四五六七八九十"


class GeneratedTrace(list):  # type: ignore[type-arg]
    """Trace records (a list of dicts), plus ``expected``: comment id → expected metadata."""

    def __init__(self, records: list[dict[str, Any]] | None = None,
                 expected: dict[str, dict[str, Any]] | None = None) -> None:
        super().__init__(records or [])
        self.expected: dict[str, dict[str, Any]] = expected or {}


def _load(catalog: Catalog | str | Path) -> Catalog:
    if isinstance(catalog, Catalog):
        return catalog
    from hub.catalog_file import load_catalog

    return load_catalog(Path(catalog))


def _cn(n: int) -> str:
    if n <= 10:
        return _CN_NUMS[n]
    tens, ones = divmod(n, 10)
    return (_CN_NUMS[tens] if tens > 1 else "") + "十" + (_CN_NUMS[ones] if ones else "")


class _Show:
    """The state of a generated show while its events are written."""

    def __init__(self, catalog: Catalog, rng: random.Random, english_share: float) -> None:
        self.catalog, self.rng, self.english_share = catalog, rng, english_share
        self.records: list[dict[str, Any]] = []
        self.expected: dict[str, dict[str, Any]] = {}
        self.viewers: list[dict[str, str]] = []
        self.stage: Product | None = None
        self._ids = 0

    def emit(self, t: float, kind: str, user: dict[str, str] | None = None, **fields: Any) -> str:
        self._ids += 1
        record: dict[str, Any] = {"id": f"e{self._ids:06d}", "t": round(t, 2), "type": kind}
        if user is not None:
            record["user"] = dict(user)
        record.update(fields)
        self.records.append(record)
        return record["id"]

    def new_viewer(self) -> dict[str, str]:
        rng, n = self.rng, len(self.viewers) + 1
        roll = rng.random()
        if roll < 0.03:
            name = rng.choice(phrases.SPAM_NAMES)
        elif roll < 0.06:
            name = rng.choice(phrases.LONG_NAMES)
        elif roll < 0.16:
            name = rng.choice(phrases.EN_NAMES) + (str(rng.randint(1, 99)) if rng.random() < 0.3 else "")
        elif roll < 0.5:
            name = rng.choice(phrases.ZH_NAME_HEADS) + rng.choice(phrases.ZH_NAME_CHARS)
        else:
            name = rng.choice(phrases.ZH_NAME_WORDS) + rng.choice(["", "", "呀", "酱", str(rng.randint(1, 9))])
        viewer = {"id": f"v{n}", "name": name}
        self.viewers.append(viewer)
        return viewer

    def someone(self) -> dict[str, str]:
        if not self.viewers or self.rng.random() < 0.1:
            return self.new_viewer()
        return self.rng.choice(self.viewers)

    def product_ref(self, lang: str) -> tuple[str, Product | None]:
        """A reference to a product as viewers write it, and the product meant (None: the stage one)."""
        rng, stage = self.rng, self.stage
        style = rng.choices(["link", "name", "deictic", "none"], [0.3, 0.2, 0.2, 0.3])[0]
        product = stage if rng.random() < 0.5 or stage is None else rng.choice(self.catalog.products)
        if style == "link" and product is not None:
            if lang == "en":
                return rng.choice([f"link {product.link}", f"#{product.link}"]), product
            return rng.choice([f"{product.link}号链接", f"{product.link}号", f"{_cn(product.link)}号链接"]), product
        if style == "name" and product is not None:
            names = [product.name, *product.aliases]
            names = [n for n in names if n.isascii()] if lang == "en" else [n for n in names if not n.isascii()]
            if names:
                return rng.choice(names), product
        if style == "deictic" or lang == "en":
            return (rng.choice(["this one", "it", "this"]) if lang == "en" else "这个"), stage
        return "", stage

    def question(self, t: float, intent: str, lang: str) -> None:
        table = phrases.EN_QUESTIONS if lang == "en" else phrases.ZH_QUESTIONS
        template = self.rng.choice(table[intent])
        ref, product = ("", None) if "{ref}" not in template else self.product_ref(lang)
        if "{ref}" in template and product is None:
            product = self.stage
        text = " ".join(template.format(ref=ref).split()) if lang == "en" else template.format(ref=ref)
        sku = None if intent == "shipping" else (product.sku if product is not None else None)
        eid = self.emit(t, "comment", self.someone(), text=self._noise(text))
        self.expected[eid] = {"category": "question", "intent": intent, "sku": sku, "lang": lang,
                              "answerable": intent in ANSWERABLE and (sku is not None or intent == "shipping")}

    def _noise(self, text: str) -> str:
        roll = self.rng.random()
        if roll < 0.08:
            return text + self.rng.choice(["～", "!!", " 🙏", "😍", "？？？"])
        if roll < 0.12:
            return text.replace("？", "?")
        return text

    def flood(self, t: float, size: int) -> None:
        if self.stage is None:
            return
        for _ in range(size):
            text = self.rng.choice(phrases.FLOOD).format(n=self.stage.link)
            eid = self.emit(t + self.rng.uniform(0, 8), "comment", self.new_viewer(), text=text)
            self.expected[eid] = {"category": "flood", "intent": "price", "sku": self.stage.sku, "lang": "zh",
                                  "answerable": True}

    def labelled(self, t: float, category: str, text: str, intent: str | None = None) -> None:
        eid = self.emit(t, "comment", self.someone(), text=text)
        lang = "en" if text.isascii() else "zh"
        self.expected[eid] = {"category": category, "intent": intent, "sku": None, "lang": lang,
                              "answerable": False}

    def comment(self, t: float) -> None:
        rng = self.rng
        kind = rng.choices(["question", "spec", "purchase", "greeting", "chitchat", "complaint", "bait",
                            "injection", "spam"], [45, 7, 6, 10, 16, 2, 5, 3, 6])[0]
        if kind in ("question", "spec", "purchase"):
            intent = rng.choices(ANSWERABLE, [35, 20, 20, 25])[0] if kind == "question" else kind
            lang = "en" if intent in phrases.EN_QUESTIONS and rng.random() < self.english_share else "zh"
            self.question(t, intent, lang)
        elif kind == "bait":
            text, intent = rng.choice(phrases.BAIT)
            self.labelled(t, "bait", text, intent)
        else:
            table = {"greeting": phrases.GREETINGS, "chitchat": phrases.CHITCHAT, "complaint": phrases.COMPLAINTS,
                     "injection": phrases.INJECTIONS, "spam": phrases.SPAM}[kind]
            intent = kind if kind in ("greeting", "chitchat", "complaint") else None
            self.labelled(t, kind, rng.choice(table), intent)


def generate_trace(catalog: Catalog | str | Path, minutes: float = 60, seed: int = 0, *, flood: bool = True,
                   flood_every_s: float = 600.0, flood_size: int = 50, comments_per_min: float = 24.0,
                   english_share: float = 0.08, enters_per_s: float = 0.5) -> GeneratedTrace:
    """A realistic trace over ``catalog`` (see the module docstring)."""
    show = _Show(_load(catalog), random.Random(seed), english_share)
    rng, products = show.rng, sorted(show.catalog.products, key=lambda p: p.link)
    end, t, segment_end, index = minutes * 60.0, 0.0, 0.0, 0
    next_flood = min(120.0, flood_every_s) if flood else float("inf")
    rates = {"enter": enters_per_s, "like": 0.15, "follow": 0.03, "gift": 0.02, "order": 0.04,
             "comment": comments_per_min / 60.0}
    while t < end:
        if t >= segment_end and products:
            show.stage = products[index % len(products)]
            index += 1
            show.emit(t, "stage", sku=show.stage.sku)
            segment_end = t + rng.uniform(240, 420)
        if t >= next_flood:
            if segment_end - t < 20:  # a flood asks about one product: not across a stage change
                next_flood = segment_end + 30
            else:
                show.flood(t + 0.5, flood_size)
                next_flood += flood_every_s
        if int(t) % 30 == 0:
            show.emit(t + 0.01, "stats", viewers=200 + len(show.viewers))
        for kind, rate in rates.items():
            for _ in range(_poisson(rng, rate)):
                at = t + rng.random()
                if kind == "comment":
                    show.comment(at)
                elif kind == "enter":
                    show.emit(at, "enter", show.new_viewer())
                elif kind == "like":
                    show.emit(at, "like", show.someone(), count=rng.randint(1, 30))
                elif kind == "follow":
                    show.emit(at, "follow", show.someone())
                elif kind == "gift":
                    gift, value = rng.choice(phrases.GIFTS)
                    count = rng.choice([1, 1, 1, 3, 10])
                    show.emit(at, "gift", show.someone(), gift=gift, count=count, value=str(value * count))
                elif show.stage is not None:
                    show.emit(at, "order", show.someone(), sku=show.stage.sku, qty=rng.choice([1, 1, 2, 3]),
                              order_id=f"o{len(show.records)}")
        t += 1.0
    records = sorted((r for r in show.records if r["t"] < end), key=lambda r: (r["t"], r["id"]))
    ids = {r["id"] for r in records}
    return GeneratedTrace(records, {k: v for k, v in show.expected.items() if k in ids})


def _poisson(rng: random.Random, rate: float) -> int:
    """Events in one second at ``rate`` per second (Knuth's method; rates here are small)."""
    limit, count, product = pow(2.718281828459045, -rate), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
