"""Offline voice ``espeak``: libespeak-ng through ctypes, with phoneme, word and mark timing.

Needs the Debian package ``espeak-ng`` (listed in ``deps/apt.txt``). Settings: ``[backends.voice.espeak]``
(:class:`plugins.voice_espeak.backend.EspeakSettings`).
"""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "voice_espeak"


def _build(config, hub):  # imported lazily: loading the plugin must not load the C library
    from plugins.voice_espeak.backend import EspeakBackend

    return EspeakBackend(config, hub)


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.voice_espeak.backend import EspeakSettings

    return [BackendSpec(kind="voice", name="espeak", factory=_build, config_model=EspeakSettings,
                        default=True,  # the voice when [backends.voice] names none: offline, always there
                        description="Offline speech (libespeak-ng), with phoneme, word and mark timing")]
