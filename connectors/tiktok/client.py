"""TikTok LIVE webcast (unofficial), wire protocol only: usable without LiveHub.

1. **Room id** — ``GET {room_info_url}?uniqueId=<handle>&sourceType=54``: JSON ``{"statusCode": 0, "data":
   {"user": {"roomId": "…"}, "liveRoom": {"status": 2}}}`` (status 2: live; 4: ended).
2. **Sign server** (Euler Stream's protocol) — ``GET {sign_url}/webcast/fetch?room_id=…&client=…&apiKey=…``
   answers a raw protobuf ``ProtoMessageFetchResult`` (:class:`hub.pushframe.Response`): ``push_server``,
   ``route_params`` (the URL's signature; it expires and is good for one connection), ``cursor``,
   ``internal_ext``, ``need_ack``, ``heartbeat_ms`` and the first messages; the cookie to send is in the
   ``X-Set-TT-Cookie`` header. 429: the sign server's rate limit; 401/403: the API key is refused.
3. **Push server** — ``GET push_server?<defaults>&<route_params>&cursor=…&internal_ext=…`` upgraded to a
   WebSocket, subprotocol ``echo-protocol``, ``Cookie`` header. The 101 answer's ``Handshake-Options``
   header (``ping-interval=N``) sets the heartbeat; an HTTP 200 with a ``Handshake-Msg`` header is a refusal
   (:class:`HandshakeRefused`: blocked, not retried blindly). On open the client sends ``im_enter_room``
   (``WebcastImEnterRoomMessage``), then every ``ping-interval`` an ``hb`` frame (``HeartbeatMessage``;
   TikTok answers no WebSocket pings). ``msg`` frames carry a gzip'd ``Response``; when it asks
   (``need_ack``) the client answers an ``ack`` frame with the frame's ``log_id`` and ``internal_ext``.
   A ``close`` frame is the server asking for a reconnect (:class:`ReconnectRequested`).

A malformed frame is counted (``counts["malformed_frames"]``) and skipped; the connection goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp

from hub.protowire import encode
from hub.pushframe import (
    MAX_FRAME,
    FrameError,
    PushFrame,
    Response,
    ack_frame,
    decode_frame,
    decode_response,
    parse_response,
)
from hub.pushframe import heartbeat_frame as hb_frame

CLIENT_NAME = "livehub"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
DEFAULT_PARAMS = {"aid": "1988", "app_name": "tiktok_web", "device_platform": "web", "identity": "audience",
                  "live_id": "12", "resp_content_type": "protobuf", "compress": "gzip", "version_code": "180800",
                  "browser_language": "en-US", "browser_platform": "Linux", "webcast_sdk_version": "1.3.0"}
SUBPROTOCOL = "echo-protocol"
LIVE, ENDED = 2, 4  # the room info's liveRoom.status


class TikTokError(Exception):
    """A transient failure (room info, sign server, push server): reconnect with backoff."""


class SignRateLimited(TikTokError):
    """The sign server answered 429: ``retry_after`` seconds (0 when it did not say)."""

    def __init__(self, retry_after: float, message: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SignAuthError(TikTokError):
    """The sign server refused the API key (401/403): retrying will not help."""


class HandshakeRefused(TikTokError):
    """The push server answered HTTP 200 instead of 101 with a ``Handshake-Msg`` (blocked)."""


class RoomOffline(TikTokError):
    """The account is not live now (or has no such room)."""


class ReconnectRequested(TikTokError):
    """The push server sent a ``close`` frame: fetch a fresh signed URL and connect again now."""


def parse_options(header: str) -> dict[str, str]:
    """``Handshake-Options`` (cookie-like: ``ping-interval=10; foo=bar``) as a dict."""
    out = {}
    for part in header.replace(",", ";").split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            out[key.strip().lower()] = value.strip()
    return out


def heartbeat_message(room_id: str, seq: int) -> bytes:
    """``HeartbeatMessage{roomId = 1, sendPacketSeqId = 2}``."""
    return encode([(1, int(room_id) if room_id.isdigit() else 0), (2, seq)])


def enter_room_message(room_id: str, cursor: str = "") -> bytes:
    """``WebcastImEnterRoomMessage{room_id 1, live_id 4 (12), identity 5, cursor 6, filter_welcome_msg 9}``."""
    return encode([(1, int(room_id) if room_id.isdigit() else 0), (4, 12), (5, "audience"), (6, cursor),
                   (9, "0")])


def feed_url(push_server: str, room_id: str, route_params: dict[str, str], cursor: str, internal_ext: str) -> str:
    params = {**DEFAULT_PARAMS, "room_id": room_id, **route_params, "cursor": cursor, "internal_ext": internal_ext}
    return f"{push_server}{'&' if '?' in push_server else '?'}{urlencode(params)}"


class Feed:
    """One open WebSocket: iterate for :class:`Response`\\ s; :meth:`ack` each after handling it."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, idle_timeout: float, counts: Counter[str]) -> None:
        self.ws, self.idle_timeout, self.counts = ws, idle_timeout, counts
        self.last_error = ""
        self._log_id = 0

    async def __aiter__(self) -> AsyncIterator[Response]:
        while True:
            try:
                msg = await self.ws.receive(timeout=self.idle_timeout)
            except TimeoutError:
                raise TikTokError(f"no frame for {self.idle_timeout:g} s") from None
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED,
                            aiohttp.WSMsgType.ERROR):
                raise TikTokError(f"feed closed ({msg.type.name} {msg.data!r} {msg.extra or ''})".strip())
            if msg.type != aiohttp.WSMsgType.BINARY:
                self._skip(f"a {msg.type.name} message")
                continue
            try:
                frame = decode_frame(msg.data)
                if frame.payload_type != "msg":
                    self._control(frame)
                    continue
                response = decode_response(frame)
            except FrameError as exc:
                self._skip(str(exc))
                continue
            self._log_id = frame.log_id
            yield response

    def _control(self, frame: PushFrame) -> None:
        if frame.payload_type == "close":
            raise ReconnectRequested("the push server asked for a reconnect")
        self.counts[f"frames:{frame.payload_type[:32] or '-'}"] += 1

    def _skip(self, why: str) -> None:
        self.counts["malformed_frames"] += 1
        self.last_error = why

    async def ack(self, response: Response) -> None:
        """Acknowledge the last frame when its response asked for it."""
        if response.need_ack:
            await self.ws.send_bytes(ack_frame(self._log_id, response.internal_ext))


