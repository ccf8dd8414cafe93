"""The CRM channel: the message is written as a note on the person's contact (by their email, else their first
account) in the configured CRM connectors, through the CRM outbox with the message's key, so it is made once
even when sent again; delivered means stored in the outbox (the outbox delivers it to the CRM)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hub.crm import CrmConnector
from hub.outbound_channels import Channel, ChannelRejected, ChannelSettings, OutboundMessage


class CrmChannelSettings(ChannelSettings):
    crms: list[str] | None = Field(None, description="the CRM connectors written to; default: every one")
    rate_per_s: float = Field(100.0, gt=0, description="writes a second at most (they go to the outbox)")


class CrmChannel(Channel):
    name = "crm"
    kind = "crm"
    address = "crm"
    config: CrmChannelSettings

    async def deliver(self, message: OutboundMessage) -> dict[str, Any]:
        wanted = self.config.crms
        crms = [c for c in self.hub.connectors.values()
                if isinstance(c, CrmConnector) and (wanted is None or c.name in wanted)]
        if not crms:
            raise ChannelRejected("no CRM connector configured")
        text = f"{message.subject}\n\n{message.text}" if message.subject else message.text
        stored = [await crm.add_note(message.to, text, key=f"campaign:{message.key}", subject=message.subject,
                                     campaign=message.data.get("campaign"), variant=message.data.get("variant"))
                  for crm in crms]
        return {"stored": sum(stored), "crms": [c.name for c in crms]}
