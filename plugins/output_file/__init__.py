"""The ``file`` output: record a room's broadcast to MP4 (H.264 + AAC, faststart)."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "output_file"


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.output_file.output import FileOutput, FileSettings

    return [BackendSpec(kind="output", name="file", factory=FileOutput, config_model=FileSettings,
                        description="Record the broadcast to an MP4 file")]
