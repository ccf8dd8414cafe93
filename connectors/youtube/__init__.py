"""YouTube live (``type = "youtube"``): the official Data API v3 — live chat read with
``liveChatMessages.streamList`` (gRPC) or ``liveChatMessages.list`` (polling), replies with
``liveChatMessages.insert``, every call priced against the daily quota — and its stand-in
(``livehub standin youtube``). See docs/platforms/youtube.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import ConnectorSpec, StandinSpec

PLUGIN_NAME = "youtube"


@hookimpl
def livehub_register_connectors() -> list[ConnectorSpec]:
    from connectors.youtube.connector import YoutubeConnector, YoutubeSettings

    return [ConnectorSpec(type="youtube", kind="platform", factory=YoutubeConnector, config_model=YoutubeSettings,
                          description="YouTube live chat (official Data API v3: streamList or polling, insert)")]


@hookimpl
def livehub_register_standins() -> list[StandinSpec]:
    from connectors.youtube.standin import YoutubeStandin

    return [StandinSpec(system="youtube", factory=YoutubeStandin, connector_type="youtube",
                        description="YouTube Data API v3 live chat (REST + streamList gRPC) with quota accounting")]
