"""The ``rtmp`` output: push a room to a platform's RTMP ingest (FLV, H.264 CBR + AAC) with PyAV."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "output_rtmp"


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.output_rtmp.output import RtmpOutput, RtmpSettings

    return [BackendSpec(kind="output", name="rtmp", factory=RtmpOutput, config_model=RtmpSettings,
                        description="Push to an RTMP ingest: FLV, H.264 CBR, 2 s keyframes, AAC")]
