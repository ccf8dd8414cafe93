"""Answers from any OpenAI-compatible chat-completions server, streamed token by token.

The ``openai`` SDK is imported only when the backend is built, so LiveHub runs without it; a missing
package is a :class:`hub.errors.MissingExtraError` naming ``pip install 'livehub[openai]'``. The SDK's
own environment variables work as usual: ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` apply when the
config does not set ``api_key`` / ``base_url``. A local server (llama.cpp, vLLM, Ollama) needs no key.

The SDK's own retries are off: the answer chain's deadline and fallback decide what happens next, and
a retry behind its back would only eat the deadline.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from pydantic import Field

from hub.answers import AnswerBackend, AnswerBackendSettings, AnswerRequest, status_retryable
from hub.errors import BackendError, ConfigError, require_extra
from hub.secrets import Secret

NO_KEY = "no-key-needed"  # what a keyless local server gets: the SDK refuses to start without any key


class OpenAISettings(AnswerBackendSettings):
    model: str | None = Field(None, description="model name; `livehub replay --llm-model` overrides it")
    base_url: str | None = Field(None, description="server URL ending in /v1 (default: OPENAI_BASE_URL "
                                                   "or OpenAI)")
    api_key: Secret | None = Field(None, description="{env = ...} or {file = ...}; default OPENAI_API_KEY")
    temperature: float = Field(0.3, ge=0, le=2)
    max_tokens: int = Field(200, ge=1)
    stream_usage: bool = Field(True, description="ask for token usage in the stream (stream_options)")
    extra_body: dict[str, Any] = Field(default_factory=dict, description="vendor-specific parameters")


class OpenAIBackend(AnswerBackend):
    """Streams ``chat.completions`` with the prompts from ``llm/system.j2`` and ``llm/user.j2``."""

    name: ClassVar[str] = "openai"

    def __init__(self, settings: OpenAISettings | None = None, hub: Any = None) -> None:
        settings = settings if settings is not None else OpenAISettings()
        super().__init__(settings, hub)
        self.openai = require_extra("openai", extra="openai", feature="The openai answer backend")
        if not settings.model:
            raise ConfigError("backends.llm.openai.model: set the model name (or pass --llm-model)")
        self.base_url = settings.base_url or os.environ.get("OPENAI_BASE_URL") or None
        key = settings.api_key.get() if settings.api_key is not None else os.environ.get("OPENAI_API_KEY")
        if not key and self.base_url is None:
            raise ConfigError("backends.llm.openai.api_key: no API key; set OPENAI_API_KEY or "
                              "api_key = {env = \"NAME\"} (a local server needs base_url instead)")
        self._key = key or NO_KEY
        self._client: Any = None
        self._usage_in_stream = settings.stream_usage

    def client(self) -> Any:
        """The SDK client, made on first use (so building a chain opens no connection)."""
        if self._client is None:
            self._client = self.openai.AsyncOpenAI(api_key=self._key, base_url=self.base_url, max_retries=0,
                                                   timeout=self.settings.total_timeout_s)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()

    async def _stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        s: OpenAISettings = self.settings  # type: ignore[assignment]
        messages = [{"role": role, "content": text} for role, text in self.chat_messages(request)]
        stream = await self._create(messages, s)
        usage = None
        try:
            async for chunk in stream:
                usage = getattr(chunk, "usage", None) or usage
                for choice in chunk.choices or ():
                    text = getattr(choice.delta, "content", None) if choice.delta else None
                    if text:
                        yield text
        except self.openai.OpenAIError as exc:
            raise self._error(exc) from exc
        except ValueError as exc:  # a chunk that is not JSON, or not a chunk
            raise BackendError(f"openai: malformed stream: {exc}", retryable=True, backend=self.name) from exc
        finally:
            await stream.close()
            if usage is not None:
                self.report_usage(getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None))

    async def _create(self, messages: list[dict[str, str]], s: OpenAISettings) -> Any:
        """Start the stream; a server that rejects ``stream_options`` is asked again without it."""
        while True:
            options: dict[str, Any] = {"stream_options": {"include_usage": True}} if self._usage_in_stream else {}
            try:
                return await self.client().chat.completions.create(
                    model=s.model, messages=messages, stream=True, temperature=s.temperature,
                    max_tokens=s.max_tokens, extra_body=s.extra_body or None, **options)
            except self.openai.BadRequestError as exc:
                if self._usage_in_stream and "stream_options" in str(exc):
                    self._usage_in_stream = False
                    continue
                raise self._error(exc) from exc
            except self.openai.OpenAIError as exc:
                raise self._error(exc) from exc

    def _error(self, exc: Exception) -> BackendError:
        """The SDK's error as a BackendError: 429, 408, 409 and 5xx, network and bad data are retryable;
        other 4xx (bad key, unknown model, bad request) are not."""
        openai = self.openai
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            return BackendError(f"openai: HTTP {status}: {_message(exc)}", retryable=status_retryable(status),
                                backend=self.name)
        if isinstance(exc, openai.APITimeoutError):
            return BackendError("openai: request timed out", retryable=True, backend=self.name)
        if isinstance(exc, openai.APIConnectionError):
            return BackendError(f"openai: cannot reach {self.base_url or 'the API'}: {_message(exc)}",
                                retryable=True, backend=self.name)
        return BackendError(f"openai: {type(exc).__name__}: {_message(exc)}", retryable=True,
                            backend=self.name)


def _message(exc: Exception) -> str:
    return str(getattr(exc, "message", None) or exc)[:300]
