"""Live clips (content kind ``live_clip``, ``[backends.content.live_clip]``): the moments a product was on
stage in a recorded show, cut at its stage change into 15–60 s vertical clips with the host's words burned in
as captions, with a cover and a WebVTT file. Shows are recorded by default (``[plugins.show_runner] record``).
See docs/campaigns.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "content_clip"


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.content_clip.generator import LiveClipGenerator, LiveClipSettings

    return [BackendSpec(kind="content", name="live_clip", factory=LiveClipGenerator, config_model=LiveClipSettings,
                        description="clips cut from recorded shows where a product was on stage, vertical, "
                                    "with captions")]
