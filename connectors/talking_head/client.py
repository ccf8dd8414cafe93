"""The talking-head service's wire protocol: a sentence's audio in, the video of the host saying it out.

A small HTTP contract any talking-head server can be put behind (a self-hosted GPU box running a lip-sync model,
or a cloud service through a thin adapter; see docs/avatars.md):

* ``GET /v1/health`` → ``{"status": "ok", ...}``;
* ``POST /v1/speak?sentence=<id>&fps=<n>&width=<w>&height=<h>`` with the sentence's speech as a WAV body
  (``audio/wav``, mono 16-bit) → ``200`` and a ``multipart/x-mixed-replace`` stream of JPEG frames, one part per
  video frame, each with ``Content-Length`` and ``X-Frame-Index`` (frame *k* shows the host at seconds
  ``k / fps`` of the sentence), sent as they are rendered;
* ``GET /v1/idle?fps=<n>&width=<w>&height=<h>`` → the same stream: a loop of the host listening, to show
  between sentences.

``Authorization: Bearer <token>`` when the service wants one (401: refused; 429 with ``Retry-After``: too many
requests). Knows nothing of the hub: usable and testable alone.
"""

from __future__ import annotations

import io
import struct
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import numpy as np

MIME_FRAMES = "multipart/x-mixed-replace"
MAX_PART = 8 * 1024 * 1024
"""The largest frame accepted (bytes); a bigger one is a broken stream."""
MAX_HEADERS = 8 * 1024


class TalkingHeadError(Exception):
    """The service failed or broke the protocol."""


class TalkingHeadAuthError(TalkingHeadError):
    """The service refused the token (401/403)."""


class TalkingHeadBusy(TalkingHeadError):
    """429: ``retry_after`` seconds until the service takes another request."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Part:
    """One frame of a stream: its headers (lower-case names) and its JPEG bytes."""

    headers: dict[str, str]
    body: bytes

    @property
    def index(self) -> int:
        try:
            return int(self.headers.get("x-frame-index", ""))
        except ValueError:
            raise TalkingHeadError(f"a frame with a bad X-Frame-Index: {self.headers.get('x-frame-index')!r}")\
                from None


def boundary_of(content_type: str) -> str:
    """The boundary of a ``multipart/x-mixed-replace; boundary=…`` content type (TalkingHeadError otherwise)."""
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != MIME_FRAMES:
        raise TalkingHeadError(f"expected {MIME_FRAMES}, got {content_type!r}")
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary" and value.strip().strip('"'):
            return value.strip().strip('"')
    raise TalkingHeadError(f"no boundary in {content_type!r}")


@dataclass
class FrameStreamParser:
    """Incremental parser of a frame stream: :meth:`feed` bytes as they arrive, get the complete parts.

    Each part is ``--<boundary>`` CRLF, headers, CRLF, ``Content-Length`` bytes, CRLF; ``--<boundary>--`` ends the
    stream (:attr:`ended`). Anything else raises :class:`TalkingHeadError`."""

    boundary: str
    ended: bool = False
    _buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[Part]:
        if self.ended:
            return []
        self._buffer += data
        parts = []
        while (part := self._next()) is not None:
            parts.append(part)
        return parts

    def _next(self) -> Part | None:
        buf = self._buffer
        while buf.startswith(b"\r\n"):
            del buf[:2]
        delimiter = b"--" + self.boundary.encode()
        if len(buf) < len(delimiter) + 2:
            return None
        if not buf.startswith(delimiter):
            raise TalkingHeadError(f"expected the boundary, got {bytes(buf[:40])!r}")
        if buf[len(delimiter):len(delimiter) + 2] == b"--":
            self.ended = True
            buf.clear()
            return None
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEADERS:
                raise TalkingHeadError("a frame's headers are too long")
            return None
        headers = _headers(bytes(buf[len(delimiter):end]))
        try:
            length = int(headers["content-length"])
        except (KeyError, ValueError):
            raise TalkingHeadError("a frame without a valid Content-Length") from None
        if not 0 < length <= MAX_PART:
            raise TalkingHeadError(f"a frame of {length} bytes")
        start = end + 4
        if len(buf) < start + length:
            return None
        body = bytes(buf[start:start + length])
        del buf[:start + length]
        return Part(headers, body)


def _headers(block: bytes) -> dict[str, str]:
    headers = {}
    for raw in block.split(b"\r\n"):
        if not raw.strip():
            continue
        name, sep, value = raw.decode("latin-1").partition(":")
        if not sep or not name.strip():
            raise TalkingHeadError(f"a bad frame header line: {raw[:60]!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


def encode_part(boundary: str, index: int, body: bytes, content_type: str = "image/jpeg") -> bytes:
    """One part of a frame stream (what a service sends)."""
    head = (f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"X-Frame-Index: {index}\r\n\r\n")
    return head.encode() + body + b"\r\n"


def wav_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    """Mono 16-bit ``audio`` as a WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(np.asarray(audio, dtype="<i2").tobytes())
    return out.getvalue()


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """``(samples, sample rate)`` of a mono 16-bit WAV (TalkingHeadError for anything else)."""
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            if w.getnchannels() != 1 or w.getsampwidth() != 2:
                raise TalkingHeadError("audio must be mono 16-bit WAV")
            return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"), w.getframerate()
    except (wave.Error, EOFError, struct.error, ValueError) as exc:
        raise TalkingHeadError(f"not a WAV file: {exc}") from None


