"""VTube Studio (a Live2D host driven through its public WebSocket API): the wire client
(:mod:`connectors.vtube_studio.client`), the bridge that moves the model's mouth with the host's speech and runs
hotkeys on cues (:mod:`connectors.vtube_studio.connector`), the ``vtube_studio`` avatar backend
(:mod:`connectors.vtube_studio.avatar`) and a stand-in (``livehub standin vtube_studio``).
See docs/avatars.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec, StandinSpec


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from connectors.vtube_studio.avatar import VtsAvatarSettings, create_vts_avatar

    return [BackendSpec(kind="avatar", name="vtube_studio", factory=create_vts_avatar, config_model=VtsAvatarSettings,
                        description="a Live2D host in VTube Studio, its mouth moved with the speech (OBS captures it)")]


@hookimpl
def livehub_register_standins() -> list[StandinSpec]:
    from connectors.vtube_studio.standin import VtsStandin

    return [StandinSpec("vtube_studio", VtsStandin, description="VTube Studio's public API (authentication, "
                                                                 "parameters, hotkeys), recording what it is sent")]
