"""The ``openai-asr`` backend (``[backends.asr.openai-asr]``): see :mod:`plugins.asr_openai.client`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
from pydantic import Field, field_validator

from hub.asr import AsrBackend, AsrSettings, Transcript
from hub.errors import BackendError
from hub.secrets import Secret
from plugins.asr_openai.client import TranscriptionError, transcribe

if TYPE_CHECKING:
    from hub.app import Hub


class OpenAIAsrSettings(AsrSettings):
    """``[backends.asr.openai-asr]``."""

    base_url: str = Field(description="the server, e.g. https://api.openai.com/v1 (with or without the /v1)")
    api_key: Secret | None = Field(None, description="{env = ...} or {file = ...}; a local server needs none")
    model: str = Field("whisper-1", min_length=1)
    prompt: str | None = Field(None, description="words to expect (product names), passed to the model")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1].strip("/")) == 0:
            raise ValueError(f"must be an http:// or https:// URL, not {value!r}")
        return value


class OpenAIAsrBackend(AsrBackend):
    name = "openai-asr"
    settings_model = OpenAIAsrSettings
    settings: OpenAIAsrSettings

    def __init__(self, settings: OpenAIAsrSettings, hub: Hub | None = None) -> None:
        super().__init__(settings, hub)
        self._session: aiohttp.ClientSession | None = None

    async def _transcribe(self, wav: bytes, language: str | None) -> Transcript:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        s = self.settings
        try:
            result = await transcribe(self._session, s.base_url, wav, model=s.model, language=language,
                                      prompt=s.prompt, api_key=s.api_key.get() if s.api_key else None)
        except TranscriptionError as exc:
            raise BackendError(f"asr 'openai-asr': {exc}", retryable=exc.retryable, backend=self.name) from exc
        return Transcript(result.text, result.language, result.duration or 0.0)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
