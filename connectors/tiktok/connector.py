"""The TikTok LIVE connector (``type = "tiktok"``): the unofficial webcast feed through a sign server.

``run()`` resolves the room (``unique_id`` → room id through ``room_info_url``, or ``room_id`` as given),
asks the sign server for a fresh signed push URL (every connection: the URL expires and is good for one
connection), ingests the fetch result's first messages, connects resuming from the stored cursor and
ingests every ``msg`` frame, acknowledging it when asked. A ``close`` frame from the push server (a
reconnect request) reconnects at once with a fresh URL, staying ``ready``; any other failure is raised
and retried with backoff by the base (state ``retrying``). A handshake refusal (HTTP 200 with
``Handshake-Msg``) or an API key the sign server refuses is ``auth_failed`` with the server's message.
``WebcastControlMessage`` STREAM_ENDED publishes ``LiveState("ended")`` and stops the connector.

Bot chat is off by default (``send_chat = false``): the host answers TikTok viewers on voice. With
``send_chat = true`` and a ``session_id`` the replies go through the sign server's premium chat route
(``chat_url``) as that account (see docs/platforms/tiktok.md for the risk).
"""

from __future__ import annotations

import logging
from collections import Counter
from decimal import Decimal
from typing import Any

import aiohttp
from pydantic import Field, model_validator

from connectors.tiktok.chat import ChatRefused, ChatSlowDown, post_chat
from connectors.tiktok.client import (
    HandshakeRefused,
    ReconnectRequested,
    SignAuthError,
    TikTokClient,
)
from connectors.tiktok.mapping import (
    DECODED_METHODS,
    PLATFORM,
    STREAK_STEP,
    STREAM_ENDED,
    MessageError,
    webcast_event,
)
from hub.errors import AuthFailed
from hub.events import Event, LiveState
from hub.platform import ChatMessage, ChatRateLimited, ChatRejected, PlatformConnector, PlatformSettings
from hub.pushframe import Response
from hub.secrets import Secret

log = logging.getLogger("livehub.connector.tiktok")


class TikTokSettings(PlatformSettings):
    unique_id: str = Field("", max_length=64, pattern=r"^@?[A-Za-z0-9_.]*$",
                           description="the account's @handle; its live room is looked up at every connect")
    room_id: str = Field("", max_length=32, pattern=r"^\d*$", description="the room id (instead of unique_id)")
    room_info_url: str = Field("https://www.tiktok.com/api-live/user/room/",
                               description="room lookup: GET ?uniqueId=<handle>&sourceType=54")
    sign_url: str = Field("https://tiktok.eulerstream.com", description="the sign server (GET /webcast/fetch)")
    api_key: Secret | None = Field(None, description="the sign server's API key")
    session_id: Secret | None = Field(None, description="a TikTok sessionid cookie (needed to send chat)")
    send_chat: bool = Field(False, description="post replies to the chat through the sign server (paid, risky)")
    chat_url: str = Field("https://tiktok.eulerstream.com/webcast/chat",
                          description="the sign server's premium chat route (POST)")
    heartbeat_s: float = Field(10.0, gt=0, le=120, description="heartbeat when the server advertises none")
    idle_timeout_s: float = Field(60.0, gt=0, le=3600, description="reconnect after this long without a frame")
    timeout_s: float = Field(10.0, gt=0, le=120, description="HTTP timeout (room info, sign server, chat)")
    cny_per_diamond: Decimal | None = Field(None, ge=0, le=100,
                                            description="yuan per diamond, for Gift.value_cny (unset: none)")

    @model_validator(mode="after")
    def _keys(self) -> TikTokSettings:
        if not self.unique_id.lstrip("@") and not self.room_id:
            raise ValueError("tiktok needs unique_id (the @handle) or room_id")
        if self.send_chat and self.session_id is None:
            raise ValueError("send_chat = true needs session_id (the account's sessionid cookie)")
        return self


