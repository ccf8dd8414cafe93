"""Answers from the catalog alone: one template per intent and locale, ``prompts/<locale>/answers/``.

No network, no model, the same answer for the same question and catalog: this backend is the default
and the last fallback of every chain. Its templates state only catalog figures (the current price, the
list and promotion price, the stock, the shop's shipping and returns text), never a computed discount,
so what it says always passes the fact guard.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from pydantic import Field

from hub.answers import AnswerBackend, AnswerBackendSettings, AnswerRequest, canonical_intent
from hub.errors import BackendError

_WORD = re.compile(r"[a-z]{4,}|[\u4e00-\u9fff]{2,}")
_NOT_ASKED = frozenset({"what", "this", "that", "does", "have", "with", "your", "there", "about", "much",
                        "many", "will", "would", "could", "should", "they", "them", "these", "those", "item"})


def matching_facts(question: str, product: Any) -> list[str]:
    """The product's selling points, description sentences and attributes that share a word with the
    question ("is the jacket waterproof?" → "fully waterproof with taped seams"): what a detail question
    asks for, stated before the rest. Chinese words are any two characters of the question in a row."""
    if product is None or not question:
        return []
    text = question.lower()
    words = {w for w in _WORD.findall(text) if w not in _NOT_ASKED}
    words |= {run[i:i + 2] for run in re.findall(r"[\u4e00-\u9fff]{2,}", text) for i in range(len(run) - 1)}
    name = product.name.lower()
    words = {w for w in words if w not in name}  # naming the product is not asking about a detail
    facts = [*product.selling_points,
             *(s.strip() for s in re.split(r"[。.!！；;]", product.description or "") if s.strip()),
             *(f"{k}: {v if isinstance(v, str) else '/'.join(map(str, v)) if isinstance(v, list) else v}"
               for k, v in product.attributes.items())]
    return [fact for fact in facts if any(w in fact.lower() for w in words)][:2]


# Intents that make no sense without knowing which product is meant.
NEEDS_PRODUCT = frozenset({"price", "stock", "spec", "promotion", "purchase"})


class CatalogSettings(AnswerBackendSettings):
    low_stock: int = Field(20, ge=0, description="at or below this, the stock answer urges to order")
    max_products: int = Field(3, ge=1, description="products named in one answer at most")
    max_sentences: int = Field(6, ge=1)


class CatalogBackend(AnswerBackend):
    """Renders ``answers/<intent>.j2`` (``answers/which_product.j2`` when the product is unknown)."""

    name: ClassVar[str] = "catalog"
    uses_llm: ClassVar[bool] = False
    cacheable: ClassVar[bool] = False

    def __init__(self, settings: CatalogSettings | None = None, hub: Any = None) -> None:
        super().__init__(settings if settings is not None else CatalogSettings(), hub)

    def template_for(self, request: AnswerRequest) -> str:
        """The template that answers ``request``."""
        intent = canonical_intent(request.intent)
        if intent in NEEDS_PRODUCT and request.product is None:
            return "answers/which_product.j2"
        return f"answers/{intent}.j2"

    def render(self, request: AnswerRequest) -> str:
        """The whole answer text (several sentences)."""
        from hub.prompts import BUILTIN_DIR, PromptLibrary, prompt_library

        library = prompt_library(self.hub, request.room) if self.hub is not None else PromptLibrary([BUILTIN_DIR])
        name = self.template_for(request)
        if not library.has(name, request.locale):
            name = "answers/other.j2"
        variables = request.template_vars()
        settings: CatalogSettings = self.settings  # type: ignore[assignment]
        products = variables["products"] or ([request.product] if request.product else [])
        variables.update(products=products[: settings.max_products], low_stock=settings.low_stock,
                         choices=self._choices(request, settings.max_products),
                         matching=matching_facts(request.question, request.product))
        return library.render(name, request.locale, **variables)

    def _choices(self, request: AnswerRequest, limit: int) -> list[Any]:
        """Products to offer when the question names none: the likely ones it may mean, else the stage
        product first, then the catalog's."""
        if request.likely:
            return list(request.likely[:limit])
        out = [request.stage_product] if request.stage_product else []
        catalog = self.hub.catalog(request.room or None) if self.hub is not None else None
        for product in (catalog.products if catalog else []):
            if all(p.sku != product.sku for p in out):
                out.append(product)
        return out[:limit]

    async def _stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        try:
            text = self.render(request)
        except Exception as exc:  # a merchant's broken template: say which one
            raise BackendError(f"catalog: template for {request.intent!r} ({request.locale}) failed: "
                               f"{type(exc).__name__}: {exc}", backend=self.name) from exc
        yield text
