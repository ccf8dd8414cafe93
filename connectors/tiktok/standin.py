"""``livehub standin tiktok``: TikTok LIVE's webcast feed, its sign server and the room lookup on one
local server.

* ``GET /api-live/user/room/?uniqueId=…`` — the room lookup: ``{"statusCode": 0, "data": {"user":
  {"roomId"}, "liveRoom": {"status": 2}}}`` (status 4 once the stream ended; an unknown handle is
  ``statusCode`` 19881007).
* ``GET /webcast/fetch?room_id=…&client=…&apiKey=…`` — the sign server: a wrong key is 401; beyond
  ``sign_rate`` fetches a second (burst ``sign_burst``) 429 with ``Retry-After``. Answers a raw protobuf
  fetch result: ``push_server`` (this server), ``route_params`` with a one-use signature valid
  ``url_ttl`` seconds, ``cursor`` (the feed's end), ``internal_ext``, ``need_ack``, ``heartbeat_ms`` and the
  last ``initial`` messages; the cookie in ``X-Set-TT-Cookie``.
* ``GET /webcast/im/push/v2/`` — the push server. It refuses (403) a used, expired or forged signature or a
  missing ``echo-protocol`` subprotocol, and answers HTTP 200 with a ``Handshake-Msg`` header (TikTok's
  block) when the cookie is not one it issued, or for every connection when ``block`` is set. The 101
  carries ``Handshake-Options: ping-interval=<ping_interval>``. It sends nothing before ``im_enter_room``;
  it sends gzip'd ``msg`` frames from the connection's ``cursor`` on (so a reconnect loses nothing), at most
  ``window`` frames unacknowledged, checks each ack's ``log_id``, closes a connection that sends no ``hb``
  frame for ``heartbeat_timeout`` seconds (default 3 × ping_interval), repeats a message now and then
  (every ``duplicate_every``-th), and asks for a reconnect with a ``close`` frame every ``reconnect_every``
  frames (0: never) or when :meth:`TikTokStandin.request_reconnect` is called.
* ``POST /webcast/chat`` — the sign server's premium chat route: ``X-Api-Key`` and the account's
  ``sessionId`` (403 without), at most 150 characters (400), ``chat_rate`` a second, burst ``chat_burst``
  (429 with ``Retry-After``).

Viewer events come from the control API (:mod:`hub.standin`); the platform room is the event's ``room``
(default ``7300000000000000001``, the room of ``@standin_shop``). A ``live_state`` ``ended`` event ends
the stream (``WebcastControlMessage`` STREAM_ENDED).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from aiohttp import web

from connectors.tiktok.standin_encode import webcast_messages
from connectors.tiktok.standin_feed import FeedSession
from hub.events import Event
from hub.pushframe import Response, WebcastMessage
from hub.ratelimit import TokenBucket
from hub.standin import Standin, take_token

UNIQUE_ID = "standin_shop"
NO_SUCH_USER = 19881007


class TikTokStandin(Standin):
    system = "tiktok"
    secret_env = {"api_key": "TIKTOK_SIGN_API_KEY", "session_id": "TIKTOK_SESSION_ID"}
    default_room = "7300000000000000001"

    def __init__(self, *, api_key: str = "standin-key", unique_id: str = UNIQUE_ID, session_id: str = "standin-session",
                 send_chat: bool | str = False, ping_interval: float | str = 10.0,
                 heartbeat_timeout: float | str = 0.0, url_ttl: float | str = 30.0, batch: int | str = 50,
                 window: int | str = 8, initial: int | str = 5, duplicate_every: int | str = 97,
                 reconnect_every: int | str = 0, sign_rate: float | str = 10.0, sign_burst: int | str = 30,
                 chat_rate: float | str = 1.0, chat_burst: int | str = 2, block: str = "", **options: Any) -> None:
        super().__init__(**options)
        self.api_key, self.unique_id, self.session_id = api_key, unique_id, session_id
        self.send_chat = send_chat is True or str(send_chat).lower() in ("1", "true", "yes")
        self.ping_interval = float(ping_interval)
        self.heartbeat_timeout = float(heartbeat_timeout) or 3 * self.ping_interval
        self.url_ttl, self.batch, self.window = float(url_ttl), max(1, int(batch)), max(1, int(window))
        self.initial, self.duplicate_every = max(0, int(initial)), max(0, int(duplicate_every))
        self.reconnect_every, self.block = max(0, int(reconnect_every)), block
        self.sign_bucket = TokenBucket(float(sign_rate), int(sign_burst), now=time.monotonic())
        self.chat_bucket = TokenBucket(float(chat_rate), int(chat_burst), now=time.monotonic())
        self.log: dict[str, list[WebcastMessage]] = {}  # per room, every message in order
        self.changed: dict[str, asyncio.Event] = {}
        self.ended: set[str] = set()
        self.signatures: dict[str, tuple[str, float]] = {}  # unused signature -> (room, expiry)
        self.cookies: set[str] = set()
        self.sessions: set[FeedSession] = set()
        self.figures = {"fetches": 0, "sign_rate_limited": 0, "refused": 0, "blocked": 0, "connections": 0,
                        "frames": 0, "acks": 0, "bad_acks": 0, "heartbeats": 0, "heartbeat_timeouts": 0,
                        "enter_room": 0, "duplicates_sent": 0, "reconnect_requests": 0, "chat_rate_limited": 0}
        self.log_id = 1000

    # -- the control API feeds this -------------------------------------------------------------------

    async def deliver(self, event: Event) -> Any:
        messages = webcast_messages(event)
        self.log.setdefault(event.room, []).extend(messages)
        if event.type == "live_state":
            self.ended.add(event.room)
        self.changed.setdefault(event.room, asyncio.Event()).set()
        return {"method": messages[-1].method, "msg_id": str(messages[-1].msg_id), "messages": len(messages)}

    def connector_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = {"unique_id": self.unique_id, "room_info_url": f"{self.url}/api-live/user/room/",
                                    "sign_url": self.url, "api_key": self.api_key}
        if self.send_chat:
            settings.update(send_chat=True, session_id=self.session_id, chat_url=f"{self.url}/webcast/chat")
        return settings

    def notes(self) -> list[str]:
        chat = ("bot chat is on: POST /webcast/chat takes the account's sessionId" if self.send_chat else
                "bot chat is off; --set send_chat=true prints a table that turns it on")
        return [f"the account @{self.unique_id} is live in room {self.default_room}", chat]

    def state(self) -> dict[str, Any]:
        return {**super().state(), **self.figures, "rooms": {room: len(log) for room, log in self.log.items()},
                "ended": sorted(self.ended), "feeds": len(self.sessions)}

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api-live/user/room/", self.room_info)
        router.add_get("/webcast/fetch", self.fetch)
        router.add_get("/webcast/im/push/v2/", self.push_socket)
        router.add_post("/webcast/chat", self.chat)

    def request_reconnect(self) -> int:
        """Ask every open feed to reconnect (a ``close`` frame); returns how many were asked."""
        for session in self.sessions:
            session.ask_reconnect()
        return len(self.sessions)

    # -- room info and sign server ----------------------------------------------------------------------

    async def room_info(self, request: web.Request) -> web.Response:
        if request.query.get("uniqueId", "").lstrip("@") != self.unique_id:
            return web.json_response({"statusCode": NO_SUCH_USER, "message": "user_not_found", "data": {}})
        room = self.default_room
        status = 4 if room in self.ended else 2
        return web.json_response({"statusCode": 0, "data": {"user": {"roomId": room, "uniqueId": self.unique_id},
                                                            "liveRoom": {"status": status}}})

    def end_cursor(self, room: str) -> str:
        return f"tc-{len(self.log.get(room, []))}"

    async def fetch(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("apiKey", "") != self.api_key:
            return web.json_response({"error": "invalid api key"}, status=401)
        retry = take_token(self.sign_bucket)
        if retry:
            self.figures["sign_rate_limited"] += 1
            return web.json_response({"error": "rate limited"}, status=429, headers={"Retry-After": f"{retry:.2f}"})
        room = query.get("room_id", "")
        if room != self.default_room and room not in self.log:
            return web.json_response({"error": "no such room"}, status=404)
        self.figures["fetches"] += 1
        signature = secrets.token_urlsafe(24)
        self.signatures[signature] = (room, time.monotonic() + self.url_ttl)
        cookie = secrets.token_hex(16)
        self.cookies.add(cookie)
        room_log = self.log.get(room, [])
        result = Response(messages=room_log[max(0, len(room_log) - self.initial):], cursor=self.end_cursor(room),
                          internal_ext=f"internal_src:dim|wss_push_room_id:{room}|fetch_time:{int(time.time() * 1000)}",
                          need_ack=True, heartbeat_ms=int(self.ping_interval * 1000), now=int(time.time() * 1000),
                          route_params={"wrss": signature, "room_id": room}, is_first=True,
                          push_server=f"ws://{self.host}:{self.port}/webcast/im/push/v2/")
        return web.Response(body=result.encode(), content_type="application/x-protobuf",
                            headers={"X-Set-TT-Cookie": f"ttwid={cookie}; tt-target-idc=useast2a"})

    # -- the push server --------------------------------------------------------------------------------

    def _refusal(self, request: web.Request) -> tuple[int, str]:
        """(status, reason) of a refused handshake; (0, "") when accepted."""
        signature = request.query.get("wrss", "")
        room, expiry = self.signatures.pop(signature, ("", 0.0))  # good for one connection
        if not room or room != request.query.get("room_id"):
            return 403, "unknown or already used signature"
        if expiry < time.monotonic():
            return 403, "signature expired"
        protocols = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
        if "echo-protocol" not in protocols:
            return 403, "subprotocol echo-protocol is required"
        if self.block:
            return 200, self.block
        if request.cookies.get("ttwid", "") not in self.cookies:
            return 200, "DEVICE_BLOCKED: no ttwid cookie from the sign server"
        return 0, ""

    async def push_socket(self, request: web.Request) -> web.StreamResponse:
        status, reason = self._refusal(request)
        if status:
            self.figures["blocked" if status == 200 else "refused"] += 1
            return web.Response(status=status, text="" if status == 200 else reason,
                                headers={"Handshake-Msg": reason} if status == 200 else None)
        room = request.query["room_id"]
        ws = web.WebSocketResponse(protocols=("echo-protocol",), autoping=False, max_msg_size=1 << 20)
        ws.headers["Handshake-Options"] = f"ping-interval={self.ping_interval:g}; ping-max-count=3"
        await ws.prepare(request)
        self.figures["connections"] += 1
        session = FeedSession(self, ws, room, _offset(request.query.get("cursor", "")))
        self.sessions.add(session)
        try:
            await session.serve()
        finally:
            self.sessions.discard(session)
            await ws.close()
        return ws

    # -- chat ---------------------------------------------------------------------------------------------

    async def chat(self, request: web.Request) -> web.Response:
        if request.headers.get("X-Api-Key", "") != self.api_key:
            return web.json_response({"error": "invalid api key"}, status=401)
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("content"), str):
            return web.json_response({"error": "expected {roomId, content, sessionId}"}, status=400)
        if not self.send_chat or body.get("sessionId") != self.session_id:
            return web.json_response({"error": "not logged in: a valid sessionId is required"}, status=403)
        text = body["content"]
        if not text.strip() or len(text) > 150:
            return web.json_response({"error": "a comment is 1 to 150 characters"}, status=400)
        retry = 1.0 if self.take_rate_limit() else take_token(self.chat_bucket)
        if retry:
            self.figures["chat_rate_limited"] += 1
            return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": f"{retry:.2f}"})
        entry = self.record("chat", text=text, room=str(body.get("roomId", "")))
        return web.json_response({"id": str(7_000_000_000 + entry["n"])})


def _offset(cursor: str) -> int:
    """The stand-in's cursors are ``tc-<messages sent>``; anything else starts at the feed's end."""
    return int(cursor[3:]) if cursor.startswith("tc-") and cursor[3:].isdigit() else -1