class TikTokConnector(PlatformConnector):
    platform = PLATFORM
    can_send_chat = False  # per instance: the setting send_chat
    chat_rate = 0.5
    chat_burst = 2
    chat_max_chars = 150
    mention_format = "@{name} "

    def __init__(self, name: str, config: TikTokSettings, hub: Any) -> None:
        super().__init__(name, config, hub)
        self.can_send_chat = config.send_chat  # type: ignore[misc]  # the class default is off
        self.counts: Counter[str] = Counter()  # malformed, malformed_frames, streak_steps, reconnect_requests
        self.unmapped: Counter[str] = Counter()  # methods (and actions) with no hub event, by name
        self.client: TikTokClient | None = None
        self._chat: aiohttp.ClientSession | None = None  # the chat route's, opened at the first send

    def make_client(self, session: aiohttp.ClientSession) -> TikTokClient:
        c = self.config
        return TikTokClient(session, sign_url=c.sign_url, room_info_url=c.room_info_url,
                            api_key=c.api_key.get() if c.api_key else "", unique_id=c.unique_id, room_id=c.room_id,
                            session_id=c.session_id.get() if c.session_id else "", heartbeat_s=c.heartbeat_s,
                            idle_timeout=c.idle_timeout_s, timeout=c.timeout_s)

    # -- ingest -------------------------------------------------------------------------------------

    async def run(self) -> None:
        async with aiohttp.ClientSession() as session:
            self.client = client = self.make_client(session)
            while True:
                try:
                    if await self._connect_once(client):
                        log.info("tiktok %s: the stream ended; not reconnecting", self.name)
                        return
                except ReconnectRequested:
                    self.counts["reconnect_requests"] += 1  # at once, with a fresh signed URL
                except (HandshakeRefused, SignAuthError) as exc:
                    raise AuthFailed(f"tiktok: {exc}") from exc

    async def _connect_once(self, client: TikTokClient) -> bool:
        """One connection: fetch, first messages, feed. True when the stream ended."""
        await client.resolve_room()
        fetched, cookie = await client.fetch()
        resuming = self.cursor is not None
        if await self.ingest_response(fetched, advance=not resuming):  # repeats are recognised
            return True
        async with client.connect(fetched, cookie, self.cursor or fetched.cursor, self.counts) as feed:
            self.set_ready()
            async for response in feed:
                ended = await self.ingest_response(response)
                await feed.ack(response)
                if ended:
                    return True
        return False

    async def ingest_response(self, response: Response, *, advance: bool = True) -> bool:
        """Publish a response's messages; advance the cursor. True when the stream ended."""
        ended = False
        rate = self.config.cny_per_diamond
        for message in response.messages:
            try:
                event: Event | str | None = webcast_event(message, rate)
            except MessageError:
                self.counts["malformed"] += 1
                continue
            if isinstance(event, Event):
                await self.ingest(event)
            elif event == STREAK_STEP:
                self.counts["streak_steps"] += 1
            elif event == STREAM_ENDED:
                ended = True
                await self.ingest(LiveState(platform=PLATFORM, room="", state="ended", detail="STREAM_ENDED",
                                            message_id=str(message.msg_id) if message.msg_id else None))
            else:
                name = message.method[:64] or "-"
                self.unmapped[name if name not in DECODED_METHODS else f"{name}:other-action"] += 1
        if advance and response.cursor:
            self.cursor = response.cursor
        return ended

    # -- chat ---------------------------------------------------------------------------------------

    async def send_chat(self, message: ChatMessage) -> str | None:
        if not self.config.send_chat:
            raise ChatRejected("tiktok: send_chat is off")
        if self._chat is None or self._chat.closed:
            self._chat = aiohttp.ClientSession()
        room_id = self.client.room_id if self.client is not None else self.config.room_id
        if not room_id:
            raise RuntimeError("tiktok: the room is not resolved yet")  # retried by the outbox
        c = self.config
        try:
            return await post_chat(self._chat, c.chat_url, room_id=room_id, text=message.text,
                                   session_id=c.session_id.get() if c.session_id else "",
                                   api_key=c.api_key.get() if c.api_key else "", timeout=c.timeout_s) or None
        except ChatSlowDown as exc:
            raise ChatRateLimited(exc.retry_after) from exc
        except ChatRefused as exc:
            raise ChatRejected(str(exc)) from exc

    async def supervise(self) -> None:
        try:
            await super().supervise()
        finally:
            if self._chat is not None:
                await self._chat.close()
                self._chat = None

    def status(self) -> dict[str, Any]:
        client = self.client
        return {**super().status(), "unique_id": self.config.unique_id, "room_id": client.room_id if client else "",
                "send_chat": self.config.send_chat, "counts": dict(self.counts),
                "unmapped": dict(self.unmapped.most_common(20)), "heartbeats": client.heartbeats if client else 0,
                "ping_interval_s": client.ping_interval if client else None}
