"""A local stand-in for the edge-tts service: an aiohttp WebSocket server speaking its real framing.

What the real service does, and what edge-tts parses (``edge_tts/communicate.py``):

* the client sends two text messages, ``Path:speech.config`` (JSON) then ``Path:ssml`` (the SSML);
* the service answers with text messages ``headers\\r\\n\\r\\nbody`` for ``Path:turn.start``,
  ``Path:response``, ``Path:audio.metadata`` (``{"Metadata": [{"Type": "WordBoundary", "Data": {"Offset",
  "Duration", "text": {"Text", ...}}}]}``, times in 100 ns ticks) and finally ``Path:turn.end``;
* audio comes in binary messages: a 2-byte big-endian header length, the headers
  (``X-RequestId``, ``Content-Type:audio/mpeg``, ``X-StreamId``, ``Path:audio``, each ending ``\\r\\n``), then
  MP3 bytes (``audio-24khz-48kbitrate-mono-mp3``); a last binary message without Content-Type and without
  data closes the audio.

``mode`` "ok" serves the whole turn; "close" closes the socket half-way through the audio; "silent" accepts
the request and never answers (for timeouts).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from xml.sax.saxutils import unescape

import numpy as np
from aiohttp import WSMsgType, web

MP3_RATE = 24_000
TICKS = 10_000_000


def make_mp3(seconds: float = 1.6, rate: int = MP3_RATE) -> bytes:
    """Raw MP3 frames (48 kbit/s mono, like the service's) of syllable-like tone bursts, made with PyAV."""
    import av

    t = np.arange(int(seconds * rate)) / rate
    envelope = np.clip(np.sin(2 * np.pi * 3.0 * t), 0, None)  # three "syllables" a second
    signal = (0.5 * envelope * np.sin(2 * np.pi * 220 * t) * 2**31).astype(np.int32)
    codec = av.CodecContext.create("libmp3lame", "w")
    codec.sample_rate, codec.layout, codec.format, codec.bit_rate = rate, "mono", "s32p", 48_000
    frame = av.AudioFrame.from_ndarray(signal.reshape(1, -1), format="s32p", layout="mono")
    frame.sample_rate, frame.pts = rate, 0
    return b"".join(bytes(p) for p in codec.encode(frame)) + b"".join(bytes(p) for p in codec.encode(None))


def text_message(request_id: str, path: str, body: str) -> str:
    return (f"X-RequestId:{request_id}\r\nContent-Type:application/json; charset=utf-8\r\n"
            f"Path:{path}\r\n\r\n{body}")


def audio_message(request_id: str, stream_id: str, data: bytes, *, content_type: bool = True) -> bytes:
    headers = f"X-RequestId:{request_id}\r\n"
    if content_type:
        headers += "Content-Type:audio/mpeg\r\n"
    headers += f"X-StreamId:{stream_id}\r\nPath:audio\r\n"
    raw = headers.encode("ascii")
    return len(raw).to_bytes(2, "big") + raw + data


def spoken_words(ssml: str) -> list[str]:
    """The words of the SSML's text: whitespace-separated, each Hanzi on its own."""
    found = re.search(r"<prosody[^>]*>(.*)</prosody>", ssml, re.S)
    text = unescape(found.group(1)) if found else ""
    return re.findall(r"[\u3400-\u9fff]|[^\s\u3400-\u9fff]+", text)


class EdgeStandIn:
    """``async with EdgeStandIn(mp3) as server:`` then point the backend's ``endpoint`` at ``server.url``."""

    def __init__(self, mp3: bytes, *, mode: str = "ok", duration: float = 1.6, chunk: int = 1200) -> None:
        self.mp3, self.mode, self.duration, self.chunk = mp3, mode, duration, chunk
        self.requests: list[dict[str, str]] = []
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self.url = ""

    async def __aenter__(self) -> EdgeStandIn:
        app = web.Application()
        app.router.add_get("/consumer/speech/synthesize/readaloud/edge/v1", self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"ws://127.0.0.1:{port}/consumer/speech/synthesize/readaloud/edge/v1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stopping.set()  # a "silent" handler returns, so the server stops at once
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        received: dict[str, str] = {"query": request.query_string}
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            head, _, body = message.data.partition("\r\n\r\n")
            headers = dict(line.split(":", 1) for line in head.split("\r\n") if ":" in line)
            received[headers.get("Path", "?")] = body
            if headers.get("Path") == "ssml":
                received["request_id"] = headers.get("X-RequestId", "")
                break
        self.requests.append(received)
        if self.mode == "silent":
            await self._stopping.wait()
            return ws
        await self._answer(ws, received.get("request_id") or uuid.uuid4().hex, received.get("ssml", ""))
        return ws

    async def _answer(self, ws: web.WebSocketResponse, request_id: str, ssml: str) -> None:
        stream_id = uuid.uuid4().hex.upper()
        await ws.send_str(text_message(request_id, "turn.start",
                                       json.dumps({"context": {"serviceTag": stream_id}})))
        await ws.send_str(text_message(request_id, "response",
                                       json.dumps({"context": {"serviceTag": stream_id},
                                                   "audio": {"type": "inline", "streamId": stream_id}})))
        words = spoken_words(ssml)
        step = self.duration / max(len(words), 1)
        for i, word in enumerate(words):
            data = {"Offset": int(i * step * TICKS), "Duration": int(step * 0.8 * TICKS),
                    "text": {"Text": word, "Length": len(word), "BoundaryType": "WordBoundary"}}
            await ws.send_str(text_message(request_id, "audio.metadata",
                                           json.dumps({"Metadata": [{"Type": "WordBoundary", "Data": data}]})))
        chunks = [self.mp3[i:i + self.chunk] for i in range(0, len(self.mp3), self.chunk)]
        for n, chunk in enumerate(chunks):
            if self.mode == "close" and n == len(chunks) // 2:
                await ws.close()
                return
            await ws.send_bytes(audio_message(request_id, stream_id, chunk))
        await ws.send_bytes(audio_message(request_id, stream_id, b"", content_type=False))
        await ws.send_str(text_message(request_id, "turn.end", "{}"))
        await ws.close()
