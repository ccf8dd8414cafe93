"""Email (channel ``email``, ``[backends.channel.email]``): outbound content as MIME email over SMTP. See
docs/campaigns.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "channel_email"


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.channel_email.channel import EmailChannel, EmailSettings

    return [BackendSpec(kind="channel", name="email", factory=EmailChannel, config_model=EmailSettings,
                        description="email over SMTP: text and HTML, the link a link, one-click unsubscribe")]
