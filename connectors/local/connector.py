"""The built-in live room as a platform connector (:class:`hub.platform.PlatformConnector`, platform
``local``): one instance per room the hub hosts itself.

Viewers of the room's page post comments over HTTP; the connector checks them (:mod:`.client`) and
ingests them as ``Comment`` events of platform ``local``, exactly as any platform connector does (so a
resent comment is recognised, also after a restart), and the triage engine answers them like any other.
It also keeps the room's **public chat feed**: viewer comments of the room, the host's **voice** lines
(everyone on the page hears them, whoever they answer), the host's **chat** posts *for this platform*
(they arrive through :meth:`LocalRoomConnector.send_chat`, routed, @mentioned and rate-limited by the
base class, so a chat answer to a viewer on another platform never shows here), stage changes and the
sentence being heard (captions). It keeps the last few chat messages for viewers who arrive later and
fans everything out to every open feed socket, each with its own bounded queue so a slow phone never
holds up the room. Nothing internal (decisions, states, other rooms) reaches the feed.

No one client can silence the room: besides the room's total (``max_viewers``) each client address may
hold ``max_feeds_per_client`` feeds, and comments are limited per viewer as well as per address (see
:mod:`.client`). Routes pass the address from :func:`hub.web.common.client_address`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from connectors.local.client import ADDRESS_FACTOR, RateLimiter, Submission, address_key, parse_submission
from hub.connector import State
from hub.errors import NotReady
from hub.events import Comment, Enter, Event, Reply, StageChange, User
from hub.platform import ChatMessage, PlatformConnector, PlatformSettings
from hub.resume import RecentIds

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.bus import Subscription

log = logging.getLogger("livehub.local")

PLATFORM = "local"
FEED_QUEUE = 200
CAPTION_QUEUE = 50
CAPTION_RETRY_S = 1.0
ENTER_KEY = "\x00enter"
_LINK = re.compile(r"https?:|www\.|\b[a-z0-9-]{2,}\.(com|cn|net|org|top|xyz|vip|cc|io|shop|link)\b", re.IGNORECASE)


class LocalRoomSettings(PlatformSettings):
    """``[connectors.<name>] type = "local"``: one built-in live room."""

    room: str = Field("main", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                      description="the room this page shows; mark it [rooms.<room>] public = true")
    chat_replies: Literal["chat", "none"] = Field(  # type: ignore[assignment]
        "chat", description="chat replies to this page's viewers shown in its chat (chat) or not (none); "
                            "the host's voice lines are always shown, as every viewer hears them")
    title: str = Field("", max_length=80, description="the page's title; default: the shop's name")
    host_name: str = Field("", max_length=24, description="the host's name in the chat; default 主播 / Host")
    max_comment_chars: int = Field(200, ge=1, le=2000, description="longest viewer comment, in characters")
    rate_per_minute: int = Field(10, ge=1, le=600, description="comments a minute per viewer (viewer id) and address")
    address_rate_per_minute: int | None = Field(
        None, ge=2, le=60_000, description="comments a minute per client address over all its viewers (a NAT, "
                                           f"a proxy); default {ADDRESS_FACTOR} x rate_per_minute, at least "
                                           "twice rate_per_minute")
    history: int = Field(50, ge=0, le=500, description="chat messages a viewer sees on arrival")
    max_viewers: int = Field(500, ge=1, description="open chat feeds at most (further viewers are refused)")
    max_feeds_per_client: int = Field(4, ge=1, description="open chat feeds per client address at most "
                                                           "(further ones are refused with 429)")

    @model_validator(mode="after")
    def _address_share(self) -> LocalRoomSettings:
        if self.address_rate_per_minute is not None and self.address_rate_per_minute < 2 * self.rate_per_minute:
            raise ValueError("address_rate_per_minute must be at least twice rate_per_minute, or one viewer "
                             "could use up what everyone sharing its address may send")
        return self

    @property
    def address_rate(self) -> int:
        return self.address_rate_per_minute or self.rate_per_minute * ADDRESS_FACTOR


class RateLimited(Exception):
    """Too many comments from one viewer: try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many comments; try again in {retry_after:.0f} s")
        self.retry_after = retry_after


class FeedFull(Exception):
    """The room has as many open chat feeds as ``max_viewers`` allows."""


class ClientFeedsFull(Exception):
    """This client address has as many open chat feeds as ``max_feeds_per_client`` allows."""


def is_english(locale: str) -> bool:
    return locale.lower().startswith("en")


