"""Bilibili live (``type = "bilibili"``): the official open platform (``mode = "open_live"``) and the web
danmaku feed with chat replies (``mode = "web"``), and their stand-in (``livehub standin bilibili``).
See docs/platforms/bilibili.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import ConnectorSpec, StandinSpec

PLUGIN_NAME = "bilibili"


@hookimpl
def livehub_register_connectors() -> list[ConnectorSpec]:
    from connectors.bilibili.connector import BilibiliConnector, BilibiliSettings

    return [ConnectorSpec(type="bilibili", kind="platform", factory=BilibiliConnector, config_model=BilibiliSettings,
                          description="Bilibili live: the open platform (official) or the web danmaku feed")]


@hookimpl
def livehub_register_standins() -> list[StandinSpec]:
    from connectors.bilibili.standin import BilibiliStandin

    return [StandinSpec(system="bilibili", factory=BilibiliStandin, connector_type="bilibili",
                        description="Bilibili's open platform (--set mode=open_live, default) and web feed "
                                    "(--set mode=web)")]
