"""A stand-in for an OpenAI-compatible transcription server, for tests and rehearsals.

It speaks the real wire protocol (multipart ``POST /v1/audio/transcriptions`` with ``file`` and
``model``; OpenAI's error bodies; Bearer auth when it has a key; 429 with ``Retry-After``; 503 during an
outage) and checks that the file is a PCM WAV. It recognises no speech: it answers the transcripts a test
queued with :meth:`AsrStandIn.say`, in order, and an empty text when none is queued. Each request is
recorded (model, language, seconds of audio and their loudness), so a test can check that real audio
arrived.
"""

from __future__ import annotations

import io
import wave
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
from aiohttp import web

MAX_FILE = 25 * 1024 * 1024  # OpenAI's limit


class WavError(ValueError):
    """Not a PCM WAV file this server takes."""


def parse_wav(data: bytes) -> tuple[int, np.ndarray]:
    """``(sample rate, mono int16 samples)`` of a 16-bit PCM WAV; WavError otherwise."""
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError("not a WAV file (no RIFF/WAVE header)")
    try:
        with wave.open(io.BytesIO(data), "rb") as found:
            channels, width, rate = found.getnchannels(), found.getsampwidth(), found.getframerate()
            frames = found.readframes(found.getnframes())
    except (wave.Error, EOFError) as exc:
        raise WavError(f"unreadable WAV: {exc}") from None
    if width != 2 or not 1 <= channels <= 2 or not 8_000 <= rate <= 96_000:
        raise WavError(f"unsupported WAV: {width * 8}-bit, {channels} channel(s), {rate} Hz")
    samples = np.frombuffer(frames[:len(frames) - len(frames) % (2 * channels)], dtype="<i2")
    return rate, samples.reshape(-1, channels)[:, 0].astype(np.int16)


@dataclass(slots=True)
class Heard:
    model: str
    language: str | None
    seconds: float
    loudness: float
    text: str


def _error(status: int, message: str, kind: str = "invalid_request_error", **headers: str) -> web.Response:
    return web.json_response({"error": {"message": message, "type": kind}}, status=status, headers=headers)


class AsrStandIn:
    """``async with AsrStandIn(api_key=...) as server:`` then ``base_url = server.url``."""

    def __init__(self, *, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.requests: list[Heard] = []
        self.rate_limits = 0  # the next N requests get 429
        self.outage = False
        self._queue: deque[str] = deque()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def say(self, *texts: str) -> None:
        """Queue what the next requests will "hear"."""
        self._queue.extend(texts)

    async def __aenter__(self) -> AsrStandIn:
        app = web.Application(client_max_size=MAX_FILE + 64 * 1024)
        app.router.add_post("/v1/audio/transcriptions", self._transcribe)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _transcribe(self, request: web.Request) -> web.Response:
        if self.api_key is not None and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided", "invalid_api_key")
        if self.outage:
            return _error(503, "The server is overloaded", "server_error")
        if self.rate_limits > 0:
            self.rate_limits -= 1
            return _error(429, "Rate limit reached", "rate_limit_exceeded", **{"Retry-After": "2"})
        if not request.content_type.startswith("multipart/form-data"):
            return _error(400, "the body must be multipart/form-data")
        fields: dict[str, Any] = {}
        try:
            reader = await request.multipart()
            async for part in reader:
                if part.name is None or not hasattr(part, "read"):
                    continue
                fields[part.name] = await part.read(decode=False) if part.name == "file" else await part.text()
        except (ValueError, AssertionError, UnicodeDecodeError) as exc:
            return _error(400, f"malformed multipart body: {exc}")
        if "file" not in fields or "model" not in fields:
            return _error(400, "both 'file' and 'model' are required")
        try:
            rate, samples = parse_wav(bytes(fields["file"]))
        except WavError as exc:
            return _error(400, f"Invalid file format: {exc}")
        level = float(np.sqrt(np.mean(np.square(samples / 32768.0)))) if samples.size else 0.0
        text = self._queue.popleft() if self._queue else ""
        self.requests.append(Heard(fields["model"], fields.get("language"), samples.size / rate, level, text))
        return web.json_response({"text": text})
