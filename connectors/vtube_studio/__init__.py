"""VTube Studio (a Live2D host driven through its public WebSocket API): the wire client
(:mod:`connectors.vtube_studio.client`), the bridge that moves the model's mouth with the host's speech and runs
hotkeys on cues (:mod:`connectors.vtube_studio.connector`) and a stand-in (``livehub standin vtube_studio``).
See docs/avatars.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import StandinSpec


@hookimpl
def livehub_register_standins() -> list[StandinSpec]:
    from connectors.vtube_studio.standin import VtsStandin

    return [StandinSpec("vtube_studio", VtsStandin, description="VTube Studio's public API (authentication, "
                                                                 "parameters, hotkeys), recording what it is sent")]
