"""The YouTube connector (``type = "youtube"``): the official Data API v3, live chat in and out.

``run()`` finds the live chat once (``live_chat_id`` as set; else ``videos.list`` of ``video_id`` →
``activeLiveChatId``; else ``liveBroadcasts.list?mine=true`` → the active broadcast's ``liveChatId``), then
reads it:

* ``transport = "stream"`` or ``"auto"``: ``liveChatMessages.streamList`` over gRPC
  (:mod:`connectors.youtube.stream`). YouTube ends these streams every few seconds; a stream that ends
  normally is reopened from the last ``next_page_token`` (no error, counted as ``streams_closed``). With
  ``"auto"``, an ``UNIMPLEMENTED`` answer switches the connector to polling for good.
* ``transport = "poll"``: ``liveChatMessages.list`` every ``pollingIntervalMillis`` as YouTube asks.

Either way the cursor is the page token: a reconnect (or a restart of the hub) resumes right after the
last message ingested. Every call is priced by the quota budget (:mod:`connectors.youtube.quota`), which
slows reading down when its units run low; chat has its own share of the day's units and stops when that is spent.
``offlineAt`` or a ``chatEndedEvent`` publishes ``LiveState("ended")`` and the connector stops.

Chat goes out with ``liveChatMessages.insert`` (OAuth only; with just an API key the connector reads and
the host answers YouTube viewers on voice). A token endpoint refusing the refresh token is ``auth_failed``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp
import grpc

from connectors.youtube.chat import ChatOut
from connectors.youtube.client import (
    INSERT_MAX_CHARS,
    ApiError,
    AuthError,
    ChatEnded,
    DataApi,
    FormatError,
    QuotaExceeded,
    RateLimited,
    Tokens,
)
from connectors.youtube.mapping import (
    BANNED,
    DELETED,
    ENDED,
    PLATFORM,
    ItemError,
    json_messages,
    message_event,
    type_name,
)
from connectors.youtube.quota import QuotaBudget, quota_metrics
from connectors.youtube.settings import YoutubeSettings
from connectors.youtube.stream import StreamFormatError, StreamReader, decode_response, status_of
from hub.clock import Clock, RealClock
from hub.errors import AuthFailed
from hub.events import Event, LiveState
from hub.platform import ChatMessage, ChatRejected, PlatformConnector

log = logging.getLogger("livehub.connector.youtube")
_AUTH_CODES = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


class ChatGone(Exception):
    """The live chat ended (the stream said so); the connector stops."""


class YoutubeConnector(PlatformConnector):
    platform = PLATFORM
    chat_rate = 1.0
    chat_burst = 1
    chat_max_chars = INSERT_MAX_CHARS

    @staticmethod
    def make_clocks() -> tuple[Clock, Callable[[], float]]:
        """(the clock waits run on, the wall clock in Unix seconds): tests swap in a simulated day."""
        return RealClock(), time.time

    def __init__(self, name: str, config: YoutubeSettings, hub: Any) -> None:
        super().__init__(name, config, hub)
        self.clock, self.wall = self.make_clocks()
        self.budget = QuotaBudget(config.quota_per_day, chat_units=config.quota_chat_units,
                                  slow_from=config.quota_slow_from, wall=self.wall, name=name)
        self.budget.on_spend = lambda call, cost: quota_metrics(hub, name, self.budget, call, cost)
        self.tokens: Tokens | None = None
        if config.client_id and config.client_secret and config.refresh_token:
            self.tokens = Tokens(config.token_url, config.client_id, config.client_secret.get(),
                                 config.refresh_token.get(), clock=self.wall)
        else:
            self.can_send_chat = False  # an API key reads; posting needs OAuth
        self.chat_id = config.live_chat_id
        self.transport = "stream" if config.transport == "auto" else config.transport
        self.counts: Counter[str] = Counter()
        self.unmapped: Counter[str] = Counter()
        self.chat_out = ChatOut(self.api, self.budget, self.counts)
        self.token_refused = False  # the stored page token was refused: start from the recent history

    def api(self, session: aiohttp.ClientSession) -> DataApi:
        c = self.config
        return DataApi(session, c.api_base, api_key=c.api_key.get() if c.api_key else "", tokens=self.tokens,
                       on_call=self.budget.spend, timeout=c.timeout_s)

    # -- ingest ----------------------------------------------------------------------------------------

    async def run(self) -> None:
        async with aiohttp.ClientSession() as session:
            api = self.api(session)
            try:
                if not self.chat_id:
                    self.chat_id = await self.find_chat(api)
                if self.transport == "stream":
                    await self._run_stream(api)  # returns only to fall back to polling
                await self._run_poll(api)
            except (ChatGone, ChatEnded) as exc:
                await self.end(str(exc))
            except AuthError as exc:
                raise AuthFailed(f"youtube: {exc}") from exc
            except QuotaExceeded:
                self.budget.exhausted()  # the next run waits for the reset (read_delay)
                raise

    async def check(self) -> str:
        """``livehub check``: the credentials work and the live chat is found (1 unit, or none)."""
        async with aiohttp.ClientSession() as session:
            api = self.api(session)
            if self.tokens is not None:
                await self.tokens.bearer(session, self.config.timeout_s)
            chat = self.chat_id or await self.find_chat(api)
        return f"live chat {chat} ({'OAuth: chat on' if self.tokens else 'API key: reading only'})"

    async def find_chat(self, api: DataApi) -> str:
        if self.config.video_id:
            chat = await api.video_chat_id(self.config.video_id)
            where = f"video {self.config.video_id}"
        else:
            chat, where = await api.my_chat_id(), "the channel's broadcasts (mine=true)"
        if not chat:
            raise ConnectionError(f"no active live chat in {where} (not live yet?)")
        log.info("youtube %s: reading live chat %s of %s", self.name, chat, where)
        return chat

    async def end(self, detail: str) -> None:
        await self.ingest(LiveState(platform=PLATFORM, room="", state="ended", detail=detail[:200],
                                    message_id=f"ended:{self.chat_id}"))
        log.info("youtube %s: the live chat ended (%s); not reconnecting", self.name, detail)

    async def _wait(self, seconds: float) -> None:
        if seconds > 0:
            await self.clock.sleep(seconds)

    async def _run_stream(self, api: DataApi) -> None:
        """Read with streamList until the chat ends (:class:`ChatGone`); returns to fall back to polling."""
        reader = StreamReader(self.config.grpc_target, tls=self.config.grpc_tls)
        auth_retry = self.tokens is not None
        opened = None
        try:
            while True:
                since = self.clock.now() - opened if opened is not None else None
                gap = self.config.stream_reopen_s - since if since is not None else 0.0
                await self._wait(self.budget.read_delay(max(0.0, gap), "stream"))
                headers, query = await api.auth()
                metadata = ([("authorization", headers["Authorization"])] if headers
                            else [("x-goog-api-key", query["key"])])
                opened = self.clock.now()
                self.budget.spend("stream")
                try:
                    async for data in reader.open(self.chat_id, self.page_token(), metadata, on_open=self.set_ready,
                                                  hl=self.config.hl):
                        await self.ingest_stream_response(data)
                except grpc.aio.AioRpcError as exc:
                    code, details = status_of(exc), exc.details() or ""
                    if code == grpc.StatusCode.UNIMPLEMENTED and self.config.transport == "auto":
                        log.warning("youtube %s: streamList is unavailable (%s); polling instead", self.name, details)
                        self.counts["fallback_to_poll"] += 1
                        self.transport = "poll"
                        return
                    if code in _AUTH_CODES and auth_retry and self.tokens is not None:
                        auth_retry = False
                        self.tokens.invalidate()
                        continue
                    if code in _AUTH_CODES:
                        raise AuthFailed(f"youtube streamList: {code.name}: {details}") from None
                    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
                        raise QuotaExceeded(403, "quotaExceeded", details) from None
                    if code == grpc.StatusCode.INVALID_ARGUMENT and "pageToken" in details and self.cursor:
                        self.refuse_page_token(details)
                        continue
                    if "liveChatEnded" in details:
                        raise ChatGone(details) from None
                    raise ConnectionError(f"streamList: {code.name if code else exc}: {details}") from None
                self.counts["streams_closed"] += 1  # YouTube ends streams now and then: open the next
        finally:
            await reader.close()

    async def ingest_stream_response(self, data: bytes) -> None:
        """Publish one streamList response (a malformed one is counted and skipped); :class:`ChatGone`
        when it ends the chat."""
        try:
            response = decode_response(data)
        except StreamFormatError:
            self.counts["malformed_responses"] += 1
            return
        self.counts["responses"] += 1
        ended = await self.ingest_messages(response.items)
        if response.next_page_token:
            self.cursor, self.token_refused = response.next_page_token, False
        if ended or response.offline_at:
            raise ChatGone(f"offlineAt {response.offline_at}" if response.offline_at else "chatEndedEvent")

    async def _run_poll(self, api: DataApi) -> None:
        asked = 0.0
        while True:
            await self._wait(self.budget.read_delay(asked, "list"))
            try:
                page = await api.list_messages(self.chat_id, self.page_token(), self.config.max_results)
            except RateLimited:
                self.counts["rate_limited"] += 1  # polled too early: wait longer and ask again
                asked = max(1.0, asked * 2)
                continue
            except FormatError:
                self.counts["malformed_responses"] += 1
                asked = max(1.0, asked)
                continue
            except ApiError as exc:
                if exc.reason != "pageTokenInvalid" or not self.cursor:
                    raise
                self.refuse_page_token(exc.message)
                continue
            self.set_ready()
            self.counts["polls"] += 1
            messages, malformed, unknown = json_messages(page.items)
            self.counts["malformed"] += malformed
            self.unmapped.update(unknown)
            ended = await self.ingest_messages(messages)
            self.cursor, self.token_refused = page.next_page_token, False
            if ended or page.offline_at:
                raise ChatGone(f"offlineAt {page.offline_at}" if page.offline_at else "chatEndedEvent")
            asked = page.polling_ms / 1000

    def page_token(self) -> str | None:
        return None if self.token_refused else self.cursor

    def refuse_page_token(self, why: str) -> None:
        """YouTube no longer knows our page token: read from the recent history (repeats are dropped)."""
        log.warning("youtube %s: the page token was refused (%s); reading from the recent history", self.name, why)
        self.counts["page_token_refused"] += 1
        self.token_refused = True

    async def ingest_messages(self, messages: Iterable[Any]) -> bool:
        """Publish the hub events of ``messages``; count the rest. True when one ended the chat."""
        ended = False
        for message in messages:
            if self.chat_out.is_own(message):
                self.counts["own_messages"] += 1  # what the hub posted, read back
                continue
            try:
                event = message_event(message)
            except ItemError:
                self.counts["malformed"] += 1
                continue
            if isinstance(event, Event):
                await self.ingest(event)
            elif event == ENDED:
                ended = True
            elif event in (DELETED, BANNED):
                if message.id and message.id in self.recent:
                    continue  # seen before (a page read twice)
                if message.id:
                    self.recent.add(message.id)
                self.counts[event] += 1
            else:
                self.unmapped[type_name(message)] += 1
        return ended

    # -- output ----------------------------------------------------------------------------------------

    async def send_chat(self, message: ChatMessage) -> str | None:
        if self.tokens is None:
            raise ChatRejected("YouTube chat needs OAuth credentials")
        if not self.chat_id:
            raise ConnectionError("the live chat is not known yet")
        return await self.chat_out.send(self.chat_id, message.text)

    async def supervise(self) -> None:
        try:
            await super().supervise()
        finally:
            await self.chat_out.close()

    def status(self) -> dict[str, Any]:
        return {**super().status(), "transport": self.transport, "live_chat_id": self.chat_id,
                "quota": self.budget.status(), "counts": dict(self.counts),
                "unmapped": dict(self.unmapped.most_common(20)),
                "token_refreshes": self.tokens.refreshes if self.tokens else 0}
