"""OpenAI's ``POST /v1/audio/transcriptions`` (multipart form: ``file``, ``model``, ``language``,
``response_format``, ``prompt``), as cloud APIs, faster-whisper servers and FunASR's OpenAI-compatible
server speak it. Knows nothing of the hub.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import aiohttp


class TranscriptionError(Exception):
    """The server refused or failed: ``status`` (0: no HTTP answer), ``retryable``, ``retry_after`` (s)."""

    def __init__(self, message: str, *, status: int = 0, retryable: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status, self.retryable, self.retry_after = status, retryable, retry_after


@dataclass(slots=True)
class TranscriptionResult:
    text: str
    language: str | None = None
    duration: float | None = None


def endpoint(base_url: str) -> str:
    """The transcription URL of ``base_url``, with or without its ``/v1``."""
    base = base_url.rstrip("/")
    return f"{base}/audio/transcriptions" if base.endswith("/v1") else f"{base}/v1/audio/transcriptions"


def parse_result(body: bytes) -> TranscriptionResult:
    """The ``json`` or ``verbose_json`` answer; TranscriptionError when it is neither."""
    data = _json(body)
    if data is None:
        raise TranscriptionError(f"the answer is not JSON: {body[:80]!r}")
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise TranscriptionError('the answer has no "text"')
    language = data.get("language") if isinstance(data.get("language"), str) and data["language"] else None
    duration = data.get("duration")
    if isinstance(duration, int | float) and not isinstance(duration, bool) and math.isfinite(duration) \
            and duration >= 0:
        return TranscriptionResult(data["text"], language, float(duration))
    return TranscriptionResult(data["text"], language)


def _json(body: bytes) -> Any:
    """``body`` parsed, or None when it is not JSON (nesting too deep to parse included)."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def error_message(body: bytes) -> str:
    """The server's error message (OpenAI's ``{"error": {"message": ...}}``), else the body's start."""
    data = _json(body)
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    if isinstance(message, str) and message.strip():
        return message.strip()[:500]
    return body[:200].decode("utf-8", "replace").strip() or "no message"


async def transcribe(session: aiohttp.ClientSession, base_url: str, wav: bytes, *, model: str,
                     language: str | None = None, prompt: str | None = None,
                     api_key: str | None = None) -> TranscriptionResult:
    """What the WAV says. Raises TranscriptionError (401/403 not retryable; 429 and 5xx retryable)."""
    form = aiohttp.FormData()
    form.add_field("file", wav, filename="speech.wav", content_type="audio/wav")
    form.add_field("model", model)
    form.add_field("response_format", "json")
    if language:
        form.add_field("language", language)
    if prompt:
        form.add_field("prompt", prompt)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        async with session.post(endpoint(base_url), data=form, headers=headers) as response:
            body = await response.read()
            status = response.status
            retry_after = response.headers.get("Retry-After")
    except aiohttp.ClientError as exc:
        raise TranscriptionError(f"cannot reach the server: {type(exc).__name__}: {exc}", retryable=True) from exc
    if status == 200:
        return parse_result(body)
    message = f"HTTP {status}: {error_message(body)}"
    if status in (401, 403):
        raise TranscriptionError(f"not allowed ({message}); check api_key", status=status)
    if status == 429:
        try:
            wait = float(retry_after) if retry_after else None
        except ValueError:
            wait = None
        raise TranscriptionError(f"rate limited ({message})", status=status, retryable=True, retry_after=wait)
    raise TranscriptionError(message, status=status, retryable=status >= 500)
