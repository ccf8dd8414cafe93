"""``livehub standin youtube``: the YouTube Data API v3 live-chat routes and the streamList gRPC service.

HTTP (the stand-in's port): ``POST /token`` (OAuth refresh: a wrong client or refresh token is
``invalid_client``/``invalid_grant``), and under ``/youtube/v3``: ``GET videos`` (``activeLiveChatId``),
``GET liveBroadcasts?mine=true`` (OAuth), ``GET liveChat/messages`` (list) and ``POST liveChat/messages``
(insert, OAuth, at most 200 characters, echoed into the chat as real YouTube does). Every call is charged
to its credential's quota of the Pacific day (1 unit for videos and liveBroadcasts, 5 for list, 20 for
insert) and refused ``403 quotaExceeded`` when that would pass ``quota``; a list earlier than the
``pollingIntervalMillis`` the credential was given is ``403 rateLimitExceeded``. Page tokens are opaque and
resume exactly after the last message delivered; a token that is not ours is 400. Errors use YouTube's
envelope ``{"error": {"code", "message", "errors": [{"domain", "reason"}]}}``.

gRPC (``grpc_port``): :mod:`connectors.youtube.standin_grpc`. Viewer events come from the control API
(:mod:`hub.standin`): comments (``paid`` ones become super chats, or super stickers without text),
``follow`` (a new member), ``gift`` (a membership gifting) and ``live_state`` ``ended`` (``chatEndedEvent``
and ``offlineAt``); YouTube has no likes or enters (400). Platform room = video id.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import grpc
from aiohttp import web

from connectors.youtube.mapping import TYPE_NAMES
from connectors.youtube.quota import COSTS
from connectors.youtube.standin_data import ChatLog, QuotaLedger, encode_event, new_message
from connectors.youtube.standin_grpc import StreamListServicer, serve
from hub.events import Event, LiveState
from hub.ratelimit import TokenBucket
from hub.standin import Standin, take_token

VIDEO_ID = "hLiveDemo01"


def _error(status: int, reason: str, message: str, domain: str = "youtube.liveChat") -> web.Response:
    body = {"error": {"code": status, "message": message, "errors": [{"domain": domain, "reason": reason,
                                                                     "message": message}]}}
    return web.json_response(body, status=status)


class YoutubeStandin(Standin):
    system = "youtube"
    secret_env = {"client_secret": "YOUTUBE_CLIENT_SECRET", "refresh_token": "YOUTUBE_REFRESH_TOKEN",
                  "api_key": "YOUTUBE_API_KEY"}
    default_room = VIDEO_ID

    def __init__(self, *, api_key: str = "standin-api-key", client_id: str = "standin-client.apps.googleusercontent.com",
                 client_secret: str = "standin-client-secret", refresh_token: str = "standin-refresh-token",
                 polling_ms: int | str = 2000, stream_close_s: float | str = 10.0, stream_batch: int | str = 200,
                 history: int | str = 50, quota: int | str = 10_000, token_ttl_s: float | str = 3600,
                 grpc_port: int | str = -1, stream: str = "on", credentials: str = "oauth",
                 clock: Callable[[], float] | None = None, **options: Any) -> None:
        super().__init__(**options)
        if stream not in ("on", "off"):
            raise ValueError(f"stream: on or off, not {stream!r}")
        if credentials not in ("oauth", "api_key"):
            raise ValueError(f"credentials: oauth or api_key, not {credentials!r}")
        self.api_key, self.client_id, self.client_secret = api_key, client_id, client_secret
        self.refresh_token, self.credentials_kind = refresh_token, credentials
        self.polling_ms, self.stream_close_s = int(polling_ms), float(stream_close_s)
        self.stream_batch, self.history, self.token_ttl_s = int(stream_batch), int(history), float(token_ttl_s)
        grpc_at = int(grpc_port)  # -1: the port after the HTTP port (a free one when that is 0)
        self.grpc_port, self.stream_enabled = (grpc_at if grpc_at >= 0 else self.port + 1 if self.port else 0), stream == "on"
        self.wall = clock or time.time
        self.quota = QuotaLedger(int(quota), self.wall)
        self.tokens: dict[str, float] = {}  # access token -> expiry (wall)
        self.chats: dict[str, ChatLog] = {}
        self.last_poll: dict[tuple[str, str], tuple[float, float]] = {}  # (credential, chat) -> (at, interval)
        self.chat_bucket = TokenBucket(1.0, 5)  # the stand-in's posting limit (YouTube publishes none)
        self.figures = {"rate_limited_polls": 0, "quota_refused": 0, "token_refreshes": 0, "refused_auth": 0}
        self.servicer = StreamListServicer(self)
        self._grpc: grpc.aio.Server | None = None
        self.chat(VIDEO_ID)

    # -- the chats -------------------------------------------------------------------------------------

    def chat(self, video_id: str) -> ChatLog:
        """The live chat of ``video_id`` (made on first use)."""
        for log in self.chats.values():
            if log.video_id == video_id:
                return log
        log = ChatLog(f"Cg0KC{video_id}LiveChat", video_id)
        self.chats[log.chat_id] = log
        return log

    async def deliver(self, event: Event) -> Any:
        log = self.chat(event.room)
        if isinstance(event, LiveState):
            if event.state != "ended":
                raise ValueError("live_state: only ended is delivered (chatEndedEvent and offlineAt)")
            log.end(self.wall())
            return {"type": "chatEndedEvent", "offlineAt": log.offline_at}
        message = encode_event(event, log.chat_id, self.wall())
        log.add(message)
        return {"id": message.id, "type": TYPE_NAMES[message.snippet.type], "liveChatId": log.chat_id}

    def add_message(self, kind: str, room: str = VIDEO_ID, **fields: Any) -> Any:
        """Put a message of any REST ``kind`` in a chat (tests: deletions, bans, tombstones); ``fields``
        are set on the snippet (e.g. ``message_deleted_details={"deleted_message_id": ...}``)."""
        log = self.chat(room)
        message = new_message(log.chat_id, kind, channel_id="UCmoderator", name="mod", wall=self.wall())
        for name, value in fields.items():
            getattr(message.snippet, name).MergeFrom(type(getattr(message.snippet, name))(**value))
        log.add(message)
        return message

    # -- credentials and quota -------------------------------------------------------------------------

    def credential(self, authorization: str, key: str) -> str | None:
        """Whose quota a call spends: ``client:<id>`` for a valid bearer token, ``key:<key>`` for the API
        key; None when neither is valid."""
        if authorization.startswith("Bearer "):
            expires = self.tokens.get(authorization[7:])
            return f"client:{self.client_id}" if expires is not None and expires > self.wall() else None
        if key and secrets.compare_digest(key, self.api_key):
            return f"key:{key}"
        return None

    def _check(self, request: web.Request, call: str, *, oauth: bool = False) -> tuple[str | None, web.Response | None]:
        credential = self.credential(request.headers.get("Authorization", ""), request.query.get("key", ""))
        if credential is None or (oauth and not credential.startswith("client:")):
            self.figures["refused_auth"] += 1
            return None, _error(401, "authError", "Request had invalid authentication credentials.", "global")
        if not self.quota.charge(credential, COSTS[call]):
            self.figures["quota_refused"] += 1
            return None, _error(403, "quotaExceeded", "The request cannot be completed because you have exceeded "
                                                      "your quota.", "youtube.quota")
        return credential, None

    # -- HTTP routes -----------------------------------------------------------------------------------

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/token", self.token)
        router.add_get("/youtube/v3/videos", self.videos)
        router.add_get("/youtube/v3/liveBroadcasts", self.broadcasts)
        router.add_get("/youtube/v3/liveChat/messages", self.list_messages)
        router.add_post("/youtube/v3/liveChat/messages", self.insert_message)

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return web.json_response({"error": "invalid_client", "error_description": "Unauthorized"}, status=401)
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
            return web.json_response({"error": "invalid_grant", "error_description": "Token has been expired or "
                                                                                     "revoked."}, status=400)
        access = "ya29.standin-" + secrets.token_urlsafe(16)
        self.tokens[access] = self.wall() + self.token_ttl_s
        self.figures["token_refreshes"] += 1
        return web.json_response({"access_token": access, "expires_in": int(self.token_ttl_s), "token_type": "Bearer",
                                  "scope": "https://www.googleapis.com/auth/youtube.force-ssl"})

    async def videos(self, request: web.Request) -> web.Response:
        _, refused = self._check(request, "videos")
        if refused:
            return refused
        ids = [v for v in request.query.get("id", "").split(",") if v]
        items = []
        for log in self.chats.values():
            if log.video_id in ids:
                details: dict[str, Any] = {"actualStartTime": "2026-12-03T00:00:00Z"}
                if log.offline_at:
                    details["actualEndTime"] = log.offline_at
                else:
                    details["activeLiveChatId"] = log.chat_id
                items.append({"kind": "youtube#video", "id": log.video_id, "liveStreamingDetails": details})
        return web.json_response({"kind": "youtube#videoListResponse", "items": items,
                                  "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}})

    async def broadcasts(self, request: web.Request) -> web.Response:
        _, refused = self._check(request, "broadcasts", oauth=True)
        if refused:
            return refused
        items = [{"kind": "youtube#liveBroadcast", "id": log.video_id,
                  "snippet": {"title": "live shopping", "liveChatId": log.chat_id},
                  "status": {"lifeCycleStatus": "complete" if log.offline_at else "live"}} for log in self.chats.values()]
        return web.json_response({"kind": "youtube#liveBroadcastListResponse", "items": items})

    async def list_messages(self, request: web.Request) -> web.Response:
        query = request.query
        if "snippet" not in query.get("part", "") or not query.get("liveChatId"):
            return _error(400, "required", "liveChatId and part (with snippet) are required", "global")
        credential, refused = self._check(request, "list")
        if refused or credential is None:
            return refused  # type: ignore[return-value]
        log = self.chats.get(query["liveChatId"])
        if log is None:
            return _error(404, "liveChatNotFound", "The live chat that you are trying to retrieve cannot be found.")
        now, key = self.wall(), (credential, log.chat_id)
        last = self.last_poll.get(key)
        if last is not None and now - last[0] < last[1] * 0.9 - 0.02:
            self.figures["rate_limited_polls"] += 1
            return _error(403, "rateLimitExceeded", "The request was sent too soon after the previous one.")
        token = query.get("pageToken")
        start = log.offset(token) if token else max(0, len(log.messages) - self.history)
        if start is None:
            return _error(400, "pageTokenInvalid", "The page token is not valid.")
        try:
            page = min(2000, max(200, int(query.get("maxResults", "500"))))
        except ValueError:
            return _error(400, "invalidValue", "maxResults must be a number", "global")
        end = min(len(log.messages), start + page)
        self.last_poll[key] = (now, self.polling_ms / 1000)
        self.record("api", call="list", live_chat_id=log.chat_id, offset=start, items=end - start)
        body: dict[str, Any] = {"kind": "youtube#liveChatMessageListResponse", "etag": f"e{end}",
                                "nextPageToken": log.token(end), "pollingIntervalMillis": self.polling_ms,
                                "pageInfo": {"totalResults": end - start, "resultsPerPage": end - start},
                                "items": log.page_json(start, end)}
        if log.offline_at and end == len(log.messages):
            body["offlineAt"] = log.offline_at
        return web.json_response(body)

    async def insert_message(self, request: web.Request) -> web.Response:
        _, refused = self._check(request, "insert", oauth=True)
        if refused:
            return refused
        try:
            snippet = (await request.json())["snippet"]
            chat_id, text = snippet["liveChatId"], snippet["textMessageDetails"]["messageText"]
        except (ValueError, KeyError, TypeError):
            return _error(400, "invalidValue", "snippet.liveChatId and textMessageDetails.messageText are required")
        log = self.chats.get(chat_id)
        if log is None:
            return _error(404, "liveChatNotFound", "The live chat cannot be found.")
        if log.offline_at:
            return _error(403, "liveChatEnded", "The live chat has ended.")
        if not isinstance(text, str) or not text.strip() or len(text) > 200:
            return _error(400, "messageTextInvalid", "The message text is empty or longer than 200 characters.")
        if self.take_rate_limit() or take_token(self.chat_bucket) > 0:
            return _error(403, "rateLimitExceeded", "The user has sent too many messages in a given timeframe.")
        message = new_message(chat_id, "textMessageEvent", channel_id="UCstandinChannelOwner", name="the shop",
                              wall=self.wall(), display=text)
        message.snippet.text_message_details.message_text = text
        message.author_details.is_chat_owner = True
        log.add(message)
        self.record("chat", text=text, live_chat_id=chat_id, id=message.id)
        return web.json_response({"kind": "youtube#liveChatMessage", "id": message.id,
                                  "snippet": {"type": "textMessageEvent", "liveChatId": chat_id,
                                              "authorChannelId": "UCstandinChannelOwner", "displayMessage": text,
                                              "textMessageDetails": {"messageText": text}}})

    # -- lifecycle, faults -----------------------------------------------------------------------------

    async def start(self) -> YoutubeStandin:
        await super().start()
        if self._grpc is None:
            self._grpc, self.grpc_port = await serve(self.servicer, self.host, self.grpc_port)
        return self

    async def stop(self) -> None:
        server, self._grpc = self._grpc, None
        if server is not None:
            self.servicer.drop_all()
            await server.stop(grace=0.2)
        await super().stop()

    async def disconnect(self) -> int:
        return self.servicer.drop_all() + await super().disconnect()

    def request_reconnect(self) -> int:
        """YouTube ends streamList streams itself; this ends every open one now (the client reopens)."""
        return self.servicer.close_all()

    def connector_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = {"video_id": VIDEO_ID, "api_base": f"{self.url}/youtube/v3",
                                    "grpc_target": f"{self.host}:{self.grpc_port}", "grpc_tls": False}
        if self.credentials_kind == "api_key":
            return {**settings, "api_key": self.api_key}
        return {**settings, "client_id": self.client_id, "client_secret": self.client_secret,
                "refresh_token": self.refresh_token, "token_url": f"{self.url}/token"}

    def notes(self) -> list[str]:
        return [f"streamList (gRPC, plaintext) on {self.host}:{self.grpc_port}; streams end every "
                f"{self.stream_close_s:g} s; quota {self.quota.limit} units a day per credential",
                "--set credentials=api_key: a read-only table (no chat); --set stream=off: polling only"]

    def state(self) -> dict[str, Any]:
        used = {f"{cred} {day}": units for (cred, day), units in self.quota.used.items()}
        return {**super().state(), "grpc_port": self.grpc_port, "streams": len(self.servicer.streams),
                "grpc": dict(self.servicer.figures), "quota_used": used, **self.figures,
                "messages": {log.video_id: len(log.messages) for log in self.chats.values()}}
