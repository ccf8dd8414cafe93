"""The Kuaishou connector (``type = "kuaishou"``): the official interactive-live long-poll, no bot chat.

``mode = "interactive"`` (互动直播, for an app Kuaishou approved; the streamer starts the interaction
and the app gets a ``code``): ``run()`` connects (:mod:`connectors.kuaishou.client`), calls
``set_ready()`` and polls from the stored cursor, waiting the ``sleep`` each answer advises before the
next poll. Each answer's items are published (repeats dropped by message id) and then the cursor moves to
its ``pCursor``. ``result: 2`` (the platform ended the session) connects again at once and goes on
from the cursor, without leaving ``ready``; any failure raises, so the base retries with backoff (state
``retrying``) and the next ``run()`` connects again from the cursor. A refused ``connect`` is
``auth_failed``. An unreadable answer or item is counted and skipped; the session goes on. On the way
out a session the platform did not end is closed (``disconnect``, best effort, 2 s at most).

Kuaishou has no bot chat (``can_send_chat = False``): the host answers Kuaishou viewers on voice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from typing import Any, Literal

import aiohttp
from pydantic import Field, model_validator

from connectors.kuaishou.client import (
    RESULT_RECONNECT,
    AuthError,
    InteractiveClient,
    PollAnswer,
    PollFormatError,
)
from connectors.kuaishou.mapping import CMD_NAMES, PLATFORM, ItemError, interactive_event, item_cmd
from hub.errors import AuthFailed
from hub.platform import ChatMessage, PlatformConnector, PlatformSettings
from hub.secrets import Secret

log = logging.getLogger("livehub.connector.kuaishou")


class KuaishouSettings(PlatformSettings):
    mode: Literal["interactive"] = Field("interactive", description="interactive (the official long-poll)")
    api_base: str = Field("", description="the interactive-live API host Kuaishou gives the app (https://...)")
    app_id: str = Field("", max_length=64, description="the app id")
    code: Secret | None = Field(None, description="the code the streamer's interaction gives the app")
    play_id: int | None = Field(None, ge=0, description="connect's playId, when the app has one")
    app_type: int | None = Field(None, ge=0, le=255, description="connect's appType, when the app has one")
    poll_len: int = Field(200, ge=1, le=200, description="items one poll asks for")
    default_sleep_s: float = Field(1.0, ge=0, le=60, description="wait after an answer without a sleep")
    max_sleep_s: float = Field(10.0, gt=0, le=60, description="a longer advised sleep is cut to this")
    poll_timeout_s: float = Field(40.0, gt=0, le=300, description="seconds one (held) poll may take")

    @model_validator(mode="after")
    def _required(self) -> KuaishouSettings:
        missing = [key for key in ("api_base", "app_id", "code") if not getattr(self, key)]
        if missing:
            raise ValueError(f"mode {self.mode!r} needs {', '.join(missing)}")
        return self


class KuaishouConnector(PlatformConnector):
    platform = PLATFORM
    can_send_chat = False
    mention_format = ""

    def __init__(self, name: str, config: KuaishouSettings, hub: Any) -> None:
        super().__init__(name, config, hub)
        self.counts: Counter[str] = Counter()  # polls, empty_polls, items, malformed, malformed_polls, reconnects
        self.unmapped: Counter[str] = Counter()  # cmds with no hub event, by name
        self.anchor = ""  # the streamer the code belongs to
        self.sleep_s = config.default_sleep_s  # the last advised sleep

    async def send_chat(self, message: ChatMessage) -> str | None:  # never called: no bot chat
        raise NotImplementedError("Kuaishou has no bot chat")

    def client(self, session: aiohttp.ClientSession) -> InteractiveClient:
        c = self.config
        return InteractiveClient(session, api_base=c.api_base, app_id=c.app_id, code=c.code.get() if c.code else "",
                                 play_id=c.play_id, app_type=c.app_type, poll_len=c.poll_len,
                                 poll_timeout=c.poll_timeout_s)

    async def run(self) -> None:
        async with aiohttp.ClientSession(auto_decompress=False) as session:
            client = self.client(session)
            while True:
                await self._session(client)  # returns when the platform asks for a reconnect
                self.counts["reconnects"] += 1
                self._metric("reconnect")

    async def _session(self, client: InteractiveClient) -> None:
        try:
            opened = await client.connect()
        except AuthError as exc:
            raise AuthFailed(f"kuaishou interactive connect: {exc}") from exc
        self.anchor = opened.user_name or opened.ks_uid
        self.set_ready()
        ended = False  # the platform ended the session itself: nothing to close
        try:
            while True:
                try:
                    answer = await client.poll(opened.token, self.cursor or "")
                except PollFormatError as exc:
                    self.counts["malformed_polls"] += 1
                    self._metric("malformed")
                    log.debug("kuaishou %s: skipped an unreadable poll answer: %s", self.name, exc)
                    await asyncio.sleep(self.sleep_s)
                    continue
                if answer.result == RESULT_RECONNECT:
                    log.info("kuaishou %s: the platform ended the session; connecting again", self.name)
                    ended = True
                    return
                await self.ingest_answer(answer)
                await asyncio.sleep(self.sleep_s)
        finally:
            if not ended:
                with contextlib.suppress(Exception):  # best effort, quickly: the platform ends it anyway
                    async with asyncio.timeout(2):
                        await client.disconnect(opened.token)

    async def ingest_answer(self, answer: PollAnswer) -> int:
        """Publish an answer's items, then move the cursor past them; returns how many were new."""
        self.counts["polls"] += 1
        self._metric("empty" if not answer.items else "items")
        if not answer.items:
            self.counts["empty_polls"] += 1
        fresh = 0
        for item in answer.items:
            self.counts["items"] += 1
            try:
                event = interactive_event(item)
            except ItemError as exc:
                self.counts["malformed"] += 1
                log.debug("kuaishou %s: skipped an item: %s", self.name, exc)
                continue
            if event is None:
                cmd = item_cmd(item)
                self.unmapped[CMD_NAMES.get(cmd, f"cmd {cmd}")] += 1
                continue
            fresh += await self.ingest(event)
        if answer.p_cursor:
            self.cursor = answer.p_cursor
        advised = answer.sleep_ms / 1000 if answer.sleep_ms is not None else self.config.default_sleep_s
        self.sleep_s = min(advised, self.config.max_sleep_s)
        return fresh

    def _metric(self, result: str) -> None:
        metric = getattr(self.hub, "metric", None)
        if metric is None:
            return
        from prometheus_client import Counter as PromCounter

        metric(PromCounter, "livehub_kuaishou_polls", "Kuaishou long-poll answers, by connector and result",
               ["connector", "result"]).labels(self.name, result).inc()

    def status(self) -> dict[str, Any]:
        return {**super().status(), "mode": self.config.mode, "anchor": self.anchor, "counts": dict(self.counts),
                "unmapped": dict(self.unmapped.most_common(20)), "sleep_s": self.sleep_s}