class TalkingHeadClient:
    """A client of one service at ``base_url`` (``http://host:port``)."""

    def __init__(self, base_url: str, *, token: str = "", timeout: float = 10.0,
                 session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._session = session
        self._own = session is None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_connect=self.timeout,
                                                                                sock_read=self.timeout))
            self._own = True
        return self._session

    async def health(self) -> dict[str, Any]:
        async with self.session().get(f"{self.base_url}/v1/health", headers=self._headers()) as response:
            await _check(response)
            body = await response.json(content_type=None)
            if not isinstance(body, dict):
                raise TalkingHeadError(f"health: expected an object, got {type(body).__name__}")
            return body

    async def speak(self, sentence: int, audio: np.ndarray, sample_rate: int, *, fps: int,
                    size: tuple[int, int]) -> AsyncIterator[Part]:
        """The frames of the host saying ``audio``, as the service sends them."""
        params = {"sentence": str(sentence), "fps": str(fps), "width": str(size[0]), "height": str(size[1])}
        headers = {**self._headers(), "Content-Type": "audio/wav"}
        async with self.session().post(f"{self.base_url}/v1/speak", params=params, headers=headers,
                                       data=wav_bytes(audio, sample_rate)) as response:
            async for part in _frames(response):
                yield part

    async def idle(self, *, fps: int, size: tuple[int, int]) -> list[Part]:
        """The service's loop of the host listening (every frame of it)."""
        params = {"fps": str(fps), "width": str(size[0]), "height": str(size[1])}
        async with self.session().get(f"{self.base_url}/v1/idle", params=params, headers=self._headers()) as r:
            return [part async for part in _frames(r)]

    async def close(self) -> None:
        if self._own and self._session is not None:
            await self._session.close()
        self._session = None


async def _check(response: aiohttp.ClientResponse) -> None:
    if response.status < 400:
        return
    text = (await response.text(errors="replace"))[:200]
    if response.status in (401, 403):
        raise TalkingHeadAuthError(f"the service refused the token ({response.status}): {text}")
    if response.status == 429:
        try:
            retry = float(response.headers.get("Retry-After", "1"))
        except ValueError:
            retry = 1.0
        raise TalkingHeadBusy(f"the service is busy (429): {text}", max(0.0, retry))
    raise TalkingHeadError(f"the service answered {response.status}: {text}")


async def _frames(response: aiohttp.ClientResponse) -> AsyncIterator[Part]:
    await _check(response)
    parser = FrameStreamParser(boundary_of(response.headers.get("Content-Type", "")))
    async for chunk in response.content.iter_any():
        for part in parser.feed(chunk):
            yield part
        if parser.ended:
            return
    raise TalkingHeadError("the frame stream ended without its closing boundary")