class LocalRoomConnector(PlatformConnector):
    """See the module docstring. ``room`` is the room it serves; ``feeds`` the open feed queues."""

    platform = PLATFORM
    chat_rate = 20.0  # the page is ours: no platform limit, only a bound on a runaway producer
    chat_burst = 20
    chat_max_chars = 500

    def __init__(self, name: str, config: LocalRoomSettings, hub: Hub) -> None:
        super().__init__(name, config, hub)
        self.limiter = RateLimiter(config.rate_per_minute, per_address=config.address_rate)
        self.enter_limiter = RateLimiter(config.rate_per_minute)  # welcomes apart: they use no comment allowance
        self.viewers_seen = RecentIds(20_000)
        self.history: deque[dict[str, Any]] = deque(maxlen=config.history)
        self.feeds: set[asyncio.Queue[dict[str, Any]]] = set()
        self.feed_clients: dict[asyncio.Queue[dict[str, Any]], str] = {}  # feed → its client's address key
        self.feeds_per_client: dict[str, int] = {}
        self.stage_sku: str | None = None
        self.caption = ""
        self.comments = 0
        self._feed_subscription: Subscription | None = None
        self._matcher: Any = None

    # -- what the page shows ----------------------------------------------------------------------

    @property
    def locale(self) -> str:
        return self.hub.rooms.ensure(self.room).locale

    @property
    def host_name(self) -> str:
        return self.config.host_name or ("Host" if is_english(self.locale) else "主播")

    def title(self) -> str:
        catalog = self.hub.catalog(self.room)
        shop = catalog.shop.name if catalog is not None and catalog.shop is not None else ""
        room = self.hub.rooms.get(self.room)
        return self.config.title or (room.core.title if room is not None else "") or shop or self.hub.config.hub.name

    # -- running ------------------------------------------------------------------------------------

    async def run(self) -> None:
        if not self.hub.rooms.ensure(self.room).public:
            log.warning("room %s is not public: its viewer page answers 404 until [rooms.%s] public = true",
                        self.room, self.room)
        self._feed_subscription = self.hub.bus.subscribe(f"local:{self.name}", self.on_event,
                                                         types=("comment", "reply", "stage"), maxsize=2000,
                                                         overflow="drop_oldest")
        captions = self.hub.create_task(self.follow_captions(), name=f"local:{self.name}:captions")
        try:
            self.set_ready()
            await asyncio.Event().wait()  # serve until cancelled: the web routes do the work
        finally:
            captions.cancel()
            await asyncio.gather(captions, return_exceptions=True)
            subscription, self._feed_subscription = self._feed_subscription, None
            with contextlib.suppress(Exception):
                await self.hub.bus.unsubscribe(subscription, timeout=1.0)

    async def check(self) -> str:
        return f"room {self.room}: viewer page at /live/{self.room}"

    # -- viewer intake ------------------------------------------------------------------------------

    async def submit(self, data: Any, address: str) -> tuple[Submission, bool]:
        """Check a posted comment and publish it. Returns it and whether it was new (False: a resend).
        Every submission, a resend too, counts against the rate limits of its viewer id and of ``address``
        (the client's, from :func:`hub.web.common.client_address`).

        Raises :class:`~connectors.local.client.SubmissionError`, :class:`RateLimited` or
        :class:`~hub.errors.NotReady` (the room is not serving)."""
        prefix = "Viewer" if is_english(self.locale) else "观众"
        submission = parse_submission(data, max_chars=self.config.max_comment_chars,
                                      new_id=lambda: uuid.uuid4().hex, name_prefix=prefix)
        if self.state != State.READY:
            raise NotReady(f"room {self.room} is not taking comments")
        # The rate limit comes before de-duplication: a resend counts like any comment, so repeating one
        # message id is no way around the limit (nor a fast channel for probing the hub's answers).
        wait = self.limiter.check(address, submission.viewer_id)
        if wait > 0:
            raise RateLimited(wait)
        # The answer tells the viewer's page not to send it again: only once the comment is stored.
        new = await self.ingest(Comment(platform=PLATFORM, room=self.room, text=submission.text,
                                        user=User(id=submission.viewer_id, name=submission.name),
                                        message_id=submission.message_id, platform_ts=time.time()),
                                stored=True)
        if new:
            self.comments += 1
        return submission, new

    def viewer_entered(self, viewer_id: str, name: str, address: str) -> None:
        """A viewer opened the feed: an ``Enter`` event the first time this id is seen (welcomes)."""
        if not viewer_id or viewer_id in self.viewers_seen or self.state != State.READY:
            return
        if self.enter_limiter.check(address, ENTER_KEY) > 0:
            return
        self.viewers_seen.add(viewer_id)
        self.hub.publish_nowait(Enter(platform=PLATFORM, room=self.room, user=User(id=viewer_id, name=name),
                                      platform_ts=time.time()))

    # -- the public feed ----------------------------------------------------------------------------

    async def send_chat(self, message: ChatMessage) -> str | None:
        """A host chat post for this page's viewers (routed by the base class): into the chat feed."""
        feed = {"type": "chat", "id": message.key, "author": "host", "name": self.host_name, "text": message.text,
                "channel": "chat", "kind": message.kind or "answer", "ts": time.time()}
        self.history.append(feed)
        self.broadcast(feed)
        return message.key

    def on_event(self, event: Event) -> None:
        """Bus handler: this room's comments, the host's voice lines and stage changes go to the feed
        (chat replies come through :meth:`send_chat`, for this platform's viewers only)."""
        if event.room != self.room or (isinstance(event, Reply) and event.channel != "voice"):
            return
        if isinstance(event, StageChange):
            self.stage_sku = event.sku
            self.broadcast({"type": "stage", "sku": event.sku})
            return
        if isinstance(event, Comment) and self.hidden(event):
            return
        message = feed_message(event, self.host_name)
        if message is not None:
            self.history.append(message)
            self.broadcast(message)

    def hidden(self, comment: Comment) -> bool:
        """True for a comment other viewers must not see: links, or words of the abuse and spam lists.
        (The sender's own page already shows it; triage decides separately whether to answer it.)"""
        if self._matcher is None:
            from hub.wordlists import build_matcher, prompt_dirs

            self._matcher = build_matcher(prompt_dirs(self.hub, self.room), locales=dict.fromkeys([self.locale, "zh-CN", "en"]),
                                          banned=False, abuse=True, spam=True)
        name = comment.user.name if comment.user is not None else ""
        text = f"{comment.text} {name}"
        return bool(_LINK.search(text)) or self._matcher.contains(text)

    async def follow_captions(self) -> None:
        """Tell viewers what the host is saying, sentence by sentence, as it is *heard* on the stage:
        ``{"type": "caption", "text", "ts"}`` (``""`` when the host falls silent). Reads the room's
        timeline without pictures, so it costs no drawing; waits while the room is off air."""
        from hub.media.rooms import room_timeline

        while True:
            timeline = room_timeline(self.hub, self.room)
            if timeline is None or not timeline.running:
                await asyncio.sleep(CAPTION_RETRY_S)
                continue
            frames = timeline.frames(CAPTION_QUEUE, video=False)
            try:
                async for frame in frames:
                    self.set_caption(frame.caption)
            finally:
                frames.close()
            self.set_caption("")
            await asyncio.sleep(CAPTION_RETRY_S)

    def set_caption(self, text: str) -> None:
        if text != self.caption:
            self.caption = text
            self.broadcast({"type": "caption", "text": text, "ts": time.time()})

    def hello(self) -> dict[str, Any]:
        return {"type": "hello", "room": self.room, "title": self.title(), "stage_sku": self.stage_sku,
                "caption": self.caption, "viewers": len(self.feeds), "history": list(self.history)}

    def open_feed(self, address: str = "") -> asyncio.Queue[dict[str, Any]]:
        """A new viewer's queue of feed messages, for a client at ``address``. Raises
        :class:`ClientFeedsFull` (this address holds ``max_feeds_per_client``) or :class:`FeedFull`."""
        client = address_key(address)
        limit = self.config.max_feeds_per_client
        if self.feeds_per_client.get(client, 0) >= limit:
            raise ClientFeedsFull(f"too many chat feeds from your address: at most {limit} at a time; "
                                  "close another page of this room first")
        if len(self.feeds) >= self.config.max_viewers:
            raise FeedFull(f"room {self.room} is full")
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(FEED_QUEUE)
        self.feeds.add(queue)
        self.feed_clients[queue] = client
        self.feeds_per_client[client] = self.feeds_per_client.get(client, 0) + 1
        self.broadcast({"type": "viewers", "count": len(self.feeds)})
        return queue

    def close_feed(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        client = self.feed_clients.pop(queue, None)
        if client is not None:
            left = self.feeds_per_client.get(client, 0) - 1
            if left > 0:
                self.feeds_per_client[client] = left
            else:
                self.feeds_per_client.pop(client, None)
        if queue in self.feeds:
            self.feeds.discard(queue)
            self.broadcast({"type": "viewers", "count": len(self.feeds)})

    def broadcast(self, message: dict[str, Any]) -> None:
        for queue in self.feeds:
            if queue.full():  # this viewer is slow: it loses its oldest message, nobody waits
                queue.get_nowait()
            queue.put_nowait(message)

    def status(self) -> dict[str, Any]:
        return {**super().status(), "viewers": len(self.feeds), "comments": self.comments}


def feed_message(event: Event, host_name: str) -> dict[str, Any] | None:
    """The public chat message of a comment or a host voice line (None for anything else)."""
    if isinstance(event, Comment):
        user = event.user
        name = (user.name or user.id) if user is not None else ""
        return {"type": "chat", "id": event.message_id or event.id, "author": "viewer", "name": name,
                "text": event.text, "channel": "chat", "kind": "comment", "ts": event.received_ts}
    if isinstance(event, Reply):
        return {"type": "chat", "id": event.id, "author": "host", "name": host_name, "text": event.text,
                "channel": event.channel, "kind": event.kind, "ts": event.received_ts}
    return None


def local_rooms(hub: Any) -> dict[str, LocalRoomConnector]:
    """The hub's built-in live rooms by room name, in configuration order (the first is the default)."""
    rooms: dict[str, LocalRoomConnector] = {}
    for connector in hub.connectors.values():
        if isinstance(connector, LocalRoomConnector):
            rooms.setdefault(connector.room, connector)
    return rooms
