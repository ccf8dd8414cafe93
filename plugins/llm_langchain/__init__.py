"""The ``langchain`` answer backend: any LangChain chat model by import path (extra ``livehub[langchain]``)."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "llm_langchain"


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.llm_langchain.backend import LangChainBackend, LangChainSettings

    return [BackendSpec(kind="llm", name="langchain", factory=LangChainBackend,
                        config_model=LangChainSettings, extra="langchain",
                        description="Any LangChain chat model by import path and keyword arguments, "
                                    "streaming via astream")]
