"""The CRM as a channel (``[backends.channel.crm]``): an outbound message becomes an activity on the person's
contact in the CRM, through the CRM outbox (so the CRM's own email or sequences can take it from there). See
docs/campaigns.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "channel_crm"


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.channel_crm.channel import CrmChannel, CrmChannelSettings

    return [BackendSpec(kind="channel", name="crm", factory=CrmChannel, config_model=CrmChannelSettings,
                        description="the message as an activity on the contact, through the CRM outbox")]
