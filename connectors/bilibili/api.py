"""Bilibili's HTTP calls (aiohttp; every base URL is given by the caller, so a stand-in can answer).

Web (unofficial): ``GET {live_api}/room/v1/Room/get_info`` (the long room id), ``GET {main_api}/x/web-
interface/nav`` (the WBI keys; answers ``-101`` and still the keys when not logged in), ``GET {live_api}/
xlive/web-room/v1/index/getDanmuInfo`` (WBI-signed; ``-352`` for a bad signature: the keys are fetched
again once) and ``POST {live_api}/msg/send`` (cookies ``SESSDATA`` + ``bili_jct``, form ``csrf``).

Open platform (official): ``POST {open_api}/v2/app/start|heartbeat|end`` with the signed ``x-bili-*``
headers (:func:`connectors.bilibili.client.open_live_headers`).

Answers are ``{"code", "message", "data"}``; ``code != 0`` raises :class:`ApiError` (:class:`AuthError`
for refused credentials).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from connectors.bilibili.client import key_of, mixin_key, open_live_headers, wbi_sign

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
BAD_WBI = -352
NOT_LOGGED_IN, BAD_CSRF, TOO_LONG, TOO_FAST = -101, -111, 1003212, 10031
OPEN_AUTH_CODES = frozenset({4001, 4002, 4005, 7007})  # invalid app, bad signature, bad source, bad code
GAME_GONE = frozenset({7000, 7003})  # the game already ended / its heartbeat expired


class BiliError(Exception):
    """A transient failure (network, HTTP 5xx, an unreadable answer)."""


class ApiError(BiliError):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"code {code}: {message}")
        self.code = code


class AuthError(ApiError):
    """Credentials refused: retrying will not help."""


@dataclass(slots=True)
class DanmuInfo:
    token: str
    hosts: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Game:
    game_id: str
    auth_body: str
    wss_links: list[str]
    room_id: int
    anchor: dict[str, Any]


async def _answer(response: aiohttp.ClientResponse, url: str) -> Any:
    if response.status >= 500 or response.status == 429:
        raise BiliError(f"HTTP {response.status} from {url}")
    if response.status in (401, 403):
        raise AuthError(response.status, f"HTTP {response.status} from {url}")
    try:
        answer = await response.json(content_type=None)
    except ValueError as exc:
        raise BiliError(f"{url}: not JSON ({exc})") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("code"), int):
        raise BiliError(f"{url}: no code in the answer")
    return answer


def _check(answer: dict[str, Any], auth_codes: frozenset[int] = frozenset()) -> Any:
    code = answer["code"]
    if code:
        raise (AuthError if code in auth_codes else ApiError)(code, str(answer.get("message") or answer.get("msg")))
    return answer.get("data")


class WebApi:
    """The web endpoints for one room; ``cookies`` holds ``SESSDATA``/``bili_jct``/``buvid3`` if known."""

    def __init__(self, session: aiohttp.ClientSession, *, live_api: str, main_api: str,
                 cookies: dict[str, str] | None = None, timeout: float = 10.0) -> None:
        self.session, self.live_api, self.main_api = session, live_api.rstrip("/"), main_api.rstrip("/")
        self.cookies = {k: v for k, v in (cookies or {}).items() if v}
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.wbi_key = ""
        self.logged_in: bool | None = None

    def _headers(self) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}

    async def _get(self, url: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            async with self.session.get(url, params=params, headers=self._headers(), timeout=self.timeout) as r:
                return await _answer(r, url)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise BiliError(f"{url}: {type(exc).__name__}: {exc}") from exc

    async def room_info(self, room_id: int | str) -> dict[str, Any]:
        """``{"room_id": long id, "uid": the streamer, "live_status": 0/1/2, ...}``."""
        data = _check(await self._get(f"{self.live_api}/room/v1/Room/get_info", {"room_id": room_id}))
        if not isinstance(data, dict) or not isinstance(data.get("room_id"), int):
            raise BiliError("get_info: no room_id")
        return data

    async def refresh_wbi_key(self) -> str:
        answer = await self._get(f"{self.main_api}/x/web-interface/nav", {})
        data = answer.get("data")
        img = data.get("wbi_img") if isinstance(data, dict) else None
        if not isinstance(img, dict) or not isinstance(img.get("img_url"), str) or not isinstance(img.get("sub_url"), str):
            raise BiliError("nav: no wbi_img")
        self.logged_in = answer["code"] == 0 and bool(data.get("isLogin"))
        try:
            self.wbi_key = mixin_key(key_of(img["img_url"]), key_of(img["sub_url"]))
        except ValueError as exc:
            raise BiliError(f"nav: {exc}") from None
        return self.wbi_key

    async def danmu_info(self, room_id: int) -> DanmuInfo:
        """The token and hosts of the danmaku WebSocket (WBI-signed; one new key on ``-352``)."""
        for attempt in range(2):
            if not self.wbi_key or attempt:
                await self.refresh_wbi_key()
            params = wbi_sign({"id": room_id, "type": 0, "web_location": "444.8"}, self.wbi_key)
            answer = await self._get(f"{self.live_api}/xlive/web-room/v1/index/getDanmuInfo", params)
            if answer["code"] != BAD_WBI:
                break
        data = _check(answer)
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            raise BiliError("getDanmuInfo: no token")
        hosts = [h for h in data.get("host_list") or [] if isinstance(h, dict) and isinstance(h.get("host"), str)]
        return DanmuInfo(data["token"], hosts)

    async def send_msg(self, room_id: int, text: str, *, fontsize: int = 25, color: int = 16777215) -> dict[str, Any]:
        """Post one chat message; returns the whole answer (``code`` 0 or an error code, not raised)."""
        csrf = self.cookies.get("bili_jct", "")
        form = {"bubble": "0", "msg": text, "color": str(color), "mode": "1", "fontsize": str(fontsize),
                "rnd": str(int(time.time())), "roomid": str(room_id), "csrf": csrf, "csrf_token": csrf}
        url = f"{self.live_api}/msg/send"
        try:
            async with self.session.post(url, data=form, headers=self._headers(), timeout=self.timeout) as r:
                return await _answer(r, url)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise BiliError(f"{url}: {type(exc).__name__}: {exc}") from exc


class OpenLiveApi:
    """One open-platform project (``app_id``) with its access key."""

    def __init__(self, session: aiohttp.ClientSession, *, open_api: str, key_id: str, secret: str, app_id: int,
                 timeout: float = 10.0) -> None:
        self.session, self.open_api = session, open_api.rstrip("/")
        self.key_id, self.secret, self.app_id = key_id, secret, app_id
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        raw = json.dumps(body, separators=(",", ":")).encode()
        url = f"{self.open_api}{path}"
        try:
            async with self.session.post(url, data=raw, headers=open_live_headers(raw, self.key_id, self.secret),
                                         timeout=self.timeout) as r:
                answer = await _answer(r, url)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise BiliError(f"{url}: {type(exc).__name__}: {exc}") from exc
        return _check(answer, OPEN_AUTH_CODES)

    async def start(self, code: str) -> Game:
        data = await self._post("/v2/app/start", {"code": code, "app_id": self.app_id})
        try:
            game, ws, anchor = data["game_info"], data["websocket_info"], data.get("anchor_info") or {}
            return Game(str(game["game_id"]), str(ws["auth_body"]), [str(u) for u in ws["wss_link"]],
                        int(anchor.get("room_id") or 0), anchor)
        except (KeyError, TypeError, ValueError) as exc:
            raise BiliError(f"app/start: unexpected answer ({exc!r})") from None

    async def heartbeat(self, game_id: str) -> None:
        await self._post("/v2/app/heartbeat", {"game_id": game_id})

    async def end(self, game_id: str) -> None:
        try:
            await self._post("/v2/app/end", {"app_id": self.app_id, "game_id": game_id})
        except ApiError as exc:
            if exc.code not in GAME_GONE:
                raise
