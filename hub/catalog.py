"""The product catalog model every catalog connector fills: a shop and its products.

Prices are :class:`decimal.Decimal`, never floats. ``link`` is the cart position viewers use ("1号链接",
"link 1"). Parsing reports bad rows with their row number and field and keeps the good rows.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


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


class Shop(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    currency: str = "CNY"
    locale: str = "zh-CN"
    shipping: str = ""
    returns: str = ""


class Product(BaseModel):
    model_config = ConfigDict(extra="forbid")

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
    image: str | None = None

    @field_validator("price", "promo_price", mode="before")
    @classmethod
    def _prices(cls, value: Any) -> Any:
        return None if value in (None, "") else _decimal(value)

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
    shop: Shop
    products: list[Product] = Field(default_factory=list)
    problems: list[RowProblem] = Field(default_factory=list)

    def by_sku(self, sku: str) -> Product | None:
        return next((p for p in self.products if p.sku == sku), None)

    def by_link(self, link: int) -> Product | None:
        return next((p for p in self.products if p.link == link), None)


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
