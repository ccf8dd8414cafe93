"""TikTok LIVE (``type = "tiktok"``): the unofficial webcast feed through a sign server (Euler Stream's
protocol), optional bot chat through the sign server's premium route, and the stand-in
(``livehub standin tiktok``). See docs/platforms/tiktok.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import ConnectorSpec, StandinSpec

PLUGIN_NAME = "tiktok"


@hookimpl
def livehub_register_connectors() -> list[ConnectorSpec]:
    from connectors.tiktok.connector import TikTokConnector, TikTokSettings

    return [ConnectorSpec(type="tiktok", kind="platform", factory=TikTokConnector, config_model=TikTokSettings,
                          description="TikTok LIVE: the webcast feed through a sign server (unofficial)")]


@hookimpl
def livehub_register_standins() -> list[StandinSpec]:
    from connectors.tiktok.standin import TikTokStandin

    return [StandinSpec(system="tiktok", factory=TikTokStandin, connector_type="tiktok",
                        description="TikTok LIVE: room lookup, sign server, push server and chat route")]
