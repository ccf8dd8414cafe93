"""``livehub standin twitch``: Twitch's EventSub WebSocket, Helix and OAuth on one local server.

* ``GET /ws`` — EventSub over WebSocket (:mod:`connectors.twitch.standin_ws`): welcome, keepalives, close
  codes 4001/4002/4003/4004, ``session_reconnect``, repeated notifications, redelivery to a client's next session.
* ``POST /oauth2/token`` (``grant_type=refresh_token`` with the client id and secret; a revoked or unknown
  refresh token is 400 "Invalid refresh token") and ``GET /oauth2/validate`` (``Authorization: OAuth``;
  401 for an unknown, expired or revoked token). Access tokens live ``token_ttl`` seconds.
* ``POST /helix/eventsub/subscriptions`` — checks the Bearer token and ``Client-Id`` (401), the type and
  version (400), the websocket ``session_id`` (400 unless connected), the condition (the channel, and the
  token's user as ``user_id``/``moderator_user_id``: 403), duplicates (409); 202 with the cost fields.
* ``POST /helix/chat/messages`` — token and ``Client-Id`` (401), ``sender_id`` = the token's user (403),
  1–500 characters (400); ``chat_limit`` messages per 30 s (the bucket refills continuously; 429 with
  ``Ratelimit-*`` headers), a control-API ``rate_limit`` fault also answers 429; a message with a word of
  ``banned`` is a 200 with ``is_sent: false`` and ``drop_reason`` ``msg_rejected``.
* Every Helix answer carries ``Ratelimit-Limit/Remaining/Reset`` (800 points a minute per token).

Stand-in routes beside the shared control API: ``POST /_standin/twitch/revoke`` ``{"type"?, "status"?}`` (a
revocation; default every subscription, ``authorization_revoked``; also invalidates the tokens for an
authorization status), ``POST /_standin/twitch/stall`` ``{"on": bool}`` (the sockets go silent, no keepalives).
The control API's ``{"kind": "reconnect"}`` fault sends ``session_reconnect`` on every session.
"""

from __future__ import annotations

import math
import secrets
import time
import uuid
from typing import Any

from aiohttp import web

from connectors.twitch.mapping import AUTH_REVOCATIONS, SUBSCRIPTIONS
from connectors.twitch.standin_encode import notification, timestamp
from connectors.twitch.standin_ws import EventSubServer
from hub.events import Event
from hub.ratelimit import TokenBucket
from hub.standin import Standin, take_token

HELIX_POINTS = 800


