"""The scheduled job type ``campaign.run`` ``{campaign}``: run a campaign on the scheduler's clock (once, by
interval or cron, as any schedule; see docs/scheduler.md)."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.specs import JobType
from plugins.campaigns.model import NAME_PATTERN

log = logging.getLogger("livehub.campaigns")


class RunArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign: str = Field(pattern=NAME_PATTERN)
    plan: str | None = Field(None, max_length=128, description="the before-show plan that added this run")


async def run_job(hub: Any, campaign: str, plan: str | None = None) -> None:
    from plugins.campaigns.service import CampaignService

    service = hub.slots.setdefault(CampaignService, lambda: CampaignService(hub))
    run = await service.run(campaign, f"before_show:{plan}" if plan else "schedule")
    if run["status"] != "done":
        log.warning("campaign %s: run %s failed: %s", campaign, run["id"], run.get("error"))


JOB_TYPES = (JobType("campaign.run", run_job, "Run a campaign: generate, review and queue its content", RunArgs),)
