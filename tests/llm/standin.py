"""A local stand-in for an OpenAI-compatible server, speaking the real SSE framing of streamed chat
completions (``data: {json}\\n\\n`` events closed by ``data: [DONE]``), for the failures a real
llama.cpp server will not produce on demand.

The request's ``model`` picks the behaviour:

* ``ok`` — streams :data:`ANSWER` token by token, then a usage chunk if ``stream_options.include_usage``;
* ``no-stream-options`` — like ``ok``, but answers 400 when ``stream_options`` is sent (older servers);
* ``429``, ``500``, ``401`` — that HTTP status with an OpenAI-style error body;
* ``stall`` — sends the role chunk, then nothing until the server stops;
* ``no-sentence`` — keeps sending words with no sentence end;
* ``stall-after-first`` — one full sentence, then nothing;
* ``malformed`` — an event whose data is not JSON;
* ``empty`` — a well-formed stream with no content.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

ANSWER = ["Link", " 1", " is", " ¥128", " today", ".", " Grab", " it", " now", "!"]
USAGE = {"prompt_tokens": 42, "completion_tokens": 10, "total_tokens": 52}


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": 1700000000,
            "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


class StandInServer:
    """Start with :meth:`start`, stop with :meth:`stop`. ``requests`` holds every request body."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/v1"
        return self.url

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def bodies(self, model: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r.get("model") == model]

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        model = str(body.get("model"))
        if model in ("429", "500", "401"):
            return web.json_response({"error": {"message": f"stand-in says {model}", "type": "standin",
                                                "code": model}}, status=int(model))
        if model == "no-stream-options" and "stream_options" in body:
            return web.json_response({"error": {"message": "Unrecognized request argument supplied: "
                                                           "stream_options", "type": "invalid_request_error"}},
                                     status=400)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)

        async def send(data: Any) -> None:
            text = data if isinstance(data, str) else json.dumps(data)
            await response.write(f"data: {text}\n\n".encode())

        await send(_chunk(model, {"role": "assistant", "content": ""}))
        if model in ("stall", "no-sentence", "stall-after-first"):
            if model == "stall-after-first":
                for token in ANSWER[:6]:
                    await send(_chunk(model, {"content": token}))
                await send(_chunk(model, {"content": " And"}))
            while model == "no-sentence" and not self._release.is_set():
                await send(_chunk(model, {"content": " and"}))
                await asyncio.sleep(0.05)
            await self._release.wait()
            return response
        if model == "malformed":
            await send("{this is not json")
        elif model != "empty":
            for token in ANSWER:
                await send(_chunk(model, {"content": token}))
        await send(_chunk(model, {}, "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            await send({"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": 1700000000,
                        "model": model, "choices": [], "usage": USAGE})
        await send("[DONE]")
        await response.write_eof()
        return response
