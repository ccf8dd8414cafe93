"""``livehub standin bilibili``: Bilibili live's web and open-platform services on one local server.

**Web** (``--set mode=web``): ``GET /room/v1/Room/get_info`` (short id ``5050`` or the long id),
``GET /x/web-interface/nav`` (``wbi_img``; ``-101`` without a logged-in ``SESSDATA``),
``GET /xlive/web-room/v1/index/getDanmuInfo`` (checks ``w_rid``: ``-352`` when it is wrong; the token is
good for that room's WebSocket), ``POST /msg/send`` (``-101`` without the account's ``SESSDATA``, ``-111``
when ``csrf`` is not its ``bili_jct``, ``1003212`` beyond ``chat_max_chars``, ``10031`` faster than one
message every ``chat_interval`` seconds or under a ``rate_limit`` fault); a sent message comes back in the
room's feed, as on Bilibili.

**Open platform** (``--set mode=open_live``, the default table): ``POST /v2/app/start|heartbeat|end``
check the ``x-bili-*`` headers (``4002`` for a wrong signature, content md5 or key id, ``4004`` for a
repeated nonce, ``4003`` for a timestamp off by more than 10 minutes) and the identity code (``7007``);
a game with no project heartbeat for ``game_timeout`` seconds expires (``7003``; its connections close).

Both: the WebSocket ``/sub`` (:mod:`connectors.bilibili.standin_ws`). Viewer events come from the control
API; the platform room is the event's ``room`` (default: the long id ``21452505``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any

from aiohttp import web

from connectors.bilibili.client import SIGNED_HEADERS, mixin_key, open_live_signature, wbi_valid
from connectors.bilibili.standin_encode import encode_event
from connectors.bilibili.standin_ws import DanmakuServer
from hub.events import Comment, Event, User
from hub.ratelimit import TokenBucket
from hub.standin import take_token

SHORT_ID, LONG_ID, ANCHOR_UID, BOT_UID = "5050", "21452505", 7_000_001, 42


def _answer(code: int, data: Any = None, message: str = "") -> web.Response:
    return web.json_response({"code": code, "message": message or str(code), "ttl": 1, "data": data or {}},
                             dumps=lambda d: json.dumps(d, ensure_ascii=False))


class BilibiliStandin(DanmakuServer):
    system = "bilibili"
    default_room = LONG_ID
    secret_env = {"sessdata": "BILIBILI_SESSDATA", "bili_jct": "BILIBILI_BILI_JCT", "code": "BILIBILI_CODE",
                  "access_key_secret": "BILIBILI_ACCESS_KEY_SECRET"}

    def __init__(self, *, mode: str = "open_live", sessdata: str = "standin-sessdata", bili_jct: str = "standin-csrf",
                 code: str = "STANDINCODE1", app_id: int | str = 1700000000001, access_key_id: str = "standin-key",
                 access_key_secret: str = "standin-secret", chat_interval: float | str = 3.0,
                 chat_max_chars: int | str = 20, **options: Any) -> None:
        if mode not in ("open_live", "web"):
            raise ValueError(f"mode: open_live or web, not {mode!r}")
        super().__init__(**options)
        self.mode, self.sessdata, self.bili_jct = mode, sessdata, bili_jct
        self.code, self.app_id = code, int(app_id)
        self.access_key_id, self.access_key_secret = access_key_id, access_key_secret
        self.chat_interval, self.chat_max_chars = float(chat_interval), int(chat_max_chars)
        self.img_key, self.sub_key = secrets.token_hex(16), secrets.token_hex(16)
        self.chat_bucket = TokenBucket(1.0 / self.chat_interval, 1, now=time.monotonic())
        self.nonces: set[str] = set()
        self.api_figures = {"bad_wbi": 0, "bad_signature": 0, "chat_too_fast": 0, "chat_refused": 0,
                            "games_expired": 0}
        self._n = 0

    # -- control API ----------------------------------------------------------------------------------

    async def deliver(self, event: Event) -> Any:
        self._n += 1
        entry = encode_event(event, self._n)
        body, message_id = (entry.open, entry.open_id) if self.mode == "open_live" else (entry.web, entry.web_id)
        if body is None:
            raise ValueError(f"Bilibili {self.mode} has no command for a {event.type!r} event")
        room = self.room(event.room)
        room.log.append(entry)
        room.changed.set()
        return {"cmd": json.loads(body)["cmd"], "message_id": message_id}

    def connector_settings(self) -> dict[str, Any]:
        if self.mode == "web":
            return {"mode": "web", "room_id": SHORT_ID, "live_api": self.url, "main_api": self.url,
                    "ws_url": f"ws://{self.host}:{self.port}/sub", "sessdata": self.sessdata, "bili_jct": self.bili_jct}
        return {"mode": "open_live", "code": self.code, "app_id": self.app_id, "access_key_id": self.access_key_id,
                "access_key_secret": self.access_key_secret, "open_api": self.url}

    def notes(self) -> list[str]:
        return [f"{self.mode} mode (--set mode={'web' if self.mode == 'open_live' else 'open_live'} for the other); "
                f"room {SHORT_ID} / {LONG_ID}"]

    def state(self) -> dict[str, Any]:
        return {**super().state(), "mode": self.mode, "ws": dict(self.figures), "api": dict(self.api_figures),
                "games": {g: v["alive"] for g, v in self.games.items()}, "rooms": {r: len(v.log) for r, v in self.rooms.items()}}

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/room/v1/Room/get_info", self.room_info)
        router.add_get("/x/web-interface/nav", self.nav)
        router.add_get("/xlive/web-room/v1/index/getDanmuInfo", self.danmu_info)
        router.add_post("/msg/send", self.msg_send)
        router.add_post("/v2/app/start", self.app_start)
        router.add_post("/v2/app/heartbeat", self.app_heartbeat)
        router.add_post("/v2/app/end", self.app_end)
        router.add_get("/sub", self.sub_socket)

    # -- web ------------------------------------------------------------------------------------------

    async def room_info(self, request: web.Request) -> web.Response:
        if request.query.get("room_id") not in (SHORT_ID, LONG_ID):
            return _answer(1, message="未找到该房间")
        return _answer(0, {"room_id": int(LONG_ID), "short_id": int(SHORT_ID), "uid": ANCHOR_UID, "live_status": 1})

    def _logged_in(self, request: web.Request) -> bool:
        return hmac.compare_digest(request.cookies.get("SESSDATA", ""), self.sessdata)

    async def nav(self, request: web.Request) -> web.Response:
        img = {"img_url": f"https://i0.hdslb.com/bfs/wbi/{self.img_key}.png",
               "sub_url": f"https://i0.hdslb.com/bfs/wbi/{self.sub_key}.png"}
        if not self._logged_in(request):
            return _answer(-101, {"isLogin": False, "wbi_img": img}, "账号未登录")
        return _answer(0, {"isLogin": True, "mid": BOT_UID, "uname": "standin-bot", "wbi_img": img})

    async def danmu_info(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        if not wbi_valid(query, mixin_key(self.img_key, self.sub_key)):
            self.api_figures["bad_wbi"] += 1
            return _answer(-352, message="-352")
        room = query.get("id", "")
        if room not in (SHORT_ID, LONG_ID):
            return _answer(1, message="room not found")
        token = secrets.token_urlsafe(24)
        self.tokens[token] = LONG_ID
        host = {"host": self.host, "port": self.port, "wss_port": self.port, "ws_port": self.port}
        return _answer(0, {"group": "live", "business_id": 0, "token": token, "host_list": [host]})

    async def msg_send(self, request: web.Request) -> web.Response:
        form = await request.post()
        text, csrf = str(form.get("msg", "")), str(form.get("csrf", ""))
        if not self._logged_in(request):
            self.api_figures["chat_refused"] += 1
            return _answer(-101, message="账号未登录")
        if not (csrf and hmac.compare_digest(csrf, self.bili_jct)
                and hmac.compare_digest(request.cookies.get("bili_jct", ""), self.bili_jct)):
            self.api_figures["chat_refused"] += 1
            return _answer(-111, message="csrf 校验失败")
        if str(form.get("roomid")) not in (SHORT_ID, LONG_ID) or not text.strip():
            return _answer(-400, message="请求错误")
        if len(text) > self.chat_max_chars:
            return _answer(1003212, message="超出限制长度")
        if self.take_rate_limit() or take_token(self.chat_bucket) > 0:
            self.api_figures["chat_too_fast"] += 1
            return _answer(10031, message="您发送弹幕的频率过快")
        id_str = secrets.token_hex(16)
        self.record("chat", text=text, room=LONG_ID, id_str=id_str)
        self._n += 1  # the room shows the message to everyone, the sender included, as Bilibili does
        echo = Comment(platform=self.system, room=LONG_ID, user=User(str(BOT_UID), "standin-bot"), text=text,
                       message_id=id_str)
        room = self.room(LONG_ID)
        room.log.append(encode_event(echo, self._n))
        room.changed.set()
        return _answer(0, {"mode_info": {"mode": 0, "extra": json.dumps({"content": text, "id_str": id_str})}})

    # -- open platform ----------------------------------------------------------------------------------

    def _check_signature(self, request: web.Request, body: bytes) -> int:
        headers = {k.lower(): v for k, v in request.headers.items()}
        if any(name not in headers for name in SIGNED_HEADERS) or "authorization" not in headers:
            return 4002
        if not hmac.compare_digest(headers["x-bili-accesskeyid"], self.access_key_id):
            return 4002
        if headers["x-bili-content-md5"] != hashlib.md5(body).hexdigest():  # noqa: S324 - the platform's rule
            return 4002
        if not hmac.compare_digest(headers["authorization"], open_live_signature(headers, self.access_key_secret)):
            return 4002
        stamp = headers["x-bili-timestamp"]
        if not stamp.isdigit() or abs(int(stamp) - time.time()) > 600:
            return 4003
        if headers["x-bili-signature-nonce"] in self.nonces:
            return 4004
        self.nonces.add(headers["x-bili-signature-nonce"])
        return 0

    async def _signed(self, request: web.Request) -> tuple[int, dict[str, Any]]:
        body = await request.read()
        code = self._check_signature(request, body)
        if code:
            self.api_figures["bad_signature"] += 1
            return code, {}
        try:
            data = json.loads(body)
        except ValueError:
            return 4000, {}
        return (0, data) if isinstance(data, dict) else (4000, {})

    async def app_start(self, request: web.Request) -> web.Response:
        code, body = await self._signed(request)
        if code:
            return _answer(code, message="signature check failed" if code != 4000 else "bad request")
        if body.get("code") != self.code or body.get("app_id") != self.app_id:
            return _answer(7007, message="invalid identity code")
        game_id = str(uuid.uuid4())
        key = secrets.token_urlsafe(48)
        auth_body = json.dumps({"roomid": int(LONG_ID), "protover": 2, "uid": 1081499745, "key": key, "group": "open"},
                               separators=(",", ":"))
        self.games[game_id] = {"room": LONG_ID, "auth_body": auth_body, "beat": time.monotonic(), "alive": True}
        self.record("api", call="start", game_id=game_id)
        return _answer(0, {"game_info": {"game_id": game_id},
                           "websocket_info": {"auth_body": auth_body, "wss_link": [f"ws://{self.host}:{self.port}/sub"]},
                           "anchor_info": {"room_id": int(LONG_ID), "uid": ANCHOR_UID, "uname": "standin-anchor",
                                           "open_id": "standin-open-id"}})

    async def app_heartbeat(self, request: web.Request) -> web.Response:
        code, body = await self._signed(request)
        if code:
            return _answer(code, message="signature check failed")
        game_id = str(body.get("game_id"))
        if not self.game_alive(game_id):
            self.api_figures["games_expired"] += 1
            return _answer(7003, message="heartbeat expired")
        self.games[game_id]["beat"] = time.monotonic()
        self.record("api", call="heartbeat", game_id=game_id)
        return _answer(0)

    async def app_end(self, request: web.Request) -> web.Response:
        code, body = await self._signed(request)
        if code:
            return _answer(code, message="signature check failed")
        game = self.games.get(str(body.get("game_id")))
        self.record("api", call="end", game_id=str(body.get("game_id")))
        if game is None or not game["alive"]:
            return _answer(7000, message="game already ended")
        game["alive"] = False
        return _answer(0)
