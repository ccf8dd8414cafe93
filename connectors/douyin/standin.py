"""``livehub standin douyin``: Douyin's two live-data services on one local server.

**Open platform** (``--set mode=open_platform``, the default table): ``POST /api/apps/v2/token``
(client credential; a wrong app id or secret is ``err_no`` 40001), ``POST /api/live_data/task/start|stop|
get`` and ``.../task/fail_data/get`` (header ``access-token``; an unknown or expired one is 28001003). While a
task of (room, message type) runs, its viewer events are POSTed in signed batches to ``callback_url``
(``x-nonce-str``, ``x-timestamp`` in ms, ``x-roomid``, ``x-msg-type``, ``x-signature``: the documented
MD5/base64 rule) and each batch is pushed again until the hub answers 200 within the platform's deadline
(2 s). A gift or fan-club batch that fails :attr:`OpenPlatformPusher.max_attempts` times goes to the
look-back list. Every task start pushes one ``"test": true`` item; every ``duplicate_every``-th item is
pushed twice.

**Webcast** (``--set mode=webcast``): ``GET /<web_rid>`` (the room page: a ``ttwid`` cookie and the room
id), ``POST /signer`` (what the operator's signing service answers: here an HMAC of the string's MD5, so
a wrong signature is caught), and the push WebSocket ``/webcast/im/push/v2/`` which refuses a missing
cookie or a bad signature (403), sends gzip'd ``msg`` frames from the client's ``cursor`` on, asks for acks
and checks their ``log_id``, closes a connection that sends no PING heartbeat for ``heartbeat_timeout``
seconds, and ends the room with a control message (status 3) for a ``live_state`` ``ended`` event.

Viewer events come from the control API (:mod:`hub.standin`); the platform room is the event's ``room``
(default ``7001``, web_rid ``813000``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from aiohttp import WSMsgType, web

from connectors.douyin.standin_encode import (
    EncodedItem,
    gift_streak,
    open_platform_item,
    room_end,
    webcast_message,
)
from connectors.douyin.standin_push import OpenPlatformPusher
from hub.events import Event
from hub.pushframe import MAX_FRAME, FrameError, Response, decode_frame, msg_frame

WEB_RID = "813000"


class DouyinStandin(OpenPlatformPusher):
    system = "douyin"
    secret_env = {"secret": "DOUYIN_APP_SECRET"}
    default_room = "7001"

    def __init__(self, *, mode: str = "open_platform", appid: str = "tt-standin", secret: str = "standin-secret",
                 callback_url: str = "http://127.0.0.1:8080/douyin/push", signer_key: str = "standin-signer",
                 heartbeat_timeout: float | str = 15.0, batch: int | str = 50, duplicate_every: int | str = 97,
                 **options: Any) -> None:
        if mode not in ("open_platform", "webcast"):
            raise ValueError(f"mode: open_platform or webcast, not {mode!r}")
        super().__init__(appid=appid, secret=secret, callback_url=callback_url, batch=int(batch),
                         duplicate_every=int(duplicate_every), **options)
        self.mode = mode
        self.signer_key = signer_key
        self.heartbeat_timeout = float(heartbeat_timeout)
        self.ttwids: set[str] = set()
        self.log: dict[str, list[EncodedItem]] = {}  # webcast: per room, every message in order
        self.changed: dict[str, asyncio.Event] = {}
        self.log_ids: dict[int, int] = {}  # webcast: log id sent -> messages in it, until acked
        self.webcast_figures = {"acks": 0, "bad_acks": 0, "pings": 0, "refused": 0, "heartbeat_timeouts": 0,
                                "frames": 0, "duplicates_sent": 0}
        self._log_id = 1000

    # -- what the control API feeds ------------------------------------------------------------------

    async def deliver(self, event: Event) -> Any:
        if self.mode == "open_platform":
            item = open_platform_item(event)
            self.queue_push(event.room, item)
            return {"msg_type": item.msg_type, **item.body}
        items = (room_end(event) if event.type == "live_state" else
                 gift_streak(event) if event.type == "gift" else [webcast_message(event)])
        room_log = self.log.setdefault(event.room, [])
        room_log.extend(items)
        self.changed.setdefault(event.room, asyncio.Event()).set()
        return {"method": items[-1].method, "msg_id": items[-1].msg_id, "messages": len(items)}

    def connector_settings(self) -> dict[str, Any]:
        if self.mode == "webcast":
            return {"mode": "webcast", "web_rid": WEB_RID, "live_url": self.url, "signer_url": f"{self.url}/signer",
                    "ws_url": f"ws://{self.host}:{self.port}/webcast/im/push/v2/"}
        return {"mode": "open_platform", "room_id": self.default_room, "appid": self.appid, "secret": self.secret,
                "api_base": self.url, "token_url": f"{self.url}/api/apps/v2/token"}

    def notes(self) -> list[str]:
        if self.mode == "webcast":
            return ["webcast mode: the hub connects to the feed; /signer stands in for the operator's signer"]
        return [f"open_platform mode: pushes go to {self.callback_url} (the hub's callback; "
                "--set callback_url=... for another port)", "webcast mode: --set mode=webcast"]

    def state(self) -> dict[str, Any]:
        return {**super().state(), "mode": self.mode, "webcast": dict(self.webcast_figures),
                "unacked_frames": len(self.log_ids)}

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        super().setup_routes(router)
        router.add_post("/signer", self.signer)
        router.add_get("/webcast/im/push/v2/", self.push_socket)
        router.add_get("/{web_rid}", self.room_page)

    # -- webcast ---------------------------------------------------------------------------------------

    def expected_signature(self, string_md5: str) -> str:
        return hmac.new(self.signer_key.encode(), string_md5.encode(), hashlib.sha256).hexdigest()[:32]

    async def signer(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
            string = body["string"]
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "expected {string, md5}"}, status=400)
        digest = hashlib.md5(str(string).encode()).hexdigest()  # noqa: S324 - the platform's rule
        return web.json_response({"signature": self.expected_signature(digest)})

    async def room_page(self, request: web.Request) -> web.Response:
        if request.match_info["web_rid"] != WEB_RID:
            return web.Response(status=404, text="no such room")
        ttwid = secrets.token_hex(16)
        self.ttwids.add(ttwid)
        page = f'<html><script>window.__state={{"roomStore":{{"roomInfo":{{"roomId":"{self.default_room}"}}}}}}' \
               "</script></html>"
        response = web.Response(text=page, content_type="text/html")
        response.set_cookie("ttwid", ttwid)
        return response

    def _check_feed(self, request: web.Request) -> str:
        """Why a feed request is refused ("" when it is not)."""
        query = request.query
        cookie = request.cookies.get("ttwid", "")
        if cookie not in self.ttwids:
            return "no ttwid cookie from the room page"
        from connectors.douyin.webcast import sign_string  # the string the web client signs

        string = sign_string(query.get("room_id", ""), query.get("user_unique_id", ""))
        digest = hashlib.md5(string.encode()).hexdigest()  # noqa: S324
        if not hmac.compare_digest(query.get("signature", ""), self.expected_signature(digest)):
            return "bad signature"
        if query.get("room_id") not in self.log and query.get("room_id") != self.default_room:
            return "no such room"
        return ""

    async def push_socket(self, request: web.Request) -> web.StreamResponse:
        refused = self._check_feed(request)
        if refused:
            self.webcast_figures["refused"] += 1
            return web.Response(status=403, text=refused)
        room = request.query["room_id"]
        cursor = _cursor_offset(request.query.get("cursor", ""))
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, autoping=False)
        await ws.prepare(request)
        sender = asyncio.create_task(self._send_log(ws, room, cursor), name="douyin-standin-sender")
        try:
            while True:
                try:
                    msg = await ws.receive(timeout=self.heartbeat_timeout)
                except TimeoutError:
                    self.webcast_figures["heartbeat_timeouts"] += 1
                    break
                if msg.type == WSMsgType.PING:
                    self.webcast_figures["pings"] += 1
                    await ws.pong(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self._on_client_frame(msg.data)
                elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                    break
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
            await ws.close()
        return ws

    def _on_client_frame(self, data: bytes) -> None:
        try:
            frame = decode_frame(data)
        except FrameError:
            self.webcast_figures["bad_acks"] += 1
            return
        if frame.payload_type == "ack":
            if self.log_ids.pop(frame.log_id, None) is None:
                self.webcast_figures["bad_acks"] += 1
            else:
                self.webcast_figures["acks"] += 1
                self.record("ack", log_id=frame.log_id)

    async def _send_log(self, ws: web.WebSocketResponse, room: str, offset: int) -> None:
        changed = self.changed.setdefault(room, asyncio.Event())
        room_log = self.log.setdefault(room, [])
        while not ws.closed:
            if offset >= len(room_log):
                changed.clear()
                await changed.wait()
                continue
            chunk = room_log[offset:offset + self.batch]
            messages = [item.message for item in chunk]
            if self.duplicate_every and offset and offset % self.duplicate_every < len(chunk):
                messages.insert(0, room_log[offset - 1].message)  # the platform sends repeats
                self.webcast_figures["duplicates_sent"] += 1
            offset += len(chunk)
            self._log_id += 1
            response = Response(messages=messages, cursor=f"t-{offset}", internal_ext=f"fetch:{offset}|{room}",
                                need_ack=True, heartbeat_ms=10_000, now=int(time.time() * 1000))
            self.log_ids[self._log_id] = len(messages)
            await ws.send_bytes(msg_frame(response, log_id=self._log_id, seq_id=offset))
            self.webcast_figures["frames"] += 1


def _cursor_offset(cursor: str) -> int:
    """The stand-in's cursors are ``t-<messages sent>``; anything else starts from the beginning."""
    if cursor.startswith("t-") and cursor[2:].isdigit():
        return int(cursor[2:])
    return 0
