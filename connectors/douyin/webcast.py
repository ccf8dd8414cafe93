"""Douyin webcast (unofficial): the live page's WebSocket feed, for rooms without the open platform.

1. ``GET {live_url}/{web_rid}``: the ``ttwid`` cookie and the room id (``"roomId":"…"`` in the page).
2. The signature: Douyin's web client signs a parameter string with obfuscated JavaScript. LiveHub runs
   no JS engine: it POSTs ``{"string": <the string>, "md5": <its md5 hex>}`` to ``signer_url`` (a service
   the operator provides) and expects ``{"signature": "…"}``.
3. ``GET {ws_url}?…&room_id=…&cursor=…&internal_ext=…&signature=…`` upgraded to a WebSocket (``Cookie:
   ttwid=…``): binary ``PushFrame``\\ s (:mod:`hub.pushframe`). A ``msg`` frame carries a gzip'd
   ``Response``; when it says ``need_ack`` the client answers an ``ack`` frame with the frame's ``log_id``
   and the response's ``internal_ext``. Every ``heartbeat_s`` the client sends a WebSocket **PING** whose
   payload is a serialized ``PushFrame(payload_type="hb")``.

A malformed frame is counted and skipped (:attr:`Feed.malformed`); the connection goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import re
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp

from hub.pushframe import MAX_FRAME, FrameError, Response, ack_frame, decode_frame, decode_response
from hub.pushframe import heartbeat_frame as hb_payload

SDK_VERSION = "1.0.14-beta.0"
VERSION_CODE = "180800"
ROOM_ID = re.compile(r'roomId\\?"\s*:\s*\\?"(\d+)')
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


class WebcastError(Exception):
    """A transient failure: the page, the signer or the feed; reconnect."""


class SignerError(WebcastError):
    """The operator's signer did not answer a signature."""


def sign_string(room_id: str, user_unique_id: str) -> str:
    """The parameter string Douyin's web client signs (its order is the platform's)."""
    return (f"live_id=1,aid=6383,version_code={VERSION_CODE},webcast_sdk_version={SDK_VERSION},"
            f"room_id={room_id},sub_room_id=,sub_channel_id=,did_rule=3,user_unique_id={user_unique_id},"
            f"device_platform=web,device_type=,ac=,identity=audience")


