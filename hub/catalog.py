"""The product catalog model every catalog connector fills: a shop and its products.

Prices are :class:`decimal.Decimal`, never floats. ``link`` is the cart position viewers use ("1号链接",
"link 1"). A product may have variants (sizes, colours), each with its own SKU, price and stock: the
product's ``price``, ``promo_price`` and ``stock`` are then those of its cheapest variant and the sum of the
variants' stock. Parsing reports bad rows with their row number and field and keeps the good rows.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from hub.currencies import is_currency

_BLOCK_TAG = re.compile(r"<\s*/?\s*(?:p|br|div|li|ul|ol|h[1-6]|tr|td|table)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def plain_text(text: str, limit: int = 2000) -> str:
    """A shop's HTML description as plain text: block tags become spaces, other tags go, entities are decoded."""
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", text)))).strip()[:limit]


def _decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        raise ValueError("prices must be written as strings or integers (\"168.00\"), not floats")
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"not a decimal number: {value!r}") from None
    if not result.is_finite() or result < 0:
        raise ValueError(f"not a valid price: {value!r}")
    return result


def _currency(value: Any) -> Any:
    if value is not None and not (isinstance(value, str) and is_currency(value)):
        raise ValueError(f"unknown currency {value!r} (an ISO 4217 code such as CNY, USD, EUR)")
    return value


class Shop(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    currency: str = "CNY"
    locale: str = "zh-CN"
    shipping: str = ""
    returns: str = ""

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: Any) -> Any:
        return _currency(value)


class Variant(BaseModel):
    """One buyable version of a product (a size, a colour) with its own SKU, price and stock."""

    model_config = ConfigDict(extra="forbid")

    id: str = ""  # the shop's variant id
    sku: str = Field(min_length=1)
    title: str = ""
    price: Decimal
    promo_price: Decimal | None = None
    stock: int = Field(0, ge=0)
    stock_id: str = ""  # the shop's id for the variant's stock (Shopify's inventory item)

    @field_validator("price", "promo_price", mode="before")
    @classmethod
    def _prices(cls, value: Any) -> Any:
        return None if value in (None, "") else _decimal(value)

    @property
    def current_price(self) -> Decimal:
        return self.promo_price if self.promo_price is not None else self.price


class LocaleText(BaseModel):
    """A product's name and description in one locale (the shop's translations)."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    description: str = ""


class Product(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = ""  # the shop's product id ("" in a file catalog: the SKU identifies it)
    sku: str = Field(min_length=1)
    link: int = Field(ge=1)
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    price: Decimal
    promo_price: Decimal | None = None
    stock: int = Field(0, ge=0)
    attributes: dict[str, Any] = Field(default_factory=dict)
    selling_points: list[str] = Field(default_factory=list)
    description: str = ""
    image: str | None = None  # the main picture: a path (file catalogs) or an URL; the catalog connector reads it
    images: list[str] = Field(default_factory=list)  # every picture, the main one first
    currency: str | None = None  # the prices' currency when the shop says it per product (else the shop's)
    variants: list[Variant] = Field(default_factory=list)
    texts: dict[str, LocaleText] = Field(default_factory=dict)  # translations by locale

    @field_validator("price", "promo_price", mode="before")
    @classmethod
    def _prices(cls, value: Any) -> Any:
        return None if value in (None, "") else _decimal(value)

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: Any) -> Any:
        return _currency(value)

    @model_validator(mode="before")
    @classmethod
    def _from_variants(cls, data: Any) -> Any:
        """With variants, the product's price and promotion are its cheapest variant's and its stock their sum."""
        if not isinstance(data, dict) or not data.get("variants"):
            return data
        try:
            variants = [Variant.model_validate(v) for v in data["variants"]]
        except (ValidationError, TypeError):
            return data  # the variants' own validation reports what is wrong
        cheapest = min(variants, key=lambda v: v.current_price)
        return {**data, "price": cheapest.price, "promo_price": cheapest.promo_price,
                "stock": sum(v.stock for v in variants)}

    @model_validator(mode="after")
    def _distinct_variant_skus(self) -> Product:
        skus = [v.sku for v in self.variants]
        if len(set(skus)) != len(skus):
            raise ValueError("two variants have the same sku")
        return self

    def skus(self) -> list[str]:
        """The product's SKU and its variants' (what a duplicate check compares)."""
        return [self.sku, *(v.sku for v in self.variants if v.sku != self.sku)]

    def text(self, locale: str) -> LocaleText:
        """Name and description in ``locale`` (the shop's translation, else the product's own)."""
        own = self.texts.get(locale) or self.texts.get(locale.split("-")[0])
        return LocaleText(name=(own.name if own else "") or self.name,
                          description=(own.description if own else "") or self.description)

    @property
    def current_price(self) -> Decimal:
        """What a viewer pays now: the promotion price if there is one."""
        return self.promo_price if self.promo_price is not None else self.price


class RowProblem(BaseModel):
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.reason}"


class Catalog(BaseModel):
    """A shop and its products at one moment. Treat it as immutable: a connector that learns of a change
    builds a new catalog (lookups by SKU and link are indexed on first use)."""

    shop: Shop
    products: list[Product] = Field(default_factory=list)
    problems: list[RowProblem] = Field(default_factory=list)
    _index: tuple[dict[str, Product], dict[int, Product]] | None = PrivateAttr(None)

    def _lookup(self) -> tuple[dict[str, Product], dict[int, Product]]:
        if self._index is None:
            self._index = ({p.sku: p for p in reversed(self.products)},
                           {p.link: p for p in reversed(self.products)})
        return self._index

    def by_sku(self, sku: str) -> Product | None:
        return self._lookup()[0].get(sku)

    def by_link(self, link: int) -> Product | None:
        return self._lookup()[1].get(link)


def build_catalog(shop: dict[str, Any], rows: list[dict[str, Any]], *, first_row: int = 1) -> Catalog:
    """Validate ``rows`` one by one; bad rows become :class:`RowProblem` and good rows still load."""
    products: list[Product] = []
    problems: list[RowProblem] = []
    seen_sku: set[str] = set()
    seen_link: set[int] = set()
    for number, row in enumerate(rows, start=first_row):
        try:
            product = Product.model_validate(row)
        except ValidationError as exc:
            for err in exc.errors(include_input=False, include_url=False):
                field = ".".join(str(p) for p in err["loc"]) or "row"
                msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
                problems.append(RowProblem(row=number, field=field, reason=msg.removeprefix("Value error, ")))
            continue
        if product.sku in seen_sku:
            problems.append(RowProblem(row=number, field="sku", reason=f"duplicate sku {product.sku!r}"))
            continue
        if product.link in seen_link:
            problems.append(RowProblem(row=number, field="link", reason=f"duplicate link {product.link}"))
            continue
        seen_sku.add(product.sku)
        seen_link.add(product.link)
        products.append(product)
    return Catalog(shop=Shop.model_validate(shop), products=products, problems=problems)
