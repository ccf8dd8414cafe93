"""Douyin Open Platform (直播小玩法 "数据开放"): the official live-data push, wire protocol only.

Usable without LiveHub (standard library and aiohttp only):

* :func:`push_signature` — the documented ``x-signature`` of a push: the ``x-*`` headers except
  ``x-signature`` (and ``content-type``) sorted by name and joined as ``k=v&k=v``, then the raw body,
  then the secret, MD5, base64. :func:`verify_push` compares in constant time.
* :class:`OpenPlatformClient` — the client-credential token (``POST {token_url}``), the push tasks per
  room and message type (``POST {api_base}/api/live_data/task/start|stop|get``, header ``access-token``)
  and the look-back of failed gift and fan-club pushes (``POST {api_base}/api/live_data/task/fail_data/get``,
  paged). Answers are ``{"err_no", "err_msg", "data"}``; ``err_no != 0`` raises :class:`ApiError`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any

import aiohttp

MSG_TYPES = ("live_comment", "live_gift", "live_like", "live_fansclub")
LOOKBACK_TYPES = ("live_gift", "live_fansclub")  # the platform keeps failed pushes of these (a day)
SIGNED_HEADERS = ("x-nonce-str", "x-timestamp", "x-roomid", "x-msg-type")
TOKEN_ERRORS = (40001, 40002, 40003, 40004, 28001003, 28001008)  # a refused app id, secret or token


class DouyinError(Exception):
    """A transient failure talking to the open platform (network, 5xx, bad answer)."""


class ApiError(DouyinError):
    """The platform answered ``err_no != 0``."""

    def __init__(self, err_no: int, message: str) -> None:
        super().__init__(f"err_no {err_no}: {message}")
        self.err_no = err_no


class AuthError(ApiError):
    """The app id, secret or access token was refused: retrying will not help."""


def push_signature(headers: Mapping[str, str], body: bytes, secret: str) -> str:
    """``x-signature`` for a push with these headers (any case; ``x-signature`` and ``content-type``
    are left out) and this raw body."""
    pairs = sorted((k.lower(), v) for k, v in headers.items()
                   if k.lower().startswith("x-") and k.lower() != "x-signature")
    raw = "&".join(f"{k}={v}" for k, v in pairs).encode("utf-8") + body + secret.encode("utf-8")
    return base64.b64encode(hashlib.md5(raw).digest()).decode("ascii")  # noqa: S324 - the platform's rule


def verify_push(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """True when ``x-signature`` matches (compared in constant time); the body is not parsed."""
    given = headers.get("x-signature") or ""
    signed = {k: headers[k] for k in SIGNED_HEADERS if k in headers}
    expected = push_signature(signed, body, secret)
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("ascii"))


class OpenPlatformClient:
    """One app's calls. ``session`` is the caller's; every URL is given."""

    def __init__(self, session: aiohttp.ClientSession, *, api_base: str, token_url: str, appid: str,
                 secret: str, timeout: float = 10.0) -> None:
        self.session, self.api_base, self.token_url = session, api_base.rstrip("/"), token_url
        self.appid, self.secret = appid, secret
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.access_token = ""
        self.expires_at = 0.0

    async def _post(self, url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        try:
            async with self.session.post(url, json=body, headers=headers, timeout=self.timeout) as response:
                if response.status >= 500 or response.status == 429:
                    raise DouyinError(f"HTTP {response.status} from {url}")
                if response.status in (401, 403):
                    raise AuthError(response.status, f"HTTP {response.status}")
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise DouyinError(f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(answer, dict):
            raise DouyinError("the answer is not a JSON object")
        err_no = answer.get("err_no", 0)
        if err_no:
            message = str(answer.get("err_msg") or answer.get("err_tips") or "")
            raise (AuthError if err_no in TOKEN_ERRORS else ApiError)(int(err_no), message)
        return answer.get("data")

    async def token(self) -> str:
        """A client-credential access token (fetched again a minute before it expires)."""
        if self.access_token and time.time() < self.expires_at - 60:
            return self.access_token
        data = await self._post(self.token_url, {"appid": self.appid, "secret": self.secret,
                                                 "grant_type": "client_credential"})
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise DouyinError("the token answer has no access_token")
        self.access_token = data["access_token"]
        self.expires_at = time.time() + float(data.get("expires_in") or 7200)
        return self.access_token

    async def _task(self, action: str, room_id: str, msg_type: str) -> Any:
        headers = {"access-token": await self.token()}
        body = {"roomid": room_id, "appid": self.appid, "msg_type": msg_type}
        try:
            return await self._post(f"{self.api_base}/api/live_data/task/{action}", body, headers)
        except AuthError:
            self.access_token = ""  # fetched again next time
            raise

    async def start_task(self, room_id: str, msg_type: str) -> str:
        """Start pushing ``msg_type`` of ``room_id``; returns the task id."""
        data = await self._task("start", room_id, msg_type)
        return str((data or {}).get("task_id", "")) if isinstance(data, dict) else ""

    async def stop_task(self, room_id: str, msg_type: str) -> None:
        await self._task("stop", room_id, msg_type)

    async def get_task(self, room_id: str, msg_type: str) -> int:
        """The task's status: 1 not started, 2 unknown, 3 running (the platform's codes)."""
        data = await self._task("get", room_id, msg_type)
        return int(data.get("status", 0)) if isinstance(data, dict) else 0

    async def failed_pushes(self, room_id: str, msg_type: str, *, page_size: int = 100,
                            max_pages: int = 100) -> list[dict[str, Any]]:
        """The pushes of ``msg_type`` (gifts, fan club) the platform failed to deliver, every page."""
        headers = {"access-token": await self.token()}
        items: list[dict[str, Any]] = []
        for page in range(1, max_pages + 1):
            body = {"roomid": room_id, "appid": self.appid, "msg_type": msg_type, "page_num": page,
                    "page_size": page_size}
            data = await self._post(f"{self.api_base}/api/live_data/task/fail_data/get", body, headers)
            rows = data.get("data_list") if isinstance(data, dict) else None
            if not isinstance(rows, list) or not rows:
                break
            items += [row for row in rows if isinstance(row, dict)]
            if page * page_size >= int(data.get("total_count") or 0):
                break
        return items