class Feed:
    """One open WebSocket: iterate for :class:`Response`\\ s; :meth:`ack` after handling one."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, idle_timeout: float,
                 counts: Counter[str] | None = None) -> None:
        self.ws, self.idle_timeout = ws, idle_timeout
        self.counts = counts if counts is not None else Counter()  # malformed_frames, skipped_messages
        self.malformed = 0
        self.last_error = ""
        self._log_id = 0

    async def __aiter__(self) -> AsyncIterator[Response]:
        while True:
            try:
                msg = await self.ws.receive(timeout=self.idle_timeout)
            except TimeoutError:
                raise WebcastError(f"no frame for {self.idle_timeout:g} s") from None
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED,
                            aiohttp.WSMsgType.ERROR):
                raise WebcastError(f"feed closed ({msg.type.name} {msg.data!r} {msg.extra or ''})".strip())
            if msg.type != aiohttp.WSMsgType.BINARY:
                self._skip(f"a {msg.type.name} message")
                continue
            try:
                frame = decode_frame(msg.data)
                if frame.payload_type != "msg":
                    continue
                response = decode_response(frame)
            except FrameError as exc:
                self._skip(str(exc))
                continue
            self._log_id = frame.log_id
            yield response

    def _skip(self, why: str) -> None:
        self.malformed += 1
        self.counts["malformed_frames"] += 1
        self.last_error = why

    async def ack(self, response: Response) -> None:
        """Acknowledge the last frame when its response asked for it."""
        if response.need_ack:
            await self.ws.send_bytes(ack_frame(self._log_id, response.internal_ext))


class WebcastClient:
    """The page, the signer and the feed. ``session`` is the caller's; every URL is given."""

    def __init__(self, session: aiohttp.ClientSession, *, live_url: str, ws_url: str, signer_url: str,
                 web_rid: str, room_id: str = "", heartbeat_s: float = 5.0, idle_timeout: float = 60.0,
                 timeout: float = 10.0) -> None:
        self.session, self.live_url, self.ws_url = session, live_url.rstrip("/"), ws_url
        self.signer_url, self.web_rid, self.room_id = signer_url, web_rid, room_id
        self.heartbeat_s, self.idle_timeout = heartbeat_s, idle_timeout
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.user_unique_id = str(random.randrange(7 * 10**18, 8 * 10**18))
        self.ttwid = ""
        self.heartbeats = 0

    async def resolve(self) -> str:
        """The ``ttwid`` cookie and (unless configured) the room id, from the room's page."""
        try:
            async with self.session.get(f"{self.live_url}/{self.web_rid}", timeout=self.timeout,
                                        headers={"User-Agent": USER_AGENT}) as response:
                if response.status != 200:
                    raise WebcastError(f"room page: HTTP {response.status}")
                cookie = response.cookies.get("ttwid")
                self.ttwid = cookie.value if cookie is not None else self.ttwid
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise WebcastError(f"room page: {type(exc).__name__}: {exc}") from exc
        if not self.room_id:
            found = ROOM_ID.search(text)
            if found is None:
                raise WebcastError("room page: no room id in it (is the room live?)")
            self.room_id = found.group(1)
        return self.room_id

    async def sign(self) -> str:
        string = sign_string(self.room_id, self.user_unique_id)
        body = {"string": string, "md5": hashlib.md5(string.encode()).hexdigest()}  # noqa: S324
        try:
            async with self.session.post(self.signer_url, json=body, timeout=self.timeout) as response:
                answer: Any = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise SignerError(f"signer: {type(exc).__name__}: {exc}") from exc
        signature = answer.get("signature") if isinstance(answer, dict) else None
        if status != 200 or not isinstance(signature, str) or not signature:
            raise SignerError(f"signer: HTTP {status}, no signature")
        return signature

    def feed_url(self, signature: str, cursor: str | None, internal_ext: str) -> str:
        params = {"app_name": "douyin_web", "version_code": VERSION_CODE, "webcast_sdk_version": SDK_VERSION,
                  "update_version_code": SDK_VERSION, "compress": "gzip", "device_platform": "web",
                  "browser_language": "zh-CN", "browser_platform": "Linux", "host": "https://live.douyin.com",
                  "aid": "6383", "live_id": "1", "did_rule": "3", "endpoint": "live_pc", "support_wrds": "1",
                  "user_unique_id": self.user_unique_id, "im_path": "/webcast/im/fetch/", "identity": "audience",
                  "need_persist_msg_count": "15", "room_id": self.room_id, "heartbeatDuration": "0",
                  "cursor": cursor or "", "internal_ext": internal_ext, "signature": signature}
        return f"{self.ws_url}?{urlencode(params)}"

    @contextlib.asynccontextmanager
    async def connect(self, cursor: str | None = None, internal_ext: str = "",
                      counts: Counter[str] | None = None) -> AsyncIterator[Feed]:
        """Page, signature, WebSocket; heartbeats run while the block does."""
        await self.resolve()
        url = self.feed_url(await self.sign(), cursor, internal_ext)
        headers = {"User-Agent": USER_AGENT, "Cookie": f"ttwid={self.ttwid}"}
        try:
            ws = await self.session.ws_connect(url, headers=headers, max_msg_size=MAX_FRAME, autoping=True,
                                               timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=2.0))
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise WebcastError(f"feed: {type(exc).__name__}: {exc}") from exc
        beat = asyncio.create_task(self._heartbeat(ws), name="douyin-webcast-heartbeat")
        try:
            yield Feed(ws, self.idle_timeout, counts)
        finally:
            beat.cancel()
            with contextlib.suppress(BaseException):
                await beat
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await ws.close()

    async def _heartbeat(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        payload = hb_payload()
        with contextlib.suppress(ConnectionError, aiohttp.ClientError, RuntimeError):
            while not ws.closed:
                await ws.ping(payload)
                self.heartbeats += 1
                await asyncio.sleep(self.heartbeat_s)