class TwitchStandin(EventSubServer, Standin):
    system = "twitch"
    secret_env = {"access_token": "TWITCH_ACCESS_TOKEN", "refresh_token": "TWITCH_REFRESH_TOKEN",
                  "client_secret": "TWITCH_CLIENT_SECRET"}
    default_room = "12826"

    def __init__(self, *, client_id: str = "standin-client-id", client_secret: str = "standin-client-secret",
                 broadcaster_login: str = "standin_shop", bot_user_id: str = "141981764", bot_login: str = "standin_bot",
                 token_ttl: float | str = 14400, keepalive: int | str = 0, ping_interval: float | str = 10.0,
                 reconnect_grace: float | str = 30.0, reconnect_every: int | str = 0, duplicate_every: int | str = 97,
                 chat_limit: int | str = 20, banned: str = "badword,违禁词", host: str = "127.0.0.1",
                 port: int | str = 0) -> None:
        Standin.__init__(self, host=host, port=int(port))
        EventSubServer.__init__(self, keepalive=int(keepalive), ping_interval=float(ping_interval),
                                reconnect_grace=float(reconnect_grace), reconnect_every=int(reconnect_every),
                                duplicate_every=int(duplicate_every))
        self.client_id, self.client_secret = client_id, client_secret
        self.broadcaster = {"broadcaster_user_id": self.default_room, "broadcaster_user_login": broadcaster_login,
                            "broadcaster_user_name": broadcaster_login}
        self.bot_user_id, self.bot_login = bot_user_id, bot_login
        self.token_ttl, self.chat_limit = float(token_ttl), max(1, int(chat_limit))
        self.banned = [w.strip().lower() for w in banned.split(",") if w.strip()]
        self.tokens: dict[str, float] = {}  # access token -> expiry (time.time())
        self.refresh_tokens: set[str] = set()
        self.access_token = "standin-access-token"  # fixed, so a printed table survives a restart
        self.tokens[self.access_token] = time.time() + self.token_ttl
        self.refresh_token = "standin-refresh-token"
        self.refresh_tokens.add(self.refresh_token)
        self.helix_bucket = TokenBucket(HELIX_POINTS / 60, HELIX_POINTS, now=time.monotonic())
        self.chat_bucket = TokenBucket(self.chat_limit / 30, self.chat_limit, now=time.monotonic())
        self.figures = {"token_grants": 0, "token_refused": 0, "validations": 0, "unauthorized": 0,
                        "subscriptions": 0, "subscription_refused": 0, "chat_sent": 0, "chat_dropped": 0,
                        "chat_rate_limited": 0, "chat_refused": 0}

    def _issue(self) -> str:
        token = f"standin-access-{secrets.token_hex(8)}"
        self.tokens[token] = time.time() + self.token_ttl
        return token

    # -- the shared stand-in contract ----------------------------------------------------------------

    async def deliver(self, event: Event) -> Any:
        note = notification(event, self.broadcaster)
        self.publish(note)
        return {"subscription_type": note.type, "message_id": note.message_id, "event": note.event}

    def request_reconnect(self) -> int:
        return self.ask_reconnect()

    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws"

    def connector_settings(self) -> dict[str, Any]:
        return {"broadcaster_id": self.default_room, "client_id": self.client_id, "access_token": self.access_token,
                "refresh_token": self.refresh_token, "client_secret": self.client_secret, "ws_url": self.ws_url(),
                "api_base": f"{self.url}/helix", "token_url": f"{self.url}/oauth2/token",
                "validate_url": f"{self.url}/oauth2/validate", "chat_limit_per_30s": self.chat_limit}

    def notes(self) -> list[str]:
        return [f"channel {self.broadcaster['broadcaster_user_login']} ({self.default_room}); the bot is "
                f"{self.bot_login} ({self.bot_user_id}); chat: {self.chat_limit} messages per 30 s",
                f"session_reconnect: curl -s -d '{{\"kind\": \"reconnect\"}}' {self.url}/_standin/faults",
                f"revocation: curl -s -d '{{}}' {self.url}/_standin/twitch/revoke"]

    def state(self) -> dict[str, Any]:
        return {**super().state(), **self.figures, "eventsub": dict(self.ws_figures), "close_codes": dict(self.closes),
                "sessions": len(self.sessions), "notifications": len(self.notifications),
                "clients": {f"{k[0]}/{k[1]}": c.offset for k, c in self.clients.items()}}

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/ws", self.eventsub_socket)
        router.add_post("/oauth2/token", self.token)
        router.add_get("/oauth2/validate", self.validate)
        router.add_post("/helix/eventsub/subscriptions", self.subscribe)
        router.add_post("/helix/chat/messages", self.chat)
        router.add_post("/_standin/twitch/revoke", self.revoke_route)
        router.add_post("/_standin/twitch/stall", self.stall_route)

    # -- OAuth ---------------------------------------------------------------------------------------

    def revoke_tokens(self) -> None:
        """The user revoked the app: every access and refresh token stops working."""
        self.tokens.clear()
        self.refresh_tokens.clear()

    def _user_of(self, token: str) -> str:
        expiry = self.tokens.get(token)
        return self.bot_user_id if expiry is not None and expiry > time.time() else ""

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            self.figures["token_refused"] += 1
            return web.json_response({"status": 403, "message": "invalid client secret"}, status=403)
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") not in self.refresh_tokens:
            self.figures["token_refused"] += 1
            return web.json_response({"status": 400, "message": "Invalid refresh token"}, status=400)
        self.figures["token_grants"] += 1
        self.record("token", grant_type="refresh_token")
        return web.json_response({"access_token": self._issue(), "refresh_token": form["refresh_token"],
                                  "expires_in": int(self.token_ttl), "scope": sorted(self._scopes()),
                                  "token_type": "bearer"})

    @staticmethod
    def _scopes() -> set[str]:
        from connectors.twitch.mapping import SCOPES

        return set(SCOPES.values()) | {"user:write:chat", "user:bot"}

    async def validate(self, request: web.Request) -> web.Response:
        self.figures["validations"] += 1
        auth = request.headers.get("Authorization", "")
        token = auth[6:] if auth.startswith("OAuth ") else ""
        if not self._user_of(token):
            return web.json_response({"status": 401, "message": "invalid access token"}, status=401)
        return web.json_response({"client_id": self.client_id, "login": self.bot_login, "user_id": self.bot_user_id,
                                  "scopes": sorted(self._scopes()), "expires_in": int(self.tokens[token] - time.time())})

    # -- Helix -----------------------------------------------------------------------------------------

    def _helix(self, request: web.Request) -> tuple[str, dict[str, str], web.Response | None]:
        """(user id, rate-limit headers, refusal): the Bearer token and Client-Id checked, one point spent."""
        take_token(self.helix_bucket)
        headers = {"Ratelimit-Limit": str(HELIX_POINTS),
                   "Ratelimit-Remaining": str(max(0, math.floor(self.helix_bucket.available(time.monotonic())))),
                   "Ratelimit-Reset": str(math.ceil(time.time() + 60))}
        auth = request.headers.get("Authorization", "")
        user = self._user_of(auth[7:] if auth.startswith("Bearer ") else "")
        if not user:
            self.figures["unauthorized"] += 1
            return "", headers, web.json_response({"error": "Unauthorized", "status": 401,
                                                   "message": "Invalid OAuth token"}, status=401, headers=headers)
        if request.headers.get("Client-Id") != self.client_id:
            self.figures["unauthorized"] += 1
            return "", headers, web.json_response({"error": "Unauthorized", "status": 401, "message":
                                                   "Client ID and OAuth token do not match"}, status=401, headers=headers)
        return user, headers, None

    @staticmethod
    def _error(status: int, message: str, headers: dict[str, str]) -> web.Response:
        names = {400: "Bad Request", 403: "Forbidden", 409: "Conflict", 429: "Too Many Requests"}
        return web.json_response({"error": names.get(status, "Error"), "status": status, "message": message},
                                 status=status, headers=headers)

    async def subscribe(self, request: web.Request) -> web.Response:
        user, headers, refused = self._helix(request)
        if refused is not None:
            return refused
        try:
            body = await request.json()
            type_, version, cond, transport = body["type"], body["version"], body["condition"], body["transport"]
            assert isinstance(cond, dict) and isinstance(transport, dict)
        except (ValueError, KeyError, TypeError, AssertionError):
            return self._error(400, "expected {type, version, condition, transport}", headers)
        self.figures["subscription_refused"] += 1
        known = SUBSCRIPTIONS.get(type_)
        if known is None or known[0] != version:
            return self._error(400, f"unsupported subscription type/version {type_!r} {version!r}", headers)
        session = self.sessions.get(str(transport.get("session_id", "")))
        if transport.get("method") != "websocket" or session is None or session.closed:
            return self._error(400, "websocket transport session does not exist or has already disconnected", headers)
        wanted = {key: self.default_room if who == "b" else user for key, who in known[1].items()}
        if cond != wanted:
            return self._error(403, "subscription missing proper authorization", headers)
        if type_ in session.subs:
            return self._error(409, "subscription already exists", headers)
        self.figures["subscription_refused"] -= 1
        self.figures["subscriptions"] += 1
        sub = {"id": str(uuid.uuid4()), "status": "enabled", "type": type_, "version": version, "condition": cond,
               "created_at": timestamp(), "transport": {"method": "websocket", "session_id": session.id,
                                                         "connected_at": session.connected_at}, "cost": 0}
        self.bind(session, (self.client_id, user), type_, sub)
        self.record("api", call="subscribe", type=type_, session_id=session.id)
        return web.json_response({"data": [sub], "total": len(session.subs), "total_cost": 0, "max_total_cost": 10},
                                 status=202, headers=headers)

    async def chat(self, request: web.Request) -> web.Response:
        user, headers, refused = self._helix(request)
        if refused is not None:
            return refused
        try:
            body = await request.json()
            text, sender = body["message"], body["sender_id"]
            assert isinstance(text, str)
        except (ValueError, KeyError, TypeError, AssertionError):
            self.figures["chat_refused"] += 1
            return self._error(400, "expected {broadcaster_id, sender_id, message}", headers)
        if body.get("broadcaster_id") != self.default_room or sender != user:
            self.figures["chat_refused"] += 1
            return self._error(403, "the sender_id must match the user ID in the token", headers)
        if not text.strip() or len(text) > 500:
            self.figures["chat_refused"] += 1
            return self._error(400, "the message must be 1 to 500 characters", headers)
        wait = 1.0 if self.take_rate_limit() else take_token(self.chat_bucket)
        if wait:
            self.figures["chat_rate_limited"] += 1
            limited = {**headers, "Ratelimit-Remaining": "0", "Ratelimit-Reset": str(math.ceil(time.time() + wait))}
            return self._error(429, "chat rate limit exceeded", limited)
        if any(word in text.lower() for word in self.banned):
            self.figures["chat_dropped"] += 1
            self.record("chat_dropped", text=text, code="msg_rejected")
            return web.json_response({"data": [{"message_id": "", "is_sent": False, "drop_reason": {
                "code": "msg_rejected", "message": "Your message is being checked by mods and has not been sent."}}]},
                headers=headers)
        message_id = str(uuid.uuid4())
        self.figures["chat_sent"] += 1
        self.record("chat", text=text, message_id=message_id, sender_id=sender,
                    reply_parent_message_id=body.get("reply_parent_message_id") or "")
        return web.json_response({"data": [{"message_id": message_id, "is_sent": True}]}, headers=headers)

    # -- stand-in knobs ----------------------------------------------------------------------------------

    async def revoke_route(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        status = str(body.get("status") or "authorization_revoked")
        type_ = body.get("type") if isinstance(body.get("type"), str) else None
        count = self.revoke(type_, status)
        if status in AUTH_REVOCATIONS:
            self.revoke_tokens()
        return web.json_response({"revoked": count, "status": status})

    async def stall_route(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        self.stalled = bool(body.get("on", True)) if isinstance(body, dict) else True
        return web.json_response({"stalled": self.stalled})
