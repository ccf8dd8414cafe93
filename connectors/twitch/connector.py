"""The Twitch connector (``type = "twitch"``): EventSub over WebSocket in, Helix chat out (official APIs).

``run()`` validates the user token (its user is the reader and, unless ``bot_user_id`` says otherwise,
the chat sender), connects to ``ws_url``, and on the ``session_welcome`` creates the subscriptions of
``subscriptions`` through Helix (``POST {api_base}/eventsub/subscriptions``, transport websocket + the
session id) at once, well within the keepalive window; then it is ``ready`` and every notification is
mapped (:mod:`connectors.twitch.mapping`) and ingested. A ``session_reconnect`` is followed without a gap
(:class:`connectors.twitch.client.EventSubClient`); a closed socket or keepalive silence is raised and
retried with backoff by the base (state ``retrying``). EventSub has no cursor: a dropped socket's
notifications are not redelivered by Twitch (see docs/platforms/twitch.md).

A revocation is counted and shown (``revoked``); one for an authorization reason (``authorization_revoked``,
``user_removed``) is ``auth_failed``, as is a token the token endpoint refuses to refresh.

Chat: ``POST {api_base}/chat/messages`` as ``bot_user_id``, threaded to the asker's message
(``reply_parent_message_id``). A 200 with ``is_sent: false`` is a drop (:class:`ChatRejected`, counted by
``drop_reason.code`` in ``chat_drops``); a 429 or an exhausted ``Ratelimit-Remaining`` is
:class:`ChatRateLimited` until ``Ratelimit-Reset``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from decimal import Decimal
from typing import Any, Literal

import aiohttp
from prometheus_client import Counter as MetricCounter
from pydantic import Field, model_validator

from connectors.twitch.client import EventSubClient, Frame
from connectors.twitch.helix import ChatDropped, Helix, Refused, SlowDown, TokenManager, TokenRefused
from connectors.twitch.mapping import (
    AUTH_REVOCATIONS,
    DECODED_TYPES,
    PLATFORM,
    SUBSCRIPTIONS,
    NotificationError,
    condition,
    notification_event,
)
from hub.errors import AuthFailed
from hub.platform import ChatMessage, ChatRateLimited, ChatRejected, PlatformConnector, PlatformSettings
from hub.secrets import Secret

log = logging.getLogger("livehub.connector.twitch")
SubscriptionType = Literal["channel.chat.message", "channel.follow", "channel.subscribe", "channel.subscription.gift",
                           "channel.subscription.message", "channel.cheer", "channel.raid", "stream.online",
                           "stream.offline"]
CHAT_BURST = 3


class TwitchSettings(PlatformSettings):
    broadcaster_id: str = Field(..., min_length=1, max_length=20, pattern=r"^\d+$",
                                description="the channel's user id (numeric)")
    client_id: str = Field(..., min_length=1, max_length=64, description="the app's client id")
    access_token: Secret | None = Field(None, description="a user access token (refreshed when it expires)")
    refresh_token: Secret | None = Field(None, description="the token's refresh token")
    client_secret: Secret | None = Field(None, description="the app's client secret (needed to refresh)")
    bot_user_id: str = Field("", max_length=20, pattern=r"^\d*$",
                             description="the chat sender's user id (default: the token's user)")
    subscriptions: list[SubscriptionType] = Field(default_factory=lambda: list(SUBSCRIPTIONS),
                                                  description="EventSub subscription types to create")
    ws_url: str = "wss://eventsub.wss.twitch.tv/ws"
    api_base: str = "https://api.twitch.tv/helix"
    token_url: str = "https://id.twitch.tv/oauth2/token"
    validate_url: str = "https://id.twitch.tv/oauth2/validate"
    keepalive_s: int = Field(10, ge=10, le=600, description="keepalive_timeout_seconds asked of Twitch")
    keepalive_margin_s: float = Field(5.0, gt=0, le=60, description="silence beyond keepalive_s that means dead")
    refresh_margin_s: float = Field(300.0, ge=0, le=3600, description="refresh the token this long before expiry")
    chat_limit_per_30s: int = Field(20, ge=1, le=7500,
                                    description="chat messages per 30 s: 20, 100 for a moderator or the broadcaster")
    cny_per_bit: Decimal | None = Field(None, ge=0, le=10, description="yuan per bit for Gift.value_cny (unset: none)")
    timeout_s: float = Field(10.0, gt=0, le=120, description="HTTP timeout (token, Helix)")

    @model_validator(mode="after")
    def _credentials(self) -> TwitchSettings:
        if self.access_token is None and self.refresh_token is None:
            raise ValueError("twitch needs a user token: access_token, or refresh_token with client_secret")
        if self.refresh_token is not None and self.client_secret is None:
            raise ValueError("refresh_token needs client_secret to be used")
        return self


class TwitchConnector(PlatformConnector):
    platform = PLATFORM
    chat_max_chars = 500
    mention_format = "@{name} "

    def __init__(self, name: str, config: TwitchSettings, hub: Any) -> None:
        super().__init__(name, config, hub)
        self.counts: Counter[str] = Counter()  # notifications, malformed, gifted_subs, raid_viewers, revocations
        self.unmapped: Counter[str] = Counter()
        self.chat_drops: Counter[str] = Counter()
        self.subscribed: dict[str, str] = {}  # type -> status
        self.revoked: dict[str, str] = {}  # type -> revocation status
        self.client: EventSubClient | None = None
        self._http: aiohttp.ClientSession | None = None
        self._tokens: TokenManager | None = None
        self._helix: Helix | None = None
        self._messages = hub.metric(MetricCounter, "livehub_twitch_eventsub_messages",
                                    "EventSub messages received, by type", ["connector", "message_type"])
        self._drops = hub.metric(MetricCounter, "livehub_twitch_chat_drops",
                                 "Chat messages Twitch dropped (is_sent false), by drop reason", ["connector", "code"])

    def chat_limits(self) -> tuple[float, int, int]:
        """Twitch counts messages in 30 s windows: a small burst, and a rate that keeps burst + 30 s of
        sends within ``chat_limit_per_30s``."""
        c, limit = self.config, self.config.chat_limit_per_30s
        burst = c.chat_burst or min(CHAT_BURST, limit)
        rate = c.chat_rate_per_s or max(limit - burst, 1) / 30
        return rate, burst, c.chat_max_chars or self.chat_max_chars

    def helix(self) -> Helix:
        """The Helix client (and its token manager), shared by ingest and chat; kept across reconnects."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
            self._tokens = self._helix = None
        if self._helix is None:
            c = self.config
            self._tokens = TokenManager(
                self._http, token_url=c.token_url, validate_url=c.validate_url, client_id=c.client_id,
                client_secret=c.client_secret.get() if c.client_secret else "",
                access_token=c.access_token.get() if c.access_token else "",
                refresh_token=c.refresh_token.get() if c.refresh_token else "", margin_s=c.refresh_margin_s,
                timeout=c.timeout_s)
            self._helix = Helix(self._http, c.api_base, self._tokens, timeout=c.timeout_s)
        return self._helix

    # -- ingest -------------------------------------------------------------------------------------

    async def run(self) -> None:
        c = self.config
        helix = self.helix()
        try:
            if not helix.tokens.user_id:
                await helix.tokens.validate()
            self.client = client = EventSubClient(self._http, c.ws_url, keepalive_s=c.keepalive_s,  # type: ignore[arg-type]
                                                  margin_s=c.keepalive_margin_s, connect_timeout=c.timeout_s)
            async for frame in client.frames():
                self._messages.labels(self.name, frame.message_type).inc()
                if frame.message_type == "session_welcome":
                    await self.subscribe_all(helix, client.session_id)
                    self.set_ready()
                elif frame.message_type == "notification":
                    await self.on_notification(frame)
                else:
                    self.on_revocation(frame)
        except TokenRefused as exc:
            raise AuthFailed(f"twitch: {exc}") from exc

    async def subscribe_all(self, helix: Helix, session_id: str) -> None:
        """Create every configured subscription on the new session (all at once)."""
        user = helix.tokens.user_id
        types = [t for t in dict.fromkeys(self.config.subscriptions) if t not in self.revoked]
        self.subscribed = {}
        results = await asyncio.gather(*(helix.subscribe(t, SUBSCRIPTIONS[t][0],
                                                         condition(t, self.config.broadcaster_id, user), session_id)
                                         for t in types), return_exceptions=True)
        refused = []
        for type_, result in zip(types, results, strict=True):
            if isinstance(result, TokenRefused):
                raise result
            if isinstance(result, Refused):
                refused.append(f"{type_}: {result}")
                self.subscribed[type_] = f"refused ({result.status})"
            elif isinstance(result, BaseException):
                raise result
            else:
                self.subscribed[type_] = str(result.get("status") or "enabled")
        if refused and len(refused) == len(types):
            raise AuthFailed("twitch: every subscription was refused (scopes? broadcaster_id?): " + "; ".join(refused))
        for line in refused:
            log.warning("twitch %s: subscription refused: %s", self.name, line)

    async def on_notification(self, frame: Frame) -> None:
        self.counts["notifications"] += 1
        type_ = frame.subscription_type or str(frame.subscription.get("type") or "")
        try:
            event = notification_event(frame, self.config.cny_per_bit)
        except NotificationError as exc:
            self.counts["malformed"] += 1
            log.debug("twitch %s: skipped a %s notification: %s", self.name, type_, exc)
            return
        if event is None:
            if type_ == "channel.subscribe":
                self.counts["gifted_subs"] += 1
            else:
                self.unmapped[type_[:64] or "-"] += 1
            return
        viewers = frame.event.get("viewers") if type_ == "channel.raid" else None
        if type(viewers) is int and 0 < viewers < 10**7:
            self.counts["raid_viewers"] += viewers
        await self.ingest(event)

    def on_revocation(self, frame: Frame) -> None:
        sub = frame.subscription
        type_, status = str(sub.get("type") or frame.subscription_type)[:64], str(sub.get("status") or "")[:64]
        self.counts["revocations"] += 1
        self.revoked[type_] = status
        self.subscribed[type_] = f"revoked ({status})"
        log.warning("twitch %s: subscription %s revoked: %s", self.name, type_, status)
        if status in AUTH_REVOCATIONS:
            raise AuthFailed(f"twitch: subscription {type_} revoked ({status}): authorize the account again")

    # -- chat ---------------------------------------------------------------------------------------

    async def send_chat(self, message: ChatMessage) -> str | None:
        helix = self.helix()
        if helix.remaining == 0 and (helix.reset or 0) > time.time():
            raise ChatRateLimited(helix.retry_after(), "Helix rate-limit bucket empty")
        reply = message.reply_to
        reply_to = reply.message_id if reply is not None and reply.platform == PLATFORM and reply.message_id else ""
        try:
            if not helix.tokens.user_id and not self.config.bot_user_id:
                await helix.tokens.validate()
            sender = self.config.bot_user_id or helix.tokens.user_id
            return await helix.send_chat(self.config.broadcaster_id, sender, message.text, reply_to) or None
        except ChatDropped as exc:
            self.chat_drops[exc.code] += 1
            self._drops.labels(self.name, exc.code).inc()
            raise ChatRejected(f"twitch dropped the message: {exc}") from exc
        except SlowDown as exc:
            raise ChatRateLimited(exc.retry_after) from exc
        except (Refused, TokenRefused) as exc:
            raise ChatRejected(str(exc)) from exc

    async def supervise(self) -> None:
        try:
            await super().supervise()
        finally:
            if self._http is not None:
                await self._http.close()
                self._http = None

    def status(self) -> dict[str, Any]:
        client, helix, tokens = self.client, self._helix, self._tokens
        expires = round(tokens.expires_at - time.time()) if tokens and tokens.expires_at else None
        return {**super().status(), "broadcaster_id": self.config.broadcaster_id,
                "bot_user_id": self.config.bot_user_id or (tokens.user_id if tokens else ""),
                "session_id": client.session_id if client else "", "subscriptions": dict(self.subscribed),
                "revoked": dict(self.revoked), "counts": dict(self.counts), "chat_drops": dict(self.chat_drops),
                "unmapped": dict(self.unmapped.most_common(20)),
                "eventsub": {"keepalives": client.keepalives, "reconnects": client.reconnects,
                             "malformed_frames": client.malformed} if client else {},
                "ratelimit": {"limit": helix.limit, "remaining": helix.remaining, "reset": helix.reset} if helix else {},
                "token": {"user": tokens.login, "expires_in_s": expires, "refreshes": tokens.refreshes} if tokens else {},
                "decoded_types": sorted(DECODED_TYPES)}
