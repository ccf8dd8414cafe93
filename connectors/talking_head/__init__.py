"""A talking-head service (a photo-real host rendered from the speech): the wire client
(:mod:`connectors.talking_head.client`), the link that sends sentences and keeps their frames
(:mod:`connectors.talking_head.connector`), the ``talking_head`` avatar backend (:mod:`connectors.talking_head.avatar`)
and a stand-in (``livehub standin talking_head``). See docs/avatars.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec, StandinSpec


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from connectors.talking_head.avatar import TalkingHeadSettings, create_talking_head

    return [BackendSpec(kind="avatar", name="talking_head", factory=create_talking_head,
                        config_model=TalkingHeadSettings,
                        description="a host rendered as video by a talking-head service from each sentence's speech")]


@hookimpl
def livehub_register_standins() -> list[StandinSpec]:
    from connectors.talking_head.standin import TalkingHeadStandin

    return [StandinSpec("talking_head", TalkingHeadStandin,
                        description="a talking-head service streaming synthetic frames after a set delay")]
