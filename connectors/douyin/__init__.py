"""Douyin (抖音) live (``type = "douyin"``): the official open-platform push (``mode = "open_platform"``,
the callback ``POST /douyin/push`` on the hub's web server) and the unofficial webcast feed (``mode =
"webcast"``), and their stand-in (``livehub standin douyin``). See docs/platforms/douyin.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import ConnectorSpec, StandinSpec, WebRoute

PLUGIN_NAME = "douyin"


@hookimpl
def livehub_register_connectors() -> list[ConnectorSpec]:
    from connectors.douyin.connector import DouyinConnector, DouyinSettings

    return [ConnectorSpec(type="douyin", kind="platform", factory=DouyinConnector, config_model=DouyinSettings,
                          description="Douyin live: the open platform's push (official) or the webcast feed")]


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    from connectors.douyin import callback

    return [WebRoute("POST", callback.PATH, callback.push, auth=False, tags=("platforms",),
                     summary="Douyin open platform: a signed live-data push (x-signature checked before parsing)",
                     request_schema=callback.REQUEST_SCHEMA, responses=callback.RESPONSES)]


@hookimpl
def livehub_register_standins() -> list[StandinSpec]:
    from connectors.douyin.standin import DouyinStandin

    return [StandinSpec(system="douyin", factory=DouyinStandin, connector_type="douyin",
                        description="Douyin's open-platform push (--set mode=open_platform, default) "
                                    "and webcast feed (--set mode=webcast)")]
