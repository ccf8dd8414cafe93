"""The Bilibili connector (``type = "bilibili"``): two modes, one danmaku WebSocket.

``mode = "open_live"`` (official, a registered open-platform project): ``POST /v2/app/start`` with the
streamer's identity code gives a game, its ``auth_body`` and WebSocket links; a project heartbeat
(``POST /v2/app/heartbeat``) runs every ``project_heartbeat_s`` (the platform ends a game after 60 s
without one: code 7003, then a new game is started); ``POST /v2/app/end`` at stop.
``LIVE_OPEN_PLATFORM_INTERACTION_END`` (the game was ended) starts a new game. No bot chat: the host
answers Bilibili viewers on voice.

``mode = "web"`` (unofficial): room info, the WBI keys, the WBI-signed ``getDanmuInfo`` and the
WebSocket with the web client's auth JSON. With the ``sessdata`` and ``bili_jct`` cookies the hub posts
chat replies (``POST /msg/send``): ``10031`` (too fast) is a rate limit, ``1003212`` (too long) a refusal,
``-101`` / ``-111`` refused credentials (chat stops, counted, ``chat_auth`` in the status).

Bilibili has no cursor: what the server sends while the hub is disconnected is not sent again. The
connector de-duplicates repeats by message id (see :mod:`connectors.bilibili.mapping`) and reconnects
at once after ``REENTER_LIVE_ROOM`` (within the range the server asks, capped by ``reenter_max_s``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import Counter, deque
from typing import Any, Literal

import aiohttp
from pydantic import Field, model_validator

from connectors.bilibili.api import (
    BAD_CSRF,
    GAME_GONE,
    NOT_LOGGED_IN,
    TOO_FAST,
    TOO_LONG,
    ApiError,
    AuthError,
    OpenLiveApi,
    WebApi,
)
from connectors.bilibili.feed import FeedAuthError, open_feed
from connectors.bilibili.mapping import INTERACTION_END, PLATFORM, REENTER, MappingError, to_events
from hub.errors import AuthFailed
from hub.platform import ChatMessage, ChatRateLimited, ChatRejected, PlatformConnector, PlatformSettings
from hub.secrets import Secret

log = logging.getLogger("livehub.connector.bilibili")
FALLBACK_WS = "wss://broadcastlv.chat.bilibili.com:443/sub"


class Restart(Exception):
    """The server asked for a new connection (or a new game); reconnect now."""


class BilibiliSettings(PlatformSettings):
    mode: Literal["open_live", "web"] = Field("open_live", description="open_live (official) or web")
    room_id: str = Field("", max_length=20, pattern=r"^\d*$", description="web: the room number (short or long)")
    sessdata: Secret | None = Field(None, description="web: the SESSDATA cookie of the bot account (chat)")
    bili_jct: Secret | None = Field(None, description="web: the bili_jct cookie (the csrf token) of that account")
    buvid3: str = Field("", max_length=64, description="web: the buvid3 cookie (default: a random one)")
    uid: int = Field(0, ge=0, description="web: the account's uid sent in the WebSocket auth (0 anonymous)")
    live_api: str = "https://api.live.bilibili.com"
    main_api: str = "https://api.bilibili.com"
    ws_url: str = Field("", description="the WebSocket URL (default: the first host the platform gives)")
    code: Secret | None = Field(None, description="open_live: the streamer's identity code (身份码)")
    app_id: int = Field(0, ge=0, description="open_live: the project's app id")
    access_key_id: str = Field("", max_length=128, description="open_live: the developer's access key id")
    access_key_secret: Secret | None = Field(None, description="open_live: the access key secret")
    open_api: str = "https://live-open.biliapi.com"
    heartbeat_s: float = Field(30.0, gt=0, le=60, description="WebSocket heartbeat interval (op 2)")
    project_heartbeat_s: float = Field(20.0, gt=0, le=55, description="open_live: project heartbeat interval")
    idle_timeout_s: float = Field(90.0, gt=0, le=3600, description="reconnect after this long without data")
    auth_timeout_s: float = Field(5.0, gt=0, le=30, description="wait this long for the auth reply")
    reenter_max_s: float = Field(10.0, ge=0, le=60, description="longest wait asked by REENTER_LIVE_ROOM")
    too_fast_wait_s: float = Field(5.0, gt=0, le=600, description="wait after a 10031 (too fast) answer")

    @model_validator(mode="after")
    def _mode_keys(self) -> BilibiliSettings:
        need = ("room_id",) if self.mode == "web" else ("code", "app_id", "access_key_id", "access_key_secret")
        missing = [key for key in need if not getattr(self, key)]
        if missing:
            raise ValueError(f"mode {self.mode!r} needs {', '.join(missing)}")
        if self.mode == "web" and bool(self.sessdata) != bool(self.bili_jct):
            raise ValueError("web chat needs both sessdata and bili_jct (or neither)")
        return self


class BilibiliConnector(PlatformConnector):
    platform = PLATFORM
    chat_rate = 0.25  # ~1 message per few seconds (the platform publishes no number; 10031 says slow down)
    chat_burst = 1
    chat_max_chars = 20  # level-dependent, 20–40: 20 is safe for every account

    def __init__(self, name: str, config: BilibiliSettings, hub: Any) -> None:
        super().__init__(name, config, hub)
        self.can_send_chat = config.mode == "web" and config.sessdata is not None  # instance: per mode
        self.counts: Counter[str] = Counter()
        self.unmapped: Counter[str] = Counter()
        self.long_room_id = 0
        self.game_id = ""
        self.popularity = 0
        self.chat_auth = "ok" if self.can_send_chat else "none"
        self.web: WebApi | None = None
        self.own_ids: deque[str] = deque(maxlen=200)  # id_str of our own chat messages (echoed back)
        self.buvid = config.buvid3 or f"{random.getrandbits(128):032X}infoc"

    # -- ingest ---------------------------------------------------------------------------------------

    async def run(self) -> None:
        async with aiohttp.ClientSession() as session:
            try:
                if self.config.mode == "web":
                    await self._run_web(session)
                else:
                    await self._run_open_live(session)
            except Restart:
                self.counts["restarts"] += 1
                raise  # the base reconnects (after its backoff)
            except (AuthError, FeedAuthError) as exc:
                raise AuthFailed(f"bilibili {self.config.mode}: {exc}") from exc

    async def _run_web(self, session: aiohttp.ClientSession) -> None:
        c = self.config
        cookies = {"buvid3": self.buvid, "SESSDATA": c.sessdata.get() if c.sessdata else "",
                   "bili_jct": c.bili_jct.get() if c.bili_jct else ""}
        self.web = web = WebApi(session, live_api=c.live_api, main_api=c.main_api, cookies=cookies)
        info = await web.room_info(c.room_id)
        self.long_room_id = info["room_id"]
        await web.refresh_wbi_key()
        if c.sessdata is not None and web.logged_in is False:
            raise AuthFailed("bilibili web: the SESSDATA cookie is not logged in (nav: -101)")
        danmu = await web.danmu_info(self.long_room_id)
        url = c.ws_url or next((f"wss://{h['host']}:{h.get('wss_port', 443)}/sub" for h in danmu.hosts), FALLBACK_WS)
        auth = {"uid": c.uid, "roomid": self.long_room_id, "protover": 3, "buvid": self.buvid, "platform": "web",
                "type": 2, "key": danmu.token}
        await self._consume(session, url, json.dumps(auth, separators=(",", ":")).encode())

    async def _run_open_live(self, session: aiohttp.ClientSession) -> None:
        c = self.config
        api = OpenLiveApi(session, open_api=c.open_api, key_id=c.access_key_id,
                          secret=c.access_key_secret.get() if c.access_key_secret else "", app_id=c.app_id)
        game = await api.start(c.code.get() if c.code else "")
        self.game_id, self.long_room_id = game.game_id, game.room_id
        self.counts["games_started"] += 1
        beat = asyncio.create_task(self._project_heartbeat(api, game.game_id), name="bilibili-project-heartbeat")
        consume = asyncio.create_task(
            self._consume(session, c.ws_url or (game.wss_links[0] if game.wss_links else FALLBACK_WS),
                          game.auth_body.encode()), name="bilibili-feed")
        try:
            done, _ = await asyncio.wait({beat, consume}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # the one that ended raises why
        finally:
            for task in (beat, consume):
                task.cancel()
            await asyncio.gather(beat, consume, return_exceptions=True)
            with contextlib.suppress(Exception):  # stop the game (best effort, quickly)
                async with asyncio.timeout(2.0):
                    await api.end(game.game_id)
            self.game_id = ""

    async def _project_heartbeat(self, api: OpenLiveApi, game_id: str) -> None:
        while True:
            await asyncio.sleep(self.config.project_heartbeat_s)
            try:
                await api.heartbeat(game_id)
            except ApiError as exc:
                if exc.code in GAME_GONE:
                    raise Restart(f"the game expired ({exc})") from exc
                raise
            self.counts["project_heartbeats"] += 1

    async def _consume(self, session: aiohttp.ClientSession, url: str, auth_body: bytes) -> None:
        c = self.config
        async with open_feed(session, url, auth_body, heartbeat_s=c.heartbeat_s, idle_timeout=c.idle_timeout_s,
                             auth_timeout=c.auth_timeout_s, counts=self.counts) as feed:
            self.set_ready()
            async for cmd, obj, raw in feed:
                self.popularity = feed.popularity
                try:
                    events = to_events(cmd, obj, raw)
                except MappingError as exc:
                    self.counts["malformed_commands"] += 1
                    log.debug("bilibili %s: skipped %s", self.name, exc)
                    continue
                if events is None:
                    self.unmapped[cmd[:64]] += 1
                elif events == REENTER:
                    self.counts["reconnect_requests"] += 1
                    data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
                    spread = data.get("request_random_sec_range", 0)
                    wait = min(float(spread) if isinstance(spread, (int, float)) else 0.0, c.reenter_max_s)
                    await asyncio.sleep(random.uniform(0, max(0.0, wait)))
                    raise Restart("the server asked for a reconnect (REENTER_LIVE_ROOM)")
                elif events == INTERACTION_END:
                    self.counts["interaction_end"] += 1
                    raise Restart("the game was ended (LIVE_OPEN_PLATFORM_INTERACTION_END)")
                else:
                    for event in events:
                        if event.type == "comment" and self._own(event):
                            self.counts["own_chat"] += 1  # the room echoes the bot's chat: not a viewer
                            continue
                        self.counts["events"] += 1
                        await self.ingest(event)

    def _own(self, event: Any) -> bool:
        uid = self.config.uid
        return event.message_id in self.own_ids or bool(uid and event.user and event.user.id == str(uid))

    # -- chat -----------------------------------------------------------------------------------------

    async def send_chat(self, message: ChatMessage) -> str | None:
        if self.web is None or not self.long_room_id:
            raise ConnectionError("not connected yet")
        if self.chat_auth == "refused":
            raise ChatRejected("the chat cookies were refused (-101/-111); fix sessdata/bili_jct")
        answer = await self.web.send_msg(self.long_room_id, message.text)
        code = answer["code"]
        if code == 0:
            self.counts["chat_sent"] += 1
            data = answer.get("data")
            mode_info = data.get("mode_info") if isinstance(data, dict) else None
            extra = mode_info.get("extra") if isinstance(mode_info, dict) else None
            id_str = json.loads(extra).get("id_str") if isinstance(extra, str) and "id_str" in extra else None
            if id_str:
                self.own_ids.append(str(id_str))
            return str(id_str) if id_str else None
        text = f"code {code}: {answer.get('message') or answer.get('msg') or ''}"
        if code == TOO_FAST:
            self.counts["chat_too_fast"] += 1
            raise ChatRateLimited(self.config.too_fast_wait_s, text)
        if code == TOO_LONG:
            raise ChatRejected(f"too long: {text}")
        if code in (NOT_LOGGED_IN, BAD_CSRF):
            self.chat_auth = "refused"
            log.error("bilibili %s: chat credentials refused: %s", self.name, text)
            raise ChatRejected(f"credentials refused: {text}")
        raise ApiError(code, text)  # anything else: retried by the outbox

    def status(self) -> dict[str, Any]:
        return {**super().status(), "mode": self.config.mode, "room_id": self.long_room_id or self.config.room_id,
                "game_id": self.game_id, "popularity": self.popularity, "chat_auth": self.chat_auth,
                "counts": dict(self.counts), "unmapped": dict(self.unmapped.most_common(20))}
