"""Online voice ``edge-tts``: Microsoft Edge's neural voices, streamed, with word boundaries.

Optional: ``pip install 'livehub[edge-tts]'``; needs internet. Use it with the offline voice as fallback::

    [backends.voice]
    default = "edge-tts"
    fallback = ["espeak"]

Settings: ``[backends.voice.edge-tts]`` (:class:`plugins.voice_edge.backend.EdgeSettings`).
"""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "voice_edge"


def _build(config, hub):  # imported lazily: a missing extra fails when the voice is used, not at load
    from plugins.voice_edge.backend import EdgeBackend

    return EdgeBackend(config, hub)


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.voice_edge.backend import EdgeSettings

    return [BackendSpec(kind="voice", name="edge-tts", factory=_build, config_model=EdgeSettings,
                        description="Online neural voices (Microsoft Edge read-aloud), streamed",
                        extra="edge-tts")]