class TikTokClient:
    """Room info, sign server and push server (chat: :mod:`connectors.tiktok.chat`). ``session`` is the caller's."""

    def __init__(self, session: aiohttp.ClientSession, *, sign_url: str, room_info_url: str, api_key: str = "",
                 unique_id: str = "", room_id: str = "", session_id: str = "", heartbeat_s: float = 10.0,
                 idle_timeout: float = 60.0, timeout: float = 10.0) -> None:
        self.session, self.sign_url, self.room_info_url = session, sign_url.rstrip("/"), room_info_url
        self.api_key, self.unique_id, self.room_id = api_key, unique_id.lstrip("@"), room_id
        self.session_id, self.heartbeat_s, self.idle_timeout = session_id, heartbeat_s, idle_timeout
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.heartbeats = 0
        self.ping_interval = heartbeat_s

    async def resolve_room(self) -> str:
        """The live room of ``unique_id`` (a configured ``room_id`` is used as it is)."""
        if self.room_id and not self.unique_id:
            return self.room_id
        params = {"uniqueId": self.unique_id, "sourceType": "54"}
        try:
            async with self.session.get(self.room_info_url, params=params, timeout=self.timeout,
                                        headers={"User-Agent": USER_AGENT}) as response:
                if response.status != 200:
                    raise TikTokError(f"room info: HTTP {response.status}")
                answer: Any = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise TikTokError(f"room info: {type(exc).__name__}: {exc}") from exc
        data = answer.get("data") if isinstance(answer, dict) else None
        user = data.get("user") if isinstance(data, dict) else None
        room = data.get("liveRoom") if isinstance(data, dict) else None
        room_id = str(user.get("roomId") or "") if isinstance(user, dict) else ""
        status = room.get("status") if isinstance(room, dict) else None
        if answer.get("statusCode") not in (0, None) or not room_id.isdigit():
            raise RoomOffline(f"room info: no room for @{self.unique_id} (statusCode {answer.get('statusCode')})")
        if status != LIVE:
            raise RoomOffline(f"room info: @{self.unique_id} is not live (status {status})")
        self.room_id = room_id
        return room_id

    async def fetch(self) -> tuple[Response, str]:
        """The sign server's fetch result and the cookie header to connect with."""
        params = {"room_id": self.room_id, "client": CLIENT_NAME, **({"apiKey": self.api_key} if self.api_key else {})}
        try:
            async with self.session.get(f"{self.sign_url}/webcast/fetch", params=params, timeout=self.timeout,
                                        headers={"User-Agent": USER_AGENT}) as response:
                body = await response.read()
                if response.status == 429:
                    retry = response.headers.get("Retry-After", "")
                    raise SignRateLimited(float(retry) if retry.replace(".", "", 1).isdigit() else 0.0,
                                          "sign server: rate limited (429)")
                if response.status in (401, 403):
                    raise SignAuthError(f"sign server: HTTP {response.status}: {body[:200].decode('utf-8', 'replace')}")
                if response.status != 200:
                    raise TikTokError(f"sign server: HTTP {response.status}")
                cookie = response.headers.get("X-Set-TT-Cookie", "")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TikTokError(f"sign server: {type(exc).__name__}: {exc}") from exc
        try:
            result = parse_response(body)
        except FrameError as exc:
            raise TikTokError(f"sign server: {exc}") from None
        if not result.push_server:
            raise TikTokError("sign server: the fetch result names no push server")
        return result, cookie

    def cookie_header(self, cookie: str) -> str:
        parts = [c.strip() for c in cookie.split(";") if c.strip()]
        if self.session_id:
            parts.append(f"sessionid={self.session_id}")
        return "; ".join(parts)

    @contextlib.asynccontextmanager
    async def connect(self, fetched: Response, cookie: str, cursor: str, counts: Counter[str]) -> AsyncIterator[Feed]:
        """Open the push server's WebSocket from a fresh fetch result, resuming at ``cursor``; enter the
        room; heartbeats run while the block does."""
        url = feed_url(fetched.push_server, self.room_id, fetched.route_params, cursor, fetched.internal_ext)
        headers = {"User-Agent": USER_AGENT, "Cookie": self.cookie_header(cookie)}
        try:
            ws = await self.session.ws_connect(url, headers=headers, protocols=(SUBPROTOCOL,), autoping=False,
                                               max_msg_size=MAX_FRAME,
                                               timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=2.0))
        except aiohttp.WSServerHandshakeError as exc:
            refusal = exc.headers.get("Handshake-Msg") if exc.headers else None
            if exc.status == 200 and refusal is not None:
                raise HandshakeRefused(f"push server refused the connection: {refusal}") from None
            raise TikTokError(f"push server: HTTP {exc.status} ({exc.message})") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TikTokError(f"push server: {type(exc).__name__}: {exc}") from exc
        answer = getattr(ws, "_response", None)  # aiohttp keeps the 101 answer's headers only there
        options = parse_options(answer.headers.get("Handshake-Options", "") if answer is not None else "")
        interval = options.get("ping-interval", "")
        try:
            self.ping_interval = float(interval) if interval else (fetched.heartbeat_ms / 1000 or self.heartbeat_s)
        except ValueError:
            self.ping_interval = self.heartbeat_s
        self.ping_interval = min(max(self.ping_interval, 0.05), 120.0)
        beat: asyncio.Task[None] | None = None
        try:
            await ws.send_bytes(PushFrame(payload_type="im_enter_room",
                                          payload=enter_room_message(self.room_id, cursor)).encode())
            beat = asyncio.create_task(self._heartbeat(ws), name="tiktok-heartbeat")
            yield Feed(ws, self.idle_timeout, counts)
        except (ConnectionError, aiohttp.ClientError) as exc:
            raise TikTokError(f"push server: {type(exc).__name__}: {exc}") from exc
        finally:
            if beat is not None:
                beat.cancel()
                with contextlib.suppress(BaseException):
                    await beat
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await ws.close()

    async def _heartbeat(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        seq = 0
        with contextlib.suppress(ConnectionError, aiohttp.ClientError, RuntimeError):
            while not ws.closed:
                seq += 1
                await ws.send_bytes(hb_frame(heartbeat_message(self.room_id, seq)))
                self.heartbeats += 1
                await asyncio.sleep(self.ping_interval)
