"""The edge-tts service's wire framing, for stand-in servers (tests, benchmarks) of this plugin.

What the real service does, and what edge-tts parses (``edge_tts/communicate.py``):

* the client sends two text messages, ``Path:speech.config`` (JSON) then ``Path:ssml`` (the SSML);
* the service answers with text messages ``headers\\r\\n\\r\\nbody`` for ``Path:turn.start``,
  ``Path:response``, ``Path:audio.metadata`` (``{"Metadata": [{"Type": "WordBoundary", "Data": {"Offset",
  "Duration", "text": {"Text", ...}}}]}``, times in 100 ns ticks) and finally ``Path:turn.end``;
* audio comes in binary messages: a 2-byte big-endian header length, the headers
  (``X-RequestId``, ``Content-Type:audio/mpeg``, ``X-StreamId``, ``Path:audio``, each ending ``\\r\\n``), then
  MP3 bytes (``audio-24khz-48kbitrate-mono-mp3``); a last binary message without Content-Type and without
  data closes the audio.

A stand-in reads the request with :func:`read_request`, sends :func:`turn_opening`, then
:func:`word_boundaries`, the audio (:func:`audio_message`, closed by an empty one) and
``text_message(..., "turn.end", "{}")``. :func:`make_mp3` makes MP3 audio of tone bursts with PyAV.
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.sax.saxutils import unescape

import numpy as np

MP3_RATE = 24_000
TICKS = 10_000_000  # edge-tts times are in 100 ns ticks
EDGE_PATH = "/consumer/speech/synthesize/readaloud/edge/v1"


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
    """One binary audio message; ``content_type=False`` with no data is the end of the audio."""
    headers = f"X-RequestId:{request_id}\r\n" + ("Content-Type:audio/mpeg\r\n" if content_type else "")
    raw = (headers + f"X-StreamId:{stream_id}\r\nPath:audio\r\n").encode("ascii")
    return len(raw).to_bytes(2, "big") + raw + data


def spoken_words(ssml: str) -> list[str]:
    """The words of the SSML's text: whitespace-separated, each Hanzi on its own."""
    found = re.search(r"<prosody[^>]*>(.*)</prosody>", ssml, re.S)
    text = unescape(found.group(1)) if found else ""
    return re.findall(r"[\u3400-\u9fff]|[^\s\u3400-\u9fff]+", text)


async def read_request(ws: Any) -> dict[str, str]:
    """The client's text messages up to its SSML, by ``Path`` (``speech.config``, ``ssml``), plus
    ``request_id``; binary and other messages are skipped."""
    from aiohttp import WSMsgType

    received: dict[str, str] = {}
    async for message in ws:
        if message.type != WSMsgType.TEXT:
            continue
        head, _, body = message.data.partition("\r\n\r\n")
        headers = dict(line.split(":", 1) for line in head.split("\r\n") if ":" in line)
        received[headers.get("Path", "?")] = body
        if headers.get("Path") == "ssml":
            received["request_id"] = headers.get("X-RequestId", "")
            break
    return received


def turn_opening(request_id: str, stream_id: str) -> list[str]:
    """The ``turn.start`` and ``response`` messages that open a turn."""
    context = {"context": {"serviceTag": stream_id}}
    return [text_message(request_id, "turn.start", json.dumps(context)),
            text_message(request_id, "response",
                         json.dumps({**context, "audio": {"type": "inline", "streamId": stream_id}}))]


def word_boundaries(request_id: str, words: list[str], seconds: float) -> list[str]:
    """One ``audio.metadata`` message per word, the words spread evenly over ``seconds``."""
    step = seconds / max(len(words), 1)
    out = []
    for i, word in enumerate(words):
        data = {"Offset": int(i * step * TICKS), "Duration": int(step * 0.8 * TICKS),
                "text": {"Text": word, "Length": len(word), "BoundaryType": "WordBoundary"}}
        out.append(text_message(request_id, "audio.metadata",
                                json.dumps({"Metadata": [{"Type": "WordBoundary", "Data": data}]})))
    return out
