"""The platform connector contract: one method for what comes in, one for what goes out.

A live platform's connector subclasses :class:`PlatformConnector` and writes two methods:

* :meth:`PlatformConnector.run` (**ingest**): connect from ``self.cursor``, call ``set_ready()``, then for
  every platform message ``await self.ingest(event, cursor=...)``;
* :meth:`PlatformConnector.send_chat` (**output**): post one :class:`ChatMessage` to the platform's chat
  and return the platform's message id (raise :class:`ChatRateLimited` or :class:`ChatRejected` when the
  platform says so; any other error is retried).

Everything every platform needs is written once, here:

* **binding**: ``[connectors.<name>] room = "<hub room>"`` binds the platform room to a hub room; ingest
  stamps events with the connector's ``platform`` and ``room``;
* **reply routing**: the base follows the room's :class:`~hub.events.Reply` events; one whose ``askers``
  wrote on this platform (and, when several connectors of this platform feed the room, whose message
  this connector ingested) goes to the platform's chat addressed to them (``mention_format``), as
  ``chat_replies`` says: ``"all"`` (chat replies and voice answers), ``"chat"`` (chat replies only) or
  ``"none"``. A chat reply naming no asker goes to the chat of the platform it names (``reply.platform``).
  A platform without bot chat (``can_send_chat = False``) gets nothing: the host answers there on voice;
* **the outgoing queue** (:mod:`hub.outbox`): rate limit, retries with idempotency keys, counts; long
  texts split on sentence boundaries (:mod:`hub.chat_text`); the platform's banned-word list;
* **resuming** (:mod:`hub.resume`): ``self.cursor`` is loaded from the database before the first
  ``run()``, advanced by ``ingest`` once the event is accepted, stored at most once a second and at stop;
  redeliveries are recognised on (platform, message id), also across restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.chat_text import ChatWords, mention_prefix, split_chat
from hub.clock import RealClock
from hub.connector import Backoff, Connector, State
from hub.events import Asker, Event, Reply
from hub.outbox import ChatMessage, ChatRateLimited, ChatRejected, Outbox
from hub.resume import CursorKeeper, RecentIds

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.bus import Subscription
    from hub.clock import Clock

__all__ = ["PlatformSettings", "PlatformConnector", "ChatMessage", "ChatRateLimited", "ChatRejected"]

log = logging.getLogger("livehub.connector")


class PlatformSettings(BaseModel):
    """Base of every platform connector's ``[connectors.<name>]`` model (subclass it, add your keys;
    every URL the connector talks to is a setting too: ``api_base``, ``ws_url``, ``token_url``, ...)."""

    model_config = ConfigDict(extra="forbid")

    room: str = Field("main", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                      description="the hub room this platform room feeds")
    chat_replies: Literal["all", "chat", "none"] = Field(
        "all", description="replies posted to the platform's chat: all (chat replies and voice answers to "
                           "askers here), chat (chat replies only) or none")
    chat_rate_per_s: float | None = Field(None, gt=0, le=100,
                                          description="messages a second; default: the platform's limit")
    chat_burst: int | None = Field(None, ge=1, le=100, description="messages at once; default: the platform's")
    chat_max_chars: int | None = Field(None, ge=10, le=10_000,
                                       description="longest chat message; default: the platform's maximum")


class PlatformConnector(Connector):
    """See the module docstring. Subclasses set :attr:`platform` and implement :meth:`run` and
    :meth:`send_chat`; the class attributes describe the platform's chat."""

    kind = "platform"
    platform: ClassVar[str] = ""
    can_send_chat: ClassVar[bool] = True
    chat_rate: ClassVar[float] = 1.0
    chat_burst: ClassVar[int] = 1
    chat_max_chars: ClassVar[int] = 200
    mention_format: ClassVar[str] = "@{name} "
    chat_queue: ClassVar[int] = 100  # messages waiting at most; a full queue drops its oldest
    chat_attempts: ClassVar[int] = 5  # sends of one message before it counts as failed
    chat_timeout: ClassVar[float] = 15.0  # seconds one send_chat may take
    chat_retry_base: ClassVar[float] = 0.5
    chat_retry_cap: ClassVar[float] = 30.0
    recent_ids: ClassVar[int] = 5000  # message ids remembered for de-duplication
    cursor_interval: ClassVar[float] = 1.0  # seconds between cursor writes at most
    store_timeout: ClassVar[float] = 15.0  # ingest(stored=True): seconds to wait for the database

    def __init__(self, name: str, config: Any, hub: Hub) -> None:
        super().__init__(name, config, hub)
        if not self.platform:
            raise TypeError(f"{type(self).__name__} must set the class attribute 'platform'")
        self.room: str = config.room
        self.clock: Clock = RealClock()
        self.recent = RecentIds(self.recent_ids)  # (this platform's) message ids already published
        self.ingested_ids = RecentIds(self.recent_ids)  # ... of which this connector ingested
        self.ingested = self.duplicates = 0
        self.cursor_keeper = CursorKeeper(hub, name, self.platform, self.cursor_interval)
        self.outbox: Outbox | None = None  # the outgoing chat queue, from start (None without bot chat)
        self._words: ChatWords | None = None
        self._subscription: Subscription | None = None

    # -- the two methods a platform writes ----------------------------------------------------------

    async def run(self) -> None:
        """INGEST: connect (resuming from ``self.cursor``), call ``set_ready()``, then for each platform
        message ``await self.ingest(event, cursor=...)``. Raise to be retried with backoff."""
        raise NotImplementedError

    async def send_chat(self, message: ChatMessage) -> str | None:
        """OUTPUT: post ``message.text`` to the platform's chat; return the platform's message id.

        Raise :class:`ChatRateLimited` ("slow down") or :class:`ChatRejected` (refused for good); any
        other exception is retried with the same ``message.key``."""
        raise NotImplementedError

    # -- ingest -------------------------------------------------------------------------------------

    @property
    def cursor(self) -> str | None:
        """Where the platform feed resumes: loaded before the first ``run()``, advanced by ``ingest``."""
        return self.cursor_keeper.value

    @cursor.setter
    def cursor(self, value: str) -> None:
        self.cursor_keeper.advance(value)

    async def ingest(self, event: Event, *, cursor: str | None = None, stored: bool = False) -> bool:
        """Publish a platform event (stamped with this connector's platform and room), then advance the
        cursor to ``cursor``. False, and nothing published, for a message already published.

        The cursor is written only once the event is stored, whatever ``stored`` says. A connector that
        acknowledges each message to its sender (a webhook's answer, a push the platform will not send
        again) passes ``stored=True``: this then returns only once the event is committed to the
        database (:meth:`hub.app.Hub.publish_stored`), so the acknowledgement survives ``kill -9``."""
        message_id = event.message_id
        if message_id is not None and message_id in self.recent:
            self.duplicates += 1
            if cursor is not None:
                self.cursor_keeper.advance(cursor)
            if stored:  # its first copy may still be on its way to the database
                await self.hub.events_stored(timeout=self.store_timeout)
            return False
        event.platform, event.room = self.platform, self.room
        if message_id is not None:
            self.recent.add(message_id)
        try:
            await self.hub.publish(event)  # accepted: the recorder will store it
        except BaseException:
            if message_id is not None:
                self.recent.discard(message_id)
            raise
        if message_id is not None:
            self.ingested_ids.add(message_id)
        self.ingested += 1
        if cursor is not None:
            self.cursor_keeper.advance(cursor)
        if stored:  # published (a re-sent copy is recognised); TimeoutError: not stored in time, no ack
            await self.hub.events_stored(timeout=self.store_timeout)
        return True

    # -- output -------------------------------------------------------------------------------------

    def chat_limits(self) -> tuple[float, int, int]:
        """``(messages a second, burst, longest message)``: the settings, else the platform's values."""
        config = self.config
        return (config.chat_rate_per_s or type(self).chat_rate, config.chat_burst or type(self).chat_burst,
                config.chat_max_chars or type(self).chat_max_chars)

    def chat_words(self) -> ChatWords:
        """The platform's banned-word list (read once, from the hub's prompt folders)."""
        if self._words is None:
            from hub.wordlists import prompt_dirs

            self._words = ChatWords.load(prompt_dirs(self.hub), self.platform)
        return self._words

    def post_chat(self, text: str, *, key: str, reply_to: Asker | None = None, mentions: Sequence[str] = (),
                  reply_id: str = "", kind: str = "") -> int:
        """Queue ``text`` for the platform's chat: banned terms rewritten (or the text dropped), mentions
        of ``mentions`` in front, split into messages that fit (keys ``"<key>:<part>"``). Returns how many
        messages were queued (0 on a platform without bot chat)."""
        outbox = self.outbox
        if not self.can_send_chat or outbox is None:
            return 0
        words = self.chat_words()
        body, hits = words.rewrite(text.strip())
        if body is None:
            outbox.drop("banned", f"{key}: {', '.join(sorted({h.term for h in hits}))}")
            return 0
        if hits:
            outbox.count("rewritten")
        names = [name for name in mentions if not words.find(name)]  # never post a banned name
        prefix = mention_prefix(names, self.mention_format)
        queued = 0
        for index, part in enumerate(split_chat(body, self.chat_limits()[2], prefix)):
            if words.find(part):
                outbox.drop("banned", f"{key}:{index}")
                continue
            outbox.put(ChatMessage(text=part, key=f"{key}:{index}", reply_to=reply_to, reply_id=reply_id,
                                   kind=kind))
            queued += 1
        return queued

    def outbox_status(self) -> dict[str, Any]:
        """``{"sent", "delayed", "dropped", "failed", "queued", "rewritten", "drops", "last_error"}``."""
        if self.outbox is None:
            return {"sent": 0, "delayed": 0, "dropped": 0, "failed": 0, "rewritten": 0, "queued": 0,
                    "drops": {}, "last_error": ""}
        return self.outbox.status()

    # -- reply routing ------------------------------------------------------------------------------

    def askers_here(self, reply: Reply) -> list[Asker] | None:
        """The askers of ``reply`` this connector answers ([] for a chat reply to no one in particular),
        or None when the reply is not for this connector's chat."""
        if reply.askers:
            mine = [asker for asker in reply.askers if asker.platform == self.platform]
            same = self._same_platform() if mine else []
            if len(same) > 1:  # only the askers whose message came through here; the first connector
                others = [c for c in same if c is not self]  # takes those no connector took in (no
                first = same[0] is self  # message id, or from before a restart)
                mine = [asker for asker in mine if asker.message_id in self.ingested_ids or (
                    first and not any(asker.message_id in c.ingested_ids for c in others))]
            return mine or None
        if reply.channel == "chat" and reply.platform == self.platform:
            same = self._same_platform()
            if not same or same[0] is self:  # one connector of the platform posts it
                return []
        return None

    def on_reply(self, event: Event) -> None:
        """Bus handler: a reply of this room for this platform's chat goes to the outgoing queue."""
        if not isinstance(event, Reply) or event.room != self.room:
            return
        mode = self.config.chat_replies
        if mode == "none" or (mode == "chat" and event.channel != "chat"):
            return
        askers = self.askers_here(event)
        if askers is None:
            return
        self.post_chat(event.text, key=event.id, reply_to=askers[0] if askers else None,
                       mentions=[asker.user.name or asker.user.id for asker in askers], reply_id=event.id,
                       kind=event.kind)

    def _same_platform(self) -> list[PlatformConnector]:
        """The connectors of this platform bound to this room, in configuration order."""
        room = self.hub.rooms.get(self.room)
        names = room.bindings if room is not None else [self.name]
        return [c for c in (self.hub.connectors.get(n) for n in names)
                if isinstance(c, PlatformConnector) and c.platform == self.platform]

    # -- lifecycle ----------------------------------------------------------------------------------

    async def supervise(self) -> None:
        """Load the resume state, start the outbox and reply routing, run :meth:`run` with retries;
        at stop, store the cursor and stop the outbox."""
        try:
            await self._open()
            await super().supervise()
        finally:
            await self._close()

    async def _open(self) -> None:
        backoff = Backoff(self.backoff_base, self.backoff_cap)
        while True:
            try:
                await self.cursor_keeper.load()
                storage = self.hub.storage
                ids = await storage.recent_message_ids(self.platform, self.room, self.recent_ids) if storage else []
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is not answering: retry, the feed waits
                self._set_state(State.RETRYING, f"loading its cursor: {type(exc).__name__}: {exc}")
                await asyncio.sleep(backoff.next_delay())
        for message_id in reversed(ids):  # oldest first, so the newest are the last forgotten
            self.recent.add(message_id)
        if not self.can_send_chat:
            return
        await asyncio.to_thread(self.chat_words)  # read the word lists now, not on the first reply
        rate, burst, _ = self.chat_limits()
        self.outbox = Outbox(self.hub, self.name, self.send_chat, rate=rate, burst=burst, clock=self.clock,
                              max_queue=self.chat_queue, attempts=self.chat_attempts, timeout=self.chat_timeout,
                              retry_base=self.chat_retry_base, retry_cap=self.chat_retry_cap)
        self.outbox.start()
        if self.config.chat_replies != "none":
            self._subscription = self.hub.bus.subscribe(f"connector:{self.name}:replies", self.on_reply,
                                                        types=("reply",), maxsize=1000, overflow="drop_oldest")

    async def _close(self) -> None:
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            with contextlib.suppress(Exception):
                await self.hub.bus.unsubscribe(subscription, timeout=1.0)
        if self.outbox is not None:
            await self.outbox.stop()
        await self.cursor_keeper.flush()

    def status(self) -> dict[str, Any]:
        chat = self.config.chat_replies if self.can_send_chat else "voice only (no bot chat on this platform)"
        return {**super().status(), "room": self.room, "platform": self.platform,
                "can_send_chat": self.can_send_chat, "chat_replies": chat, "cursor": self.cursor,
                "ingested": self.ingested, "duplicates": self.duplicates, "outbox": self.outbox_status()}


def voice_only_platforms(hub: Hub, room: str) -> frozenset[str]:
    """The platforms feeding ``room`` where no connector can post the host's chat replies (no bot chat, or
    ``chat_replies = "none"``): their viewers are answered on voice. A platform with no connector here
    (events posted through the API, a replayed trace) is not in the set."""
    feeding, chatting = set(), set()
    for connector in hub.connectors.values():
        if isinstance(connector, PlatformConnector) and connector.room == room:
            feeding.add(connector.platform)
            if connector.can_send_chat and connector.config.chat_replies != "none":
                chatting.add(connector.platform)
    return frozenset(feeding - chatting)
