"""The fact guard: every price, saving, discount, stock, shipping or gift statement must match the catalog.

What happens to a figure the catalog does not support:

* a wrong price is replaced in place by the product's real price (the promotion price, or the list price
  after "原价"/"was") and the wrong figure is then swept from the whole line; a negated one ("不是99元")
  loses its clause, so the host never says "not X";
* a wrong discount, saving or coupon, a price that belongs to no product, and shipping or return claims
  the shop does not make drop their sentence;
* a stock figure above the catalog's is replaced by the catalog's;
* saying a sold-out product is in stock or can still be ordered ("有货", "还能拍", "still available") drops
  the sentence (the shop's stock is live: a product that sold out a second ago is sold out);
* "free", "0元", "1元" promises go unless the merchant allows gifts and the catalog offers one.

Without a catalog nothing can be verified, so every sentence with a figure is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from hub.catalog import Catalog, Product
from hub.figures import Figure, find_figures, format_amount
from hub.review import ReviewContext

from .policies import check_policies
from .products import CatalogView, Mention, fold_ratio, nearest, view_of
from .sentences import EditPlan, clause_span

_NEGATION = re.compile(r"(不是|并非|并不是|而不是|不再是|不要|别信|没有|\bnot\b|\bisn't\b|\bnever\b|\binstead of\b|"
                       r"\brather than\b|\bno longer\b)[^，,。.!?！？;；]{0,6}$", re.IGNORECASE)
_POLICY_TOPIC = re.compile(r"ship|deliver|postage|return|refund|exchange|orders? (?:over|above)|包邮|运费|邮费|"
                           r"快递|发货|退|换货|满\s*\d", re.IGNORECASE)
_AVAILABLE = re.compile(r"(?<![没无])有货|现货|库存充足|货很足|货源充足|还能拍|还可以拍|还能下单|还可以下单|还没抢完|"
                        r"\bin stock\b|\b(?:still |now )?available\b|\bplenty left\b|"
                        r"\byou can still (?:order|buy|get)\b", re.IGNORECASE)
_TOLERANCE = Decimal("0.05")  # folds: 128/168 = 7.619 may be said as 7.6折 or "24% off"
_SYMBOL = {"CNY": "¥", "USD": "$", "EUR": "€"}


def check_facts(text: str, context: ReviewContext, catalog: Catalog | None,
                allow_free_gifts: bool = False) -> tuple[str | None, list[str]]:
    """Return ``(new text or None when nothing is left, reasons)``; ``(text, [])`` when all is true."""
    figures = find_figures(text)
    plan = EditPlan(text)
    reasons: list[str] = []
    if catalog is None:
        for figure in figures:
            if not plan.is_dropped(figure.start):
                plan.drop(figure.start)
                reasons.append(f"{figure.kind} {_said(text, figure)!r}: no catalog to check it against; "
                               f"sentence dropped")
        reasons += check_policies(text, plan, None)
        return _finish(text, plan, reasons)
    view = view_of(catalog)
    guard = _FigureGuard(text, plan, view, context, allow_free_gifts)
    policy = _policy_figures(catalog)
    for figure in figures:
        if not plan.is_dropped(figure.start) and not guard.states_policy(figure, policy):
            guard.check(figure)
    guard.check_availability(figures)
    reasons = guard.reasons + check_policies(text, plan, catalog.shop)
    result, reasons = _finish(text, plan, reasons)
    if result:
        result = _sweep(result, guard.wrong, view, reasons)
    return (result or None), reasons


def _finish(text: str, plan: EditPlan, reasons: list[str]) -> tuple[str | None, list[str]]:
    if not plan.changed:
        return text, reasons
    result = plan.result()
    return (result or None), reasons


def _said(text: str, figure: Figure) -> str:
    return text[figure.start:figure.end].strip()


class _FigureGuard:
    """Checks one line's figures against a catalog view, collecting edits in ``plan``."""

    def __init__(self, text: str, plan: EditPlan, view: CatalogView, context: ReviewContext,
                 allow_free_gifts: bool) -> None:
        self.text, self.plan, self.view, self.context = text, plan, view, context
        self.gifts = allow_free_gifts and view.offers_gifts()
        self.reasons: list[str] = []
        self.wrong: list[str] = []  # wrong figures as written, swept from the final line
        self.mentions = view.mentions(text)

    # -- attribution --------------------------------------------------------------------------------

    def _sentence_mentions(self, pos: int) -> list[Mention]:
        """Products named in the figure's clause ("杯子128元" in "茶128元，杯子128元"), else its sentence."""
        start, end = self.plan.span_of(pos)
        own = [m for m in self.mentions if start <= m.start < end]
        a, b = clause_span(self.text, (start, end), pos)
        in_clause = [m for m in own if a <= m.start < b]
        return in_clause or own

    def candidates(self, pos: int) -> tuple[list[Product], Product | None]:
        """The products a figure at ``pos`` may be about, and the one a correction should use."""
        own = self._sentence_mentions(pos)
        if own:
            return _unique([m.product for m in own]), nearest(own, pos)
        start = self.plan.span_of(pos)[0]
        earlier = [m for m in self.mentions if m.start < start]
        if earlier:
            last = self.plan.span_of(earlier[-1].start)
            products = _unique([m.product for m in earlier if m.start >= last[0]])
            return products, products[-1]
        skus = self.context.skus or ([self.context.stage_sku] if self.context.stage_sku else [])
        products = [p for sku in skus if (p := self.view.catalog.by_sku(sku)) is not None]
        return products, (products[0] if len(products) == 1 else None)

    def states_policy(self, figure: Figure, policy: set[tuple[str, Decimal | None]]) -> bool:
        """The figure is one of the shop's own policy figures ("free shipping over $50", "满99包邮") said
        where no product is named: a fact, never to be "corrected" into a product's price."""
        if (figure.kind, figure.value) not in policy or self._sentence_mentions(figure.start):
            return False
        start, end = self.plan.span_of(figure.start)
        return bool(_POLICY_TOPIC.search(self.text[start:end]))

    # -- actions ------------------------------------------------------------------------------------

    def _negated(self, figure: Figure) -> bool:
        start = self.plan.span_of(figure.start)[0]
        return bool(_NEGATION.search(self.text[start:figure.start]))

    def _drop(self, figure: Figure, why: str) -> None:
        said = _said(self.text, figure)
        if self._negated(figure):
            a, b = clause_span(self.text, self.plan.span_of(figure.start), figure.start)
            if self.plan.replace(a, b, ""):
                self.reasons.append(f"{figure.kind} {said!r}: {why}; negated clause removed")
                self.wrong.append(self.text[figure.num_start:figure.num_end])
                return
        self.plan.drop(figure.start, figure.end)
        self.reasons.append(f"{figure.kind} {said!r}: {why}; sentence dropped")

    def _fix(self, figure: Figure, product: Product, new: Decimal, why: str) -> None:
        if self._negated(figure):
            self._drop(figure, why)
            return
        shop_currency = self.view.catalog.shop.currency
        amount = format_amount(new)
        start, end, replacement = figure.num_start, figure.num_end, amount
        if figure.whole or (figure.currency and figure.currency != shop_currency):
            start, end = figure.start, figure.end
            replacement = _with_currency(amount, shop_currency, self.text)
        if not self.plan.replace(start, end, replacement):
            self._drop(figure, why)
            return
        self.wrong.append(self.text[figure.num_start:figure.num_end])
        self.reasons.append(f"{figure.kind} {_said(self.text, figure)!r}: {why}; "
                            f"replaced with {replacement} ({product.sku})")

    # -- checks -------------------------------------------------------------------------------------

    def check(self, figure: Figure) -> None:
        handler: dict[str, Callable[[Figure], None]] = {
            "price": self._price, "saving": self._saving, "discount": self._discount,
            "stock": self._stock, "coupon": self._coupon, "giveaway": self._giveaway}
        handler[figure.kind](figure)

    def check_availability(self, figures: list[Figure]) -> None:
        """Drop each sentence that says a sold-out product is in stock (a figure there was checked already)."""
        for m in _AVAILABLE.finditer(self.text):
            start = m.start()
            if self.plan.is_dropped(start) or any(f.start <= start < f.end for f in figures):
                continue
            sentence = self.plan.span_of(start)
            if _NEGATION.search(self.text[sentence[0]:start]):
                continue
            products, target = self.candidates(start)
            sold_out = [p for p in ([target] if target is not None else products) if p.stock <= 0]
            if sold_out and len(sold_out) == len([target] if target is not None else products):
                self.plan.drop(start, m.end())
                self.reasons.append(f"availability {m.group(0)!r}: {', '.join(p.sku for p in sold_out)} "
                                    f"is sold out; sentence dropped")

    def _coupon(self, figure: Figure) -> None:
        self._drop(figure, "the catalog has no coupons")

    def _giveaway(self, figure: Figure) -> None:
        if not self.gifts:
            self._drop(figure, "free/1-yuan promise the catalog does not make")

    def _price(self, figure: Figure) -> None:
        value = figure.value
        assert value is not None
        products, target = self.candidates(figure.start)
        currency_ok = figure.currency is None or figure.currency == self.view.catalog.shop.currency
        if any(value in _prices(p) for p in products) or (not products and self.view.is_catalog_price(value)):
            if not currency_ok and target is not None:
                self._fix(figure, target, value, f"wrong currency (shop sells in {self.view.catalog.shop.currency})")
            return
        if value <= 1:
            self._drop(figure, "free/1-yuan promise the catalog does not make")
            return
        if target is None:
            why = ("matches no product in the catalog" if not products
                   else f"matches none of {', '.join(p.sku for p in products)}")
            self._drop(figure, why)
            return
        new = target.price if figure.is_original_price else target.current_price
        self._fix(figure, target, new, f"not the price of {target.sku} ({target.name})")

    def _saving(self, figure: Figure) -> None:
        products, _ = self.candidates(figure.start)
        pool = products or self.view.products
        if not any(p.promo_price is not None and p.price - p.promo_price == figure.value for p in pool):
            self._drop(figure, "no such saving in the catalog")

    def _discount(self, figure: Figure) -> None:
        products, _ = self.candidates(figure.start)
        pool = products or self.view.products
        ratios = [(p, r) for p in pool if (r := fold_ratio(p)) is not None]
        assert figure.value is not None
        if any(abs(figure.value - r) <= _TOLERANCE for _, r in ratios):
            return
        if not ratios:
            self._drop(figure, f"{', '.join(p.sku for p in pool) or 'the catalog'} has no promotion")
            return
        shown = ", ".join(f"{p.sku} is {r.quantize(Decimal('0.1'))}折" for p, r in ratios)
        self._drop(figure, f"discount does not match the catalog ({shown})")

    def _stock(self, figure: Figure) -> None:
        assert figure.value is not None
        products, target = self.candidates(figure.start)
        pool = products or self.view.products
        if any(figure.value <= p.stock for p in pool):
            return
        if target is not None and target.stock > 0:
            self._fix(figure, target, Decimal(target.stock), f"more than the {target.stock} in stock")
            return
        self._drop(figure, "more than the catalog's stock")


