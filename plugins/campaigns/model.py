"""A campaign's definition: which products, for which segments, which content kinds, which channels, how many
variants, and whether a person approves each item."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.outbound import CHANNEL_LIMITS

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"


class BeforeShow(BaseModel):
    """Run the campaign ``hours`` before each scheduled start of a show (of ``room``, or any room)."""

    model_config = ConfigDict(extra="forbid")

    hours: float = Field(gt=0, le=24 * 30)
    room: str | None = None


class Campaign(BaseModel):
    """``PUT /api/v1/campaigns/<name>`` takes this (docs/campaigns.md)."""

    model_config = ConfigDict(extra="forbid")

    room: str | None = Field(None, description="the room whose shop the products come from (default: the first)")
    products: list[str] = Field(default_factory=list, max_length=500, description="SKUs; or use a rule")
    rule: Literal["all", "low_stock", "on_promotion", "next_show"] | None = Field(
        None, description="the products chosen when the campaign runs, instead of a list (next_show: those of the "
                          "next scheduled show, of the campaign's room or before_show room if given)")
    low_stock_below: int = Field(20, ge=1, description="the rule low_stock: products with fewer than this")
    segments: list[str] = Field(default_factory=lambda: [""], min_length=1, max_length=50,
                                description='the audiences ("" for everyone): segments of the built-in CRM')
    kinds: list[str] = Field(default_factory=lambda: ["copy"], min_length=1, description="content kinds")
    channels: list[str] = Field(min_length=1, description=f"channel kinds: {', '.join(CHANNEL_LIMITS)}")
    variants: int = Field(2, ge=1, le=8, description="variants per item, for A/B")
    approval: Literal["auto", "manual"] = Field("manual", description="manual: a person approves each item")
    locale: str | None = Field(None, description="default: the shop's")
    link: str = Field("", max_length=500, description="where readers go ({sku} is filled in)")
    before_show: BeforeShow | None = Field(None, description="run this long before each scheduled show")

    @model_validator(mode="after")
    def _products_or_rule(self) -> Campaign:
        if not self.products and self.rule is None:
            raise ValueError("products (a list of SKUs) or rule (all, low_stock, on_promotion, next_show)")
        unknown = [c for c in self.channels if c not in CHANNEL_LIMITS]
        if unknown:
            raise ValueError(f"channels: unknown {', '.join(unknown)} (known: {', '.join(CHANNEL_LIMITS)})")
        return self


class CampaignsSettings(BaseModel):
    """``[plugins.campaigns]``."""

    model_config = ConfigDict(extra="forbid")

    consent: Literal["any", "granted"] = Field("any", description='who may get messages: "any" (everyone but '
                                                                  'those who unsubscribed) or "granted" only')
    public_url: str = Field("", description="the hub's address readers reach (tracked and unsubscribe links); "
                                            "default: the web server's")
    plan_interval_s: float = Field(60.0, ge=1, le=3600, description="how often scheduled shows are looked at "
                                                                     "for campaigns that run before them")
    attribution_hours: float = Field(72.0, gt=0, le=24 * 90, description="an order this long after a click counts "
                                                                        "for the campaign")
