"""Twitch (``type = "twitch"``): EventSub over WebSocket in, Helix chat out (both official), and the
stand-in (``livehub standin twitch``). See docs/platforms/twitch.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import ConnectorSpec, StandinSpec

PLUGIN_NAME = "twitch"


@hookimpl
def livehub_register_connectors() -> list[ConnectorSpec]:
    from connectors.twitch.connector import TwitchConnector, TwitchSettings

    return [ConnectorSpec(type="twitch", kind="platform", factory=TwitchConnector, config_model=TwitchSettings,
                          description="Twitch: EventSub WebSocket events and Helix chat (official APIs)")]


@hookimpl
def livehub_register_standins() -> list[StandinSpec]:
    from connectors.twitch.standin import TwitchStandin

    return [StandinSpec(system="twitch", factory=TwitchStandin, connector_type="twitch",
                        description="Twitch EventSub WebSocket, Helix (subscriptions, chat) and OAuth tokens")]
