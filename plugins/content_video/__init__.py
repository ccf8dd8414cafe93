"""Pitch videos (content kind ``pitch_video``, ``[backends.content.pitch_video]``): the host pitching a product,
rendered to MP4 per size (vertical 1080×1920 and horizontal 1280×720 by default) with a cover image, through
the core's media pipeline (voice, avatar, product card, captions), in a bounded pool of renders. See
docs/campaigns.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "content_video"


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.content_video.generator import PitchVideoGenerator, PitchVideoSettings

    return [BackendSpec(kind="content", name="pitch_video", factory=PitchVideoGenerator,
                        config_model=PitchVideoSettings,
                        description="the host pitching a product, rendered to MP4 (vertical and horizontal) with "
                                    "a cover")]
