"""Twitch EventSub over WebSocket: the wire protocol only (standard library and aiohttp).

Every frame is a JSON text message ``{"metadata": {message_id, message_type, message_timestamp
[, subscription_type, subscription_version]}, "payload": {...}}`` (:func:`parse_frame`). A session:

1. connect to ``ws_url?keepalive_timeout_seconds=N``; the first frame is ``session_welcome`` with the
   session id (the caller then creates its subscriptions through Helix within N seconds);
2. ``session_keepalive`` when the server has had nothing to send for N seconds: silence for longer than
   N + ``margin`` means the connection is dead (:class:`KeepaliveTimeout`);
3. ``notification`` and ``revocation`` frames are yielded to the caller;
4. ``session_reconnect`` names a ``reconnect_url``: :class:`EventSubClient` opens it while still reading the
   old socket, and switches once the new socket's welcome arrives (the subscriptions carry over); the old
   socket is read until the server closes it, so nothing sent on it is missed.

The client never sends anything on the socket but pongs to the server's pings (aiohttp's autoping): any
other frame makes Twitch close with 4001. A malformed frame is counted (:attr:`EventSubClient.malformed`)
and skipped; the connection goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
from orjson import loads as _loads

MAX_FRAME = 1 << 20
CLOSE_REASONS = {4000: "internal server error", 4001: "client sent inbound traffic", 4002: "client failed ping-pong",
                 4003: "connection unused (no subscription in time)", 4004: "reconnect grace time expired",
                 4005: "network timeout", 4006: "network error", 4007: "invalid reconnect url"}
EVENT_TYPES = frozenset({"notification", "revocation"})
SESSION_TYPES = frozenset({"session_welcome", "session_keepalive", "session_reconnect"})


class EventSubError(Exception):
    """The EventSub connection failed (transient: connect again)."""


class FrameError(ValueError):
    """A frame that is not a valid EventSub message."""


class SessionClosed(EventSubError):
    """The server closed the socket; ``code`` is its close code (4000–4007, see :data:`CLOSE_REASONS`)."""

    def __init__(self, code: int | None, extra: str = "") -> None:
        self.code = code
        reason = CLOSE_REASONS.get(code or 0, "")
        super().__init__(f"closed {code or ''} {reason} {extra}".replace("  ", " ").strip())


class KeepaliveTimeout(EventSubError):
    """Nothing arrived for keepalive + margin seconds."""


@dataclass(slots=True)
class Frame:
    message_id: str
    message_type: str
    timestamp: str
    payload: dict[str, Any]
    subscription_type: str = ""
    subscription_version: str = ""

    @property
    def session(self) -> dict[str, Any]:
        session = self.payload.get("session")
        return session if isinstance(session, dict) else {}

    @property
    def subscription(self) -> dict[str, Any]:
        sub = self.payload.get("subscription")
        return sub if isinstance(sub, dict) else {}

    @property
    def event(self) -> dict[str, Any]:
        event = self.payload.get("event")
        return event if isinstance(event, dict) else {}


def parse_frame(data: str | bytes) -> Frame:
    """One EventSub message. Raises :class:`FrameError` (and nothing else) for anything malformed."""
    try:
        body = _loads(data)
    except (ValueError, TypeError, RecursionError) as exc:
        raise FrameError(f"not JSON: {type(exc).__name__}") from None
    meta = body.get("metadata") if type(body) is dict else None
    payload = body.get("payload") if meta is not None else None
    if type(meta) is not dict or type(payload) is not dict:
        raise FrameError("a frame needs metadata and payload objects")
    kind, message_id = meta.get("message_type"), meta.get("message_id")
    if type(kind) is not str or not kind or type(message_id) is not str or not message_id:
        raise FrameError("metadata.message_type and metadata.message_id must be strings")
    stamp, sub_type, version = (meta.get("message_timestamp") or "", meta.get("subscription_type") or "",
                                meta.get("subscription_version") or "")
    if type(stamp) is not str or type(sub_type) is not str or type(version) is not str:
        raise FrameError("metadata: timestamp, subscription type and version must be strings")
    frame = Frame(message_id, kind, stamp, payload, sub_type, version)
    if kind == "notification":
        if type(payload.get("subscription")) is not dict or type(payload.get("event")) is not dict:
            raise FrameError("a notification needs payload.subscription and payload.event")
    elif kind == "revocation":
        if type(payload.get("subscription")) is not dict:
            raise FrameError("a revocation needs payload.subscription")
    elif kind in ("session_welcome", "session_reconnect"):
        session = payload.get("session")
        if type(session) is not dict or type(session.get("id")) is not str or not session["id"]:
            raise FrameError(f"a {kind} needs payload.session.id")
        if kind == "session_reconnect" and type(session.get("reconnect_url")) is not str:
            raise FrameError("a session_reconnect needs payload.session.reconnect_url")
    return frame


_SECONDS: dict[str, float] = {}  # "YYYY-MM-DDTHH:MM:SS" -> epoch seconds (UTC), a small memo


def parse_timestamp(value: Any) -> float | None:
    """RFC 3339 with up to nanoseconds (``2022-10-19T14:56:51.634234626Z``) → epoch seconds; None if bad."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    rest = value[19:]
    if rest[-1:] == "Z" and (rest == "Z" or (rest[0] == "." and rest[1:-1].isdigit() and rest[1:-1].isascii())):
        head = value[:19]
        base = _SECONDS.get(head)
        if base is None:
            try:
                base = datetime.fromisoformat(head + "+00:00").timestamp()
            except ValueError:
                return None
            if len(_SECONDS) > 4096:
                _SECONDS.clear()
            _SECONDS[head] = base
        return base + (float("0" + rest[:-1]) if len(rest) > 1 else 0.0)
    return _parse_other(value)


