"""The Douyin connector (``type = "douyin"``): two modes, one platform, no bot chat.

``mode = "open_platform"`` (official, for an approved 直播小玩法 app mounted in the room): ``run()``
gets a client-credential token, starts the push tasks of ``room_id`` (one per ``msg_types`` entry),
fetches the gifts and fan-club messages the platform failed to push (the look-back: at every start of
``run()``, i.e. after a restart of the hub or an outage) and then checks the tasks every
``task_check_s``; a failed check is an outage (state ``retrying``), the next ``run()`` starts the tasks
again and looks back. The pushes themselves arrive on the hub's web server
(``POST /douyin/push``, :mod:`connectors.douyin.callback`) and are acknowledged once stored.

``mode = "webcast"`` (unofficial, :mod:`connectors.douyin.webcast`): the live page's WebSocket feed,
resumed from the cursor; the room's end (control message) stops the connector without reconnecting.

Douyin has no bot chat (``can_send_chat = False``): the host answers Douyin viewers on voice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from typing import Any, Literal

import aiohttp
from pydantic import Field, model_validator

from connectors.douyin.client import LOOKBACK_TYPES, MSG_TYPES, AuthError, OpenPlatformClient
from connectors.douyin.mapping import (
    DECODED_METHODS,
    PLATFORM,
    ROOM_ENDED,
    ItemError,
    is_test,
    open_platform_event,
    webcast_event,
)
from connectors.douyin.webcast import WebcastClient
from hub.errors import AuthFailed
from hub.events import Event, LiveState
from hub.platform import ChatMessage, PlatformConnector, PlatformSettings
from hub.protowire import WireError
from hub.pushframe import Response
from hub.secrets import Secret

log = logging.getLogger("livehub.connector.douyin")
MsgType = Literal["live_comment", "live_gift", "live_like", "live_fansclub"]


class DouyinSettings(PlatformSettings):
    mode: Literal["open_platform", "webcast"] = Field("open_platform", description="open_platform (official) or webcast")
    room_id: str = Field("", max_length=32, description="the Douyin room id (open_platform: required)")
    appid: str = Field("", max_length=64, description="open_platform: the 小玩法 app id")
    secret: Secret | None = Field(None, description="open_platform: the app secret")
    push_secret: Secret | None = Field(None, description="open_platform: the push signing secret (default: secret)")
    msg_types: list[MsgType] = Field(default_factory=lambda: list(MSG_TYPES), description="push tasks to run")
    api_base: str = "https://webcast.bytedance.com"
    token_url: str = "https://developer.toutiao.com/api/apps/v2/token"
    task_check_s: float = Field(60.0, gt=0, le=3600, description="seconds between task checks")
    ack_deadline_s: float = Field(1.5, gt=0, le=10, description="answer a push within this (the platform waits 2 s)")
    max_skew_s: float = Field(300.0, gt=0, description="pushes older (x-timestamp) are refused as replays")
    web_rid: str = Field("", max_length=64, description="webcast: the room's number in live.douyin.com/<web_rid>")
    live_url: str = "https://live.douyin.com"
    ws_url: str = "wss://webcast100-ws-web-lq.douyin.com/webcast/im/push/v2/"
    signer_url: str = Field("", description="webcast: the operator's signer service (POST string → signature)")
    heartbeat_s: float = Field(5.0, gt=0, le=60)
    idle_timeout_s: float = Field(60.0, gt=0, le=3600, description="webcast: reconnect after this long silent")

    @model_validator(mode="after")
    def _mode_keys(self) -> DouyinSettings:
        need = (("room_id", "appid", "secret") if self.mode == "open_platform" else ("web_rid", "signer_url"))
        missing = [key for key in need if not getattr(self, key)]
        if missing:
            raise ValueError(f"mode {self.mode!r} needs {', '.join(missing)}")
        return self


def push_secret_of(config: DouyinSettings) -> str:
    """The secret pushes are signed with (``push_secret``, else ``secret``)."""
    secret = config.push_secret or config.secret
    return secret.get() if secret is not None else ""


class DouyinConnector(PlatformConnector):
    platform = PLATFORM
    can_send_chat = False
    mention_format = ""

    def __init__(self, name: str, config: DouyinSettings, hub: Any) -> None:
        super().__init__(name, config, hub)
        self.counts: Counter[str] = Counter()  # pushes, items, test, malformed, lookback, refused:<why>
        self.unmapped: Counter[str] = Counter()  # webcast methods and push types with no hub event
        self.recent_tests: deque[dict[str, Any]] = deque(maxlen=20)
        self.internal_ext = ""
        self.webcast: WebcastClient | None = None

    def push_secret(self) -> str:
        return push_secret_of(self.config)

    async def send_chat(self, message: ChatMessage) -> str | None:  # never called: no bot chat
        raise NotImplementedError("Douyin has no bot chat")

    async def run(self) -> None:
        async with aiohttp.ClientSession() as session:
            if self.config.mode == "webcast":
                await self._run_webcast(session)
            else:
                await self._run_open_platform(session)

    # -- open platform ------------------------------------------------------------------------------

    def open_client(self, session: aiohttp.ClientSession) -> OpenPlatformClient:
        c = self.config
        return OpenPlatformClient(session, api_base=c.api_base, token_url=c.token_url, appid=c.appid,
                                  secret=c.secret.get() if c.secret else "")

    async def _run_open_platform(self, session: aiohttp.ClientSession) -> None:
        client, room = self.open_client(session), self.config.room_id
        try:
            for msg_type in self.config.msg_types:
                await client.start_task(room, msg_type)
            await self.look_back(client)
            self.set_ready()
            while True:
                await asyncio.sleep(self.config.task_check_s)
                for msg_type in self.config.msg_types:
                    if await client.get_task(room, msg_type) != 3:  # stopped (the room restarted?)
                        await client.start_task(room, msg_type)
        except AuthError as exc:
            raise AuthFailed(f"douyin open platform: {exc}") from exc
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):  # the hub stops: stop pushing (best effort, quickly)
                async with asyncio.timeout(2):
                    await asyncio.gather(*(client.stop_task(room, t) for t in self.config.msg_types))
            raise

    async def look_back(self, client: OpenPlatformClient) -> None:
        """Ingest the gift and fan-club pushes the platform failed to deliver (repeats are recognised)."""
        for msg_type in (t for t in self.config.msg_types if t in LOOKBACK_TYPES):
            for row in await client.failed_pushes(self.config.room_id, msg_type):
                item = row.get("payload", row)
                if isinstance(item, str):
                    from hub.jsonbody import JsonBodyError, loads

                    try:
                        item = loads(item.encode("utf-8"))
                    except JsonBodyError:
                        self.counts["malformed"] += 1
                        continue
                if await self.accept_item(msg_type, item):
                    self.counts["lookback"] += 1
        await self.hub.events_stored(timeout=self.store_timeout)

    async def accept_item(self, msg_type: str, item: Any) -> bool:
        """Publish one pushed item (not stored yet: the caller waits for that). True if new."""
        self.counts["items"] += 1
        if isinstance(item, dict) and is_test(item):
            self.counts["test"] += 1
            self.recent_tests.append({"msg_type": msg_type, "msg_id": item.get("msg_id")})
            return False
        try:
            event = open_platform_event(msg_type, item)
        except ItemError as exc:
            self.counts["malformed"] += 1
            log.debug("douyin %s: skipped a %s item: %s", self.name, msg_type, exc)
            return False
        if event is None:
            self.unmapped[msg_type] += 1
            return False
        return await self.ingest(event)

    async def accept_handoff(self, kind: str, data: Any) -> None:
        """A push another process of the cluster verified and handed over (``kind`` "push")."""
        if kind != "push" or not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise ValueError(f"not a Douyin push hand-off: {kind!r}")
        await self.accept_push(str(data.get("msg_type", "")), data["items"])

    async def accept_push(self, msg_type: str, items: list[Any]) -> None:
        """A verified push: publish its items, return once they are stored (TimeoutError past the
        deadline: do not acknowledge, the platform pushes again and the repeats are recognised)."""
        self.counts["pushes"] += 1
        for item in items:
            await self.accept_item(msg_type, item)
        await self.hub.events_stored()  # the route bounds the wait (ack_deadline_s)

    # -- webcast ------------------------------------------------------------------------------------

    async def _run_webcast(self, session: aiohttp.ClientSession) -> None:
        c = self.config
        self.webcast = client = WebcastClient(session, live_url=c.live_url, ws_url=c.ws_url, signer_url=c.signer_url,
                                              web_rid=c.web_rid, room_id=c.room_id, heartbeat_s=c.heartbeat_s,
                                              idle_timeout=c.idle_timeout_s)
        async with client.connect(self.cursor, self.internal_ext, self.counts) as feed:
            self.set_ready()
            async for response in feed:
                ended = await self.ingest_response(response)
                await feed.ack(response)
                if ended:
                    log.info("douyin %s: the room's live ended; not reconnecting", self.name)
                    return

    async def ingest_response(self, response: Response) -> bool:
        """Publish a response's messages; advance the cursor. True when the room's live ended."""
        ended = False
        for message in response.messages:
            try:
                event: Event | str | None = webcast_event(message)
            except WireError:
                self.counts["malformed"] += 1
                continue
            if event == ROOM_ENDED:
                ended = True
                await self.ingest(LiveState(platform=PLATFORM, room="", state="ended", detail="control status 3",
                                            message_id=str(message.msg_id) if message.msg_id else None))
            elif isinstance(event, Event):
                await self.ingest(event)
            elif event is None and message.method not in DECODED_METHODS:
                self.unmapped[message.method[:64]] += 1
        if response.internal_ext:
            self.internal_ext = response.internal_ext
        if response.cursor:
            self.cursor = response.cursor
        return ended

    def status(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"mode": self.config.mode, "counts": dict(self.counts),
                                 "unmapped": dict(self.unmapped.most_common(20))}
        if self.config.mode == "open_platform":
            extra["callback_path"] = "/douyin/push"
            extra["recent_test_messages"] = list(self.recent_tests)
        elif self.webcast is not None:
            extra["heartbeats"] = self.webcast.heartbeats
        return {**super().status(), **extra}
