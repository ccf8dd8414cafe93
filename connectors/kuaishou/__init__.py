"""Kuaishou (快手) live (``type = "kuaishou"``): the official interactive-live long-poll (``mode =
"interactive"``) and its stand-in (``livehub standin kuaishou``). See docs/platforms/kuaishou.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import ConnectorSpec, StandinSpec

PLUGIN_NAME = "kuaishou"


@hookimpl
def livehub_register_connectors() -> list[ConnectorSpec]:
    from connectors.kuaishou.connector import KuaishouConnector, KuaishouSettings

    return [ConnectorSpec(type="kuaishou", kind="platform", factory=KuaishouConnector, config_model=KuaishouSettings,
                          description="Kuaishou live: the interactive-live long-poll (official, approved apps)")]


@hookimpl
def livehub_register_standins() -> list[StandinSpec]:
    from connectors.kuaishou.standin import KuaishouStandin

    return [StandinSpec(system="kuaishou", factory=KuaishouStandin, connector_type="kuaishou",
                        description="Kuaishou's interactive-live long-poll (connect, poll with cursor and "
                                    "sleep, disconnect, result 2)")]
