"""Answers from any LangChain chat model, named by import path and built with keyword arguments.

``model_class = "langchain_openai.ChatOpenAI"`` with ``kwargs = {base_url = "...", model = "..."}`` (or
``langchain_anthropic.ChatAnthropic``, ``langchain_ollama.ChatOllama``...). Secret references in
``kwargs`` (``api_key = {env = "NAME"}``) are resolved just before the model is built. The model
streams through ``astream``; token usage comes from the chunks' ``usage_metadata`` (what the server
reported), never from the model's own token counter, which may download tiktoken tables.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from pydantic import Field

from hub.answers import AnswerBackend, AnswerBackendSettings, AnswerRequest, classify_error
from hub.errors import BackendError, ConfigError, MissingExtraError, require_extra
from hub.secrets import SecretValue

# Packages the ``livehub[langchain]`` extra installs; other model packages are the merchant's to add.
EXTRA_MODULES = ("langchain_core", "langchain_openai")
FEATURE = "The langchain answer backend"


class LangChainSettings(AnswerBackendSettings):
    model_class: str = Field("langchain_openai.ChatOpenAI", description="import path of a chat model class")
    model: str | None = Field(None, description="passed as kwargs['model']; --llm-model overrides it")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="keyword arguments for the class")


def import_model_class(path: str) -> type:
    """The class at ``path`` (``package.module.Class``); a missing package names its install command."""
    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise ConfigError(f"backends.llm.langchain.model_class: {path!r} is not an import path "
                          "like 'langchain_openai.ChatOpenAI'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        top = module_name.split(".")[0]
        if top in EXTRA_MODULES:
            raise MissingExtraError(FEATURE, "langchain", top) from None
        raise ConfigError(f"backends.llm.langchain.model_class: cannot import {module_name!r} ({exc}); "
                          f"install the package that provides it, e.g. pip install "
                          f"{top.replace('_', '-')}") from None
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise ConfigError(f"backends.llm.langchain.model_class: {module_name!r} has no class {class_name!r}")
    return cls


class LangChainBackend(AnswerBackend):
    """Streams ``model.astream(messages)`` with the prompts from ``llm/system.j2`` and ``llm/user.j2``."""

    name: ClassVar[str] = "langchain"

    def __init__(self, settings: LangChainSettings | None = None, hub: Any = None) -> None:
        settings = settings if settings is not None else LangChainSettings()
        super().__init__(settings, hub)
        require_extra("langchain_core", extra="langchain", feature=FEATURE)
        cls = import_model_class(settings.model_class)
        kwargs = {k: (v.get() if isinstance(v, SecretValue) else v) for k, v in settings.kwargs.items()}
        if settings.model:
            kwargs["model"] = settings.model
        fields = getattr(cls, "model_fields", {})
        if "max_retries" in fields:  # the chain's deadline and fallback replace the model's retries
            kwargs.setdefault("max_retries", 0)
        if "stream_usage" in fields:  # have OpenAI-style servers report usage in the stream
            kwargs.setdefault("stream_usage", True)
        try:
            self.model = cls(**kwargs)
        except Exception as exc:
            raise ConfigError(f"backends.llm.langchain: cannot build {settings.model_class}: "
                              f"{type(exc).__name__}: {str(exc)[:300]}") from None

    async def _stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        prompt_tokens = completion_tokens = 0
        try:
            async for chunk in self.model.astream(self.chat_messages(request)):
                usage = getattr(chunk, "usage_metadata", None) or {}
                prompt_tokens += int(usage.get("input_tokens") or 0)
                completion_tokens += int(usage.get("output_tokens") or 0)
                text = _text(getattr(chunk, "content", chunk))
                if text:
                    yield text
        except BackendError:
            raise
        except Exception as exc:
            raise BackendError(f"langchain: {type(exc).__name__}: {str(exc)[:300]}",
                               retryable=classify_error(exc), backend=self.name) from exc
        finally:
            self.report_usage(prompt_tokens, completion_tokens)


def _text(content: Any) -> str:
    """A chunk's text: a string, or the text parts of a list of content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content
                       if isinstance(b, (str, dict)) and (isinstance(b, str) or b.get("type") == "text"))
    return ""
