"""A stand-in for an OpenAI-compatible speech-to-text server (``livehub standin openai-asr``).

It is a stand-in: it recognises no speech. It speaks the real wire protocol (``POST
/v1/audio/transcriptions``, multipart with ``file`` and ``model`` required, ``language``,
``response_format`` json / verbose_json / text, ``prompt``; OpenAI's error bodies; Bearer auth when it has a
key) and checks that the file is a 16-bit PCM WAV (400 otherwise). What it "hears" is what was queued,
in order: :meth:`AsrStandIn.say` in this process, ``POST /_standin/say {"text": ...}`` from outside, or
``transcripts=`` when built. With nothing queued it answers an empty text (what a recogniser answers
for no words), or with ``describe=True`` a deterministic ``"[1.5 s of sound]"`` (silence stays empty).

Each request that reached recognition is recorded (model, language, prompt, seconds of audio,
loudness as RMS of full scale): :attr:`AsrStandIn.requests` in this process, ``GET /_standin/sent?kind=transcription``
from outside, so a test can check that real audio arrived. The shared faults of :mod:`hub.standin`
work: ``outage`` (503 with Retry-After), ``rate_limit`` (429 with Retry-After) and ``disconnect``
(drops a request in flight; :meth:`AsrStandIn.hold` keeps requests waiting for their answer).
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from aiohttp import web

from hub.events import Event
from hub.secrets import SecretValue
from hub.standin import CONTROL_PREFIX, Standin
from plugins.asr_openai.forms import FormError, WavError, parse_multipart, parse_wav

API_PATH = "/v1/audio/transcriptions"
MAX_FILE = 25 * 1024 * 1024  # OpenAI's limit
FORMATS = ("json", "verbose_json", "text")
SILENCE_RMS = 0.005


@dataclass(slots=True)
class Heard:
    """One transcription request: what was asked, how much sound arrived, what was answered."""

    model: str
    language: str | None
    seconds: float
    loudness: float
    text: str
    prompt: str | None = None


def openai_error(status: int, message: str, kind: str = "invalid_request_error", *,
                 param: str | None = None, headers: dict[str, str] | None = None) -> web.Response:
    """An answer with OpenAI's error body ``{"error": {"message", "type", "param", "code"}}``."""
    body = {"error": {"message": message, "type": kind, "param": param, "code": None}}
    return web.json_response(body, status=status, headers=headers,
                             dumps=lambda d: json.dumps(d, ensure_ascii=False))


