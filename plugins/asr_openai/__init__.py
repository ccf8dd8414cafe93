"""The ``openai-asr`` backend: speech to text over OpenAI's ``/v1/audio/transcriptions`` (cloud APIs,
faster-whisper servers, FunASR's OpenAI-compatible server), and its stand-in (``livehub standin
openai-asr``)."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec, StandinSpec

PLUGIN_NAME = "asr_openai"


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.asr_openai.backend import OpenAIAsrBackend, OpenAIAsrSettings

    return [BackendSpec(kind="asr", name="openai-asr", factory=OpenAIAsrBackend, config_model=OpenAIAsrSettings,
                        description="Speech to text over an OpenAI-compatible /v1/audio/transcriptions")]


@hookimpl
def livehub_register_standins() -> list[StandinSpec]:
    from plugins.asr_openai.standin import AsrStandIn

    return [StandinSpec(system="openai-asr", factory=AsrStandIn,
                        description="an OpenAI-compatible speech-to-text server answering queued transcripts")]
