"""Signed webhooks (channel ``webhook``, ``[backends.channel.webhook]``): outbound content POSTed as JSON to the
merchant's endpoint, signed with HMAC-SHA256. See docs/campaigns.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "channel_webhook"


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.channel_webhook.channel import WebhookChannel, WebhookSettings

    return [BackendSpec(kind="channel", name="webhook", factory=WebhookChannel, config_model=WebhookSettings,
                        description="signed webhooks: JSON, X-LiveHub-Signature (HMAC-SHA256), Idempotency-Key")]