def _policy_figures(catalog: Catalog) -> set[tuple[str, Decimal | None]]:
    """(kind, value) of every figure in the shop's shipping and returns policies."""
    shop = catalog.shop
    text = " ".join(t for t in (getattr(shop, "shipping", ""), getattr(shop, "returns", "")) if t)
    return {(f.kind, f.value) for f in find_figures(text)} if text else set()


def _prices(product: Product) -> set[Decimal]:
    return {product.price} | ({product.promo_price} if product.promo_price is not None else set())


def _unique(products: list[Product]) -> list[Product]:
    seen: dict[str, Product] = {}
    for product in products:
        seen.setdefault(product.sku, product)
    return list(seen.values())


def _with_currency(amount: str, currency: str, text: str) -> str:
    if currency == "CNY" and re.search(r"[\u4e00-\u9fff]", text):
        return f"{amount}元"
    symbol = _SYMBOL.get(currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def _sweep(text: str, wrong: list[str], view: CatalogView, reasons: list[str]) -> str | None:
    """Drop any sentence that still carries a corrected figure that is no catalog fact at all."""
    plan = EditPlan(text)
    for raw in set(wrong):
        number = raw.replace(",", "")
        facts = {format_amount(p) for p in view.prices} | {str(s) for s in view.stocks}
        if not number or number in facts:
            continue
        pattern = re.escape(number) if not number[0].isdigit() else rf"(?<![\d.]){re.escape(number)}(?![\d])"
        for m in re.finditer(pattern, text):
            if not plan.is_dropped(m.start()):
                plan.drop(m.start(), m.end())
                reasons.append(f"figure {raw!r} repeated after its correction; sentence dropped")
    if not plan.changed:
        return text
    return plan.result() or None
