"""Loopback stand-ins with fixed, configurable latencies: an OpenAI-compatible LLM and the edge-tts service.

Both speak the real wire formats, so the hub's own ``openai`` and ``edge-tts`` backends talk to them
unchanged, and both record when each request arrived and when its first token / first audio byte left,
so a benchmark can subtract exactly the time the "vendor" took.

* :class:`LlmStandIn` — ``POST /v1/chat/completions`` with ``stream: true``: the response headers at once,
  the first content token after ``first_token_s``, then one token every ``1 / tokens_per_s`` seconds, in
  the SSE framing of OpenAI's streamed chat completions (``data: {json}`` … ``data: [DONE]``), with a usage
  chunk when asked. What it says comes from ``answer(body)`` (a list of tokens).
* :class:`TtsStandIn` — the edge-tts WebSocket protocol (``Path:speech.config``, ``Path:ssml`` in;
  ``turn.start``, ``response``, word boundaries, binary MP3 audio, ``turn.end`` out): nothing for
  ``first_byte_s``, then the turn, its audio streamed at ``pace`` times real time (4 by default: the real
  service and cloud voices send a few seconds of speech per second; ``pace=0`` sends it in one burst). The audio is an MP3 of tone bursts, about ``seconds_per_char``
  per character of the text (made once per length with PyAV and cached).

Both bind 127.0.0.1 on a free port and every loop they run is bounded by the answer's length.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from plugins.voice_edge import fakes as edge

SENTENCE_END = re.compile(r"[。！？!?.;；\n]")


@dataclass
class Timing:
    """One request as the stand-in saw it (``time.perf_counter`` seconds)."""

    received: float
    first: float | None = None  # first content token / first audio byte sent
    sentence: float | None = None  # LLM: the token that ends the first sentence sent
    text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class _Server:
    def __init__(self) -> None:
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _serve(self, app: web.Application, scheme: str, path: str) -> str:
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"{scheme}://127.0.0.1:{port}{path}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


class LlmStandIn(_Server):
    """See the module docstring. ``await start()`` returns the base URL (ending in ``/v1``)."""

    def __init__(self, answer: Callable[[dict[str, Any]], list[str]], *, first_token_s: float = 0.2,
                 tokens_per_s: float = 50.0) -> None:
        super().__init__()
        self.answer, self.first_token_s, self.tokens_per_s = answer, first_token_s, tokens_per_s
        self.requests: list[Timing] = []

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        return await self._serve(app, "http", "/v1")

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        timing = Timing(time.perf_counter())
        self.requests.append(timing)
        body = await request.json()
        model = str(body.get("model"))
        tokens = self.answer(body)
        timing.text = "".join(tokens)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)

        async def send(data: Any) -> None:
            await response.write(f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n".encode())

        await send(_chunk(model, {"role": "assistant", "content": ""}))
        start = timing.received + self.first_token_s
        for n, token in enumerate(tokens):
            delay = start + n / self.tokens_per_s - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await send(_chunk(model, {"content": token}))
            now = time.perf_counter()
            timing.first = timing.first or now
            if timing.sentence is None and SENTENCE_END.search(token):
                timing.sentence = now
        timing.extra["done"] = time.perf_counter()
        await send(_chunk(model, {}, "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            await send({"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": int(time.time()),
                        "model": model, "choices": [],
                        "usage": {"prompt_tokens": 200, "completion_tokens": len(tokens),
                                  "total_tokens": 200 + len(tokens)}})
        await send("[DONE]")
        await response.write_eof()
        return response


# -- edge-tts ------------------------------------------------------------------------------------

class TtsStandIn(_Server):
    """See the module docstring. ``await start()`` returns the ``ws://`` endpoint for ``[backends.voice.
    edge-tts] endpoint``."""

    def __init__(self, *, first_byte_s: float = 0.15, seconds_per_char: float = 0.2, chunk: int = 1200,
                 pace: float = 4.0) -> None:
        super().__init__()
        self.first_byte_s, self.seconds_per_char, self.chunk = first_byte_s, seconds_per_char, chunk
        if pace < 0:
            raise ValueError("pace: times real time, 0 for one burst")
        self.pace = pace
        self.requests: list[Timing] = []
        self._mp3: dict[float, bytes] = {}

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get(edge.EDGE_PATH, self._socket)
        return await self._serve(app, "ws", edge.EDGE_PATH)

    def audio_for(self, words: list[str]) -> tuple[bytes, float]:
        seconds = round(max(0.5, min(8.0, self.seconds_per_char * sum(len(w) for w in words))), 1)
        if seconds not in self._mp3:
            self._mp3[seconds] = edge.make_mp3(seconds)
        return self._mp3[seconds], seconds

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        received = await edge.read_request(ws)  # two text messages: speech.config, then ssml
        ssml, request_id = received.get("ssml", ""), received.get("request_id", "")
        timing = Timing(time.perf_counter())
        self.requests.append(timing)
        words = edge.spoken_words(ssml)
        timing.text = "".join(words)
        mp3, seconds = self.audio_for(words)
        await asyncio.sleep(max(0.0, timing.received + self.first_byte_s - time.perf_counter()))
        try:
            await self._answer(ws, request_id or uuid.uuid4().hex, words, mp3, seconds, timing)
        except ConnectionResetError:  # the client went away mid-answer (a cut line, a stopped bench)
            pass
        return ws

    async def _answer(self, ws: web.WebSocketResponse, request_id: str, words: list[str], mp3: bytes,
                      seconds: float, timing: Timing) -> None:
        stream_id = uuid.uuid4().hex.upper()
        for message in [*edge.turn_opening(request_id, stream_id), *edge.word_boundaries(request_id, words, seconds)]:
            await ws.send_str(message)
        for start in range(0, len(mp3), self.chunk):
            if self.pace and timing.first is not None:  # the audio before this chunk, at pace x real time
                due = timing.first + seconds * start / len(mp3) / self.pace
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            await ws.send_bytes(edge.audio_message(request_id, stream_id, mp3[start:start + self.chunk]))
            timing.first = timing.first or time.perf_counter()
        await ws.send_bytes(edge.audio_message(request_id, stream_id, b"", content_type=False))
        await ws.send_str(edge.text_message(request_id, "turn.end", "{}"))
        await ws.close()
