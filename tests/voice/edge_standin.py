"""A local stand-in for the edge-tts service: an aiohttp WebSocket server speaking its real framing
(:mod:`plugins.voice_edge.fakes` describes it).

``mode`` "ok" serves the whole turn; "close" closes the socket half-way through the audio; "hold" stops
half-way through the audio until ``release`` is set; "silent" accepts the request and never answers (for
timeouts).
"""

from __future__ import annotations

import asyncio
import uuid

from aiohttp import web

from plugins.voice_edge.fakes import (
    EDGE_PATH,
    MP3_RATE,
    TICKS,
    audio_message,
    make_mp3,
    read_request,
    spoken_words,
    text_message,
    turn_opening,
    word_boundaries,
)

__all__ = ["EdgeStandIn", "MP3_RATE", "TICKS", "make_mp3", "spoken_words"]


class EdgeStandIn:
    """``async with EdgeStandIn(mp3) as server:`` then point the backend's ``endpoint`` at ``server.url``."""

    def __init__(self, mp3: bytes, *, mode: str = "ok", duration: float = 1.6, chunk: int = 1200) -> None:
        self.mp3, self.mode, self.duration, self.chunk = mp3, mode, duration, chunk
        self.requests: list[dict[str, str]] = []
        self.release = asyncio.Event()  # mode "hold": sends the second half of the audio once set
        self.held = asyncio.Event()  # mode "hold": set when it stopped half-way
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self.url = ""

    async def __aenter__(self) -> EdgeStandIn:
        app = web.Application()
        app.router.add_get(EDGE_PATH, self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"ws://127.0.0.1:{port}{EDGE_PATH}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stopping.set()  # a "silent" handler returns, so the server stops at once
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        received = {"query": request.query_string, **await read_request(ws)}
        self.requests.append(received)
        if self.mode == "silent":
            await self._stopping.wait()
            return ws
        await self._answer(ws, received.get("request_id") or uuid.uuid4().hex, received.get("ssml", ""))
        return ws

    async def _answer(self, ws: web.WebSocketResponse, request_id: str, ssml: str) -> None:
        stream_id = uuid.uuid4().hex.upper()
        for message in [*turn_opening(request_id, stream_id),
                        *word_boundaries(request_id, spoken_words(ssml), self.duration)]:
            await ws.send_str(message)
        chunks = [self.mp3[i:i + self.chunk] for i in range(0, len(self.mp3), self.chunk)]
        for n, chunk in enumerate(chunks):
            if self.mode == "close" and n == len(chunks) // 2:
                await ws.close()
                return
            if self.mode == "hold" and n == len(chunks) // 2:
                self.held.set()
                await self.release.wait()
            await ws.send_bytes(audio_message(request_id, stream_id, chunk))
        await ws.send_bytes(audio_message(request_id, stream_id, b"", content_type=False))
        await ws.send_str(text_message(request_id, "turn.end", "{}"))
        await ws.close()
