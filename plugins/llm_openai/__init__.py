"""The ``openai`` answer backend: any OpenAI-compatible chat server, streaming (extra ``livehub[openai]``)."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "llm_openai"


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.llm_openai.backend import OpenAIBackend, OpenAISettings

    return [BackendSpec(kind="llm", name="openai", factory=OpenAIBackend, config_model=OpenAISettings,
                        extra="openai",
                        description="OpenAI-compatible servers (OpenAI, DeepSeek, Qwen, vLLM, Ollama, "
                                    "llama.cpp) through the openai SDK, streaming")]
