"""TikTok posts (channel ``tiktok``, ``[backends.channel.tiktok]``): campaign videos posted to the merchant's
TikTok account through the official Content Posting API (chunked upload; endpoints a setting), and its
stand-in (``livehub standin tiktok_posting``). See docs/campaigns.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec, StandinSpec

PLUGIN_NAME = "channel_tiktok"


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.channel_tiktok.channel import TikTokPostingChannel, TikTokPostingSettings

    return [BackendSpec(kind="channel", name="tiktok", factory=TikTokPostingChannel,
                        config_model=TikTokPostingSettings,
                        description="TikTok Content Posting API: videos posted directly or to the inbox")]


@hookimpl
def livehub_register_standins() -> list[StandinSpec]:
    from plugins.channel_tiktok.standin import TikTokPostingStandin

    return [StandinSpec(system="tiktok_posting", factory=TikTokPostingStandin, connector_type="",
                        description="TikTok's Content Posting API: creator info, chunked uploads, post status")]