class AsrStandIn(Standin):
    """``async with AsrStandIn(api_key=...) as server:`` then ``base_url = server.url`` (or ``+ "/v1"``)."""

    system = "openai-asr"
    secret_env = {"api_key": "LIVEHUB_ASR_STANDIN_KEY"}
    retry_after = 2
    """Seconds a 429 asks the client to wait."""

    def __init__(self, *, api_key: str | None = None, transcripts: Iterable[str] = (), describe: bool = False,
                 **options: Any) -> None:
        super().__init__(**options)
        self.api_key = api_key
        self.describe = describe
        self.requests: list[Heard] = []
        self._queue: deque[str] = deque(transcripts)
        self._release = asyncio.Event()
        self._release.set()
        self.held = asyncio.Event()
        """Set once a request waits for its answer while :meth:`hold` is on."""

    def say(self, *texts: str) -> None:
        """Queue what the next requests will "hear", in order."""
        self._queue.extend(texts)

    def hold(self) -> None:
        """Keep requests waiting (after their body is read) until :meth:`release`: a fault can hit them."""
        self._release.clear()

    def release(self) -> None:
        self._release.set()

    # -- the Standin contract -----------------------------------------------------------------------

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(API_PATH, self._transcriptions)
        router.add_post(CONTROL_PREFIX + "say", self._post_say)

    async def deliver(self, event: Event) -> Any:
        raise ValueError("a speech-to-text server has no viewers: queue transcripts with POST /_standin/say")

    def connector_settings(self) -> dict[str, Any]:
        """The ``[backends.asr.openai-asr]`` settings pointing at this stand-in."""
        return {"base_url": f"{self.url}/v1", "model": "whisper-1",
                **({"api_key": self.api_key} if self.api_key else {})}

    def backend_config(self) -> dict[str, Any]:
        """``{"backends": {"asr": ...}}`` for in-process config (the key as a secret value)."""
        settings = self.connector_settings()
        if "api_key" in settings:
            settings["api_key"] = SecretValue(settings["api_key"], f"standin:{self.system}")
        return {"backends": {"asr": {"default": "openai-asr", "openai-asr": settings}}}

    def connector_table(self, name: str | None = None, *, room: str = "main") -> str:
        """The ``[backends.asr]`` tables pointing a hub at this stand-in (a backend binds no room)."""
        lines = ["[backends.asr]", 'default = "openai-asr"', "", "[backends.asr.openai-asr]"]
        for key, value in self.connector_settings().items():
            if key in self.secret_env:
                lines.append(f'{key} = {{env = "{self.secret_env[key]}"}}')
            else:
                lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        return "\n".join(lines) + "\n"

    def state(self) -> dict[str, Any]:
        return {**super().state(), "queued": list(self._queue), "heard": len(self.requests),
                "holding": not self._release.is_set()}

    def outage_response(self, request: web.Request) -> web.StreamResponse:
        retry = str(max(1, math.ceil(self.outage_left())))
        return openai_error(503, "The server is overloaded or not ready yet.", "server_error",
                            headers={"Retry-After": retry})

    # -- the protocol -------------------------------------------------------------------------------

    async def _transcriptions(self, request: web.Request) -> web.Response:
        if self.api_key is not None and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            self.record("refused", status=401)
            return openai_error(401, "Incorrect API key provided.", "invalid_request_error")
        if self.take_rate_limit():
            return openai_error(429, "Rate limit reached for requests.", "requests",
                                headers={"Retry-After": str(self.retry_after)})
        body = await _read_capped(request, MAX_FILE + 64 * 1024)
        if body is None:
            return openai_error(413, f"Maximum content size limit ({MAX_FILE} bytes) exceeded.")
        try:
            fields = parse_multipart(body, request.headers.get("Content-Type", ""))
            for required in ("file", "model"):
                if required not in fields:
                    return openai_error(400, f"you must provide a {required} parameter", param=required)
            model = fields["model"].text()
            language = fields["language"].text() if "language" in fields else None
            response_format = fields["response_format"].text() if "response_format" in fields else "json"
            prompt = fields["prompt"].text() if "prompt" in fields else None
        except FormError as exc:
            return openai_error(400, f"Could not parse multipart form: {exc}")
        if response_format not in FORMATS:
            return openai_error(400, f"response_format {response_format!r}: this stand-in answers "
                                     f"{', '.join(FORMATS)}", param="response_format")
        try:
            rate, samples = parse_wav(fields["file"].data)
        except WavError as exc:
            return openai_error(400, f"Invalid file format: {exc}. Supported here: 16-bit PCM wav", param="file")
        if not self._release.is_set():
            self.held.set()
            await self._release.wait()
        heard = self._hear(model, language, prompt, samples, rate)
        if response_format == "text":
            return web.Response(text=heard.text)
        if response_format == "verbose_json":
            return web.json_response({"task": "transcribe", "language": language or "", "text": heard.text,
                                      "duration": heard.seconds, "segments": []})
        return web.json_response({"text": heard.text})

    def _hear(self, model: str, language: str | None, prompt: str | None, samples: np.ndarray,
              rate: int) -> Heard:
        level = float(np.sqrt(np.mean(np.square(samples / 32768.0)))) if samples.size else 0.0
        seconds = samples.size / rate
        if self._queue:
            text = self._queue.popleft()
        else:
            text = f"[{seconds:.1f} s of sound]" if self.describe and level >= SILENCE_RMS else ""
        heard = Heard(model, language, seconds, level, text, prompt)
        self.requests.append(heard)
        self.record("transcription", **asdict(heard))
        return heard

    async def _post_say(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except ValueError:
            body = None
        texts = body.get("texts", [body.get("text")]) if isinstance(body, dict) else None
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            return web.json_response({"error": 'the body must be {"text": "..."} or {"texts": ["...", ...]}'},
                                     status=400)
        self.say(*texts)
        return web.json_response({"queued": list(self._queue)}, dumps=lambda d: json.dumps(d, ensure_ascii=False))


async def _read_capped(request: web.Request, limit: int) -> bytes | None:
    """The request body, or None when it is longer than ``limit`` (read as it comes, not trusted)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.readany():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
