"""The customers plugin's settings (``[plugins.customers]``) and the room's ``region`` (``[rooms.<name>]``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Requirement = Literal["any", "granted", "none"]
"""What a viewer's consent must be for anything about them to reach a CRM: ``any`` (unless they refused),
``granted`` (only people who said yes), ``none`` (nothing is sent)."""


class ConsentPolicy(BaseModel):
    """The merchant's consent policy. A platform's rule wins over the room's region's, which wins over the
    default: ``platforms = {douyin = "granted"}``, ``regions = {EU = "granted", CN = "any"}``. A refused
    consent is always honoured."""

    model_config = ConfigDict(extra="forbid")

    default: Requirement = Field("any", description="the requirement where no platform or region rule applies")
    platforms: dict[str, Requirement] = Field(default_factory=dict, description="per platform (douyin, tiktok ...)")
    regions: dict[str, Requirement] = Field(default_factory=dict, description="per room region ([rooms.x] region)")

    def requirement(self, platform: str, region: str) -> Requirement:
        if platform in self.platforms:
            return self.platforms[platform]
        if region and region in self.regions:
            return self.regions[region]
        return self.default


class CustomersSettings(BaseModel):
    """``[plugins.customers]``: what room behaviour becomes in the CRM (docs/crm.md, "From viewers to
    customers")."""

    model_config = ConfigDict(extra="forbid")

    crms: list[str] | None = Field(None, description="the CRM connectors written to; default: every one configured")
    lead_intents: list[str] = Field(["purchase"], description="question intents that open a lead on the product")
    lead_after_s: float = Field(1800.0, gt=0, le=7 * 86400,
                                description="a lead is written when no order for the product follows in this time")
    note_after_s: float = Field(900.0, gt=0, le=86400,
                                description="a viewer's visit note is written this long after their last activity "
                                            "(or when the room's show ends)")
    consent: ConsentPolicy = Field(default_factory=ConsentPolicy)
    consent_cache_s: float = Field(30.0, ge=0, le=3600, description="how long a looked-up consent is reused")


class CustomerRoomSettings(BaseModel):
    """The key of ``[rooms.<name>]`` the consent policy reads."""

    model_config = ConfigDict(extra="forbid")

    region: str = Field("", max_length=32, description='the market the room sells to (e.g. "EU", "US", "CN"), '
                                                        "for the CRM consent policy")