def _parse_other(value: str) -> float | None:
    """The general RFC 3339 form (offsets other than Z)."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    head, dot, rest = text.partition(".")
    fraction = 0.0
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        if not digits:
            return None
        fraction = float("0." + rest[:digits])
        text = head + rest[digits:]
    try:
        return datetime.fromisoformat(text).timestamp() + fraction
    except (ValueError, OverflowError):
        return None


@dataclass(slots=True, eq=False)
class _Socket:
    ws: aiohttp.ClientWebSocketResponse
    reader: asyncio.Task[Any] | None = None
    welcomed: bool = False
    frames: int = field(default=0)


class EventSubClient:
    """Iterate :meth:`frames` for notifications and revocations; the first frame yielded is the
    ``session_welcome`` (subscribe then). ``session`` is the caller's aiohttp session."""

    def __init__(self, session: aiohttp.ClientSession, ws_url: str, *, keepalive_s: int = 10,
                 margin_s: float = 5.0, connect_timeout: float = 10.0) -> None:
        self.session, self.ws_url = session, ws_url
        self.keepalive_s, self.margin_s, self.connect_timeout = keepalive_s, margin_s, connect_timeout
        self.session_id = ""
        self.malformed = self.keepalives = self.reconnects = 0
        self.last_error = ""
        self._queue: asyncio.Queue[tuple[_Socket, Frame | BaseException]] = asyncio.Queue()

    def url(self) -> str:
        sep = "&" if urlsplit(self.ws_url).query else "?"
        return f"{self.ws_url}{sep}{urlencode({'keepalive_timeout_seconds': self.keepalive_s})}"

    async def _open(self, url: str) -> _Socket:
        try:
            ws = await self.session.ws_connect(url, autoping=True, max_msg_size=MAX_FRAME,
                                               timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=2.0))
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise EventSubError(f"connect: {type(exc).__name__}: {exc}") from exc
        sock = _Socket(ws)
        sock.reader = asyncio.create_task(self._read(sock), name="twitch-eventsub-reader")
        return sock

    async def _read(self, sock: _Socket) -> None:
        """Put every frame of ``sock`` on the queue, then the reason it ended."""
        try:
            async for msg in sock.ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    try:
                        self._queue.put_nowait((sock, parse_frame(msg.data)))
                    except FrameError as exc:
                        self._skip(str(exc))
                elif msg.type == aiohttp.WSMsgType.BINARY:
                    self._skip("a binary frame")
            self._queue.put_nowait((sock, SessionClosed(sock.ws.close_code)))
        except Exception as exc:  # noqa: BLE001 - the socket failed: the main loop raises it
            self._queue.put_nowait((sock, EventSubError(f"read: {type(exc).__name__}: {exc}")))

    def _skip(self, why: str) -> None:
        self.malformed += 1
        self.last_error = why

    @staticmethod
    async def _close(sock: _Socket | None) -> None:
        if sock is None:
            return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2.0):
                await sock.ws.close()
        if sock.reader is not None:
            sock.reader.cancel()
            await asyncio.gather(sock.reader, return_exceptions=True)

    async def frames(self) -> AsyncIterator[Frame]:
        """Welcome first, then notifications and revocations, across ``session_reconnect``\\ s. Raises
        :class:`EventSubError` (:class:`SessionClosed`, :class:`KeepaliveTimeout`) when the session ends."""
        current: _Socket | None = await self._open(self.url())
        pending: _Socket | None = None
        retired: list[_Socket] = []  # old sockets after a reconnect: read until the server closes them
        first_wait = self.connect_timeout + self.keepalive_s
        try:
            while True:
                wait = first_wait if current is not None and not current.welcomed else self.keepalive_s + self.margin_s
                if current is None and pending is None:
                    raise EventSubError("the session ended during a reconnect")
                try:
                    async with asyncio.timeout(wait):
                        sock, item = await self._queue.get()
                except TimeoutError:
                    raise KeepaliveTimeout(f"nothing for {wait:g} s (keepalive {self.keepalive_s} s)") from None
                if isinstance(item, BaseException):
                    if sock is current and pending is not None:  # closed before the new welcome came
                        retired.append(current)
                        current = None
                        continue
                    if sock is current or (current is None and sock is pending):
                        raise item
                    if sock is pending:  # the new socket failed before its welcome: the old one goes on
                        self.last_error = f"reconnect failed: {item}"
                        pending = None
                    elif sock in retired:  # the server closed the old socket: everything on it was read
                        retired.remove(sock)
                        await self._close(sock)
                    continue
                sock.frames += 1
                kind = item.message_type
                if kind == "session_welcome":
                    if sock is pending:  # the reconnect is complete: switch; the server closes the old socket
                        sock.welcomed = True
                        if current is not None:
                            retired.append(current)
                        current, pending = sock, None
                        self.session_id = item.session.get("id", self.session_id)
                        continue
                    if sock is current and not sock.welcomed:
                        sock.welcomed = True
                        self.session_id = item.session["id"]
                        keepalive = item.session.get("keepalive_timeout_seconds")
                        if isinstance(keepalive, int) and not isinstance(keepalive, bool) and 0 < keepalive <= 600:
                            self.keepalive_s = keepalive  # what the server promises wins
                        yield item
                    continue
                if kind == "session_keepalive":
                    self.keepalives += 1
                elif kind == "session_reconnect":
                    if sock is current and current is not None and pending is None:
                        self.reconnects += 1
                        try:
                            pending = await self._open(str(item.session["reconnect_url"]))
                        except EventSubError as exc:  # the old socket goes on until the server closes it
                            self.last_error = f"reconnect failed: {exc}"
                elif kind in EVENT_TYPES:
                    yield item
                else:
                    self._skip(f"unknown message_type {kind[:40]!r}")
        finally:
            for sock in (pending, current, *retired):
                await self._close(sock)
            while not self._queue.empty():
                self._queue.get_nowait()
