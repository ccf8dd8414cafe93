"""Kuaishou (快手) interactive live (互动直播): the official HTTP long-poll, wire protocol only.

Usable without LiveHub (standard library and aiohttp only). The host (``api_base``) is the one
Kuaishou gives the app; the three calls are:

* ``POST {api_base}/openapi/sdk/v1/connect`` with JSON ``{"appId", "code", "useSdk": true}`` (plus
  ``playId`` and ``appType`` when set) → ``{"result": 1, "token", "ksUid", "user": {...}}``; any other
  ``result`` is a refusal (:class:`AuthError`: a wrong app id, or a code that is wrong or used up);
* ``GET {api_base}/openapi/sdk/v1/poll?token=&pCursor=&len=`` → ``{"result": 1, "pCursor", "sleep"
  (milliseconds to wait before the next poll), "data": [{"cmd", "payload"}, ...]}``; ``result: 2``
  means the session is over: connect again and go on from the last ``pCursor``;
* ``GET {api_base}/openapi/sdk/v1/disconnect?token=`` when leaving.

:func:`decode_poll` reads a poll answer from the raw body (gzip and deflate bodies are inflated here,
with a size cap) and raises only :class:`PollFormatError`, a :class:`ValueError`.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import Any

import aiohttp

CONNECT_PATH = "/openapi/sdk/v1/connect"
POLL_PATH = "/openapi/sdk/v1/poll"
DISCONNECT_PATH = "/openapi/sdk/v1/disconnect"
RESULT_OK = 1
RESULT_RECONNECT = 2  # the session is over: connect again, resume from the cursor
MAX_LEN = 200  # items a poll asks for at most
MAX_BODY = 8 * 1024 * 1024  # bytes of a poll answer, inflated
MAX_SLEEP_MS = 60_000  # a server-advised sleep longer than this is taken as this


class KuaishouError(Exception):
    """A transient failure talking to the interactive-live API (network, 5xx, an error result)."""


class AuthError(KuaishouError):
    """``connect`` was refused: the app id or the code is wrong (or the code is used up)."""


class PollFormatError(ValueError):
    """A poll answer that cannot be read (not JSON, wrong types, bad compression, too large)."""


@dataclass(slots=True)
class Session:
    """What ``connect`` answers: the poll token and the streamer (anchor) the code belongs to."""

    token: str
    ks_uid: str = ""
    user_id: str = ""
    user_name: str = ""


@dataclass(slots=True)
class PollAnswer:
    """One poll's answer: ``result`` 1 (``items`` follow ``p_cursor``), 2 (reconnect) or an error."""

    result: int
    p_cursor: str = ""
    sleep_ms: int | None = None  # None: the answer advised no sleep
    items: list[Any] = field(default_factory=list)
    message: str = ""  # the platform's words with a result other than 1


def inflate(body: bytes, encoding: str = "") -> bytes:
    """``body`` decoded per its ``Content-Encoding`` (identity, gzip or deflate), at most :data:`MAX_BODY`."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        if len(body) > MAX_BODY:
            raise PollFormatError("the answer is too large")
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise PollFormatError(f"unsupported content encoding {encoding[:20]!r}")
    wbits = 31 if encoding != "deflate" else (15 if body[:1] == b"\x78" else -15)
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, MAX_BODY + 1)
    except zlib.error as exc:
        raise PollFormatError(f"bad {encoding} body: {exc}") from None
    if len(out) > MAX_BODY:
        raise PollFormatError("the answer inflates beyond the size limit")
    if not inflater.eof:
        raise PollFormatError(f"truncated {encoding} body")
    return out


def decode_poll(body: bytes, encoding: str = "") -> PollAnswer:
    """The :class:`PollAnswer` in a raw poll body (a ``result`` other than 1 comes with its ``message``
    and nothing else); a body that cannot be read raises :class:`PollFormatError`."""
    raw = inflate(body, encoding)
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise PollFormatError(f"not JSON: {type(exc).__name__}") from None
    if not isinstance(value, dict):
        raise PollFormatError("the answer is not a JSON object")
    result = value.get("result")
    if not isinstance(result, int) or isinstance(result, bool):
        raise PollFormatError("result is missing")
    if result != RESULT_OK:
        return PollAnswer(result, message=_message(value))
    cursor, sleep, data = value.get("pCursor", ""), value.get("sleep"), value.get("data")
    if cursor is None:
        cursor = ""
    if not isinstance(cursor, str):
        raise PollFormatError("pCursor is not a string")
    if sleep is not None and (not isinstance(sleep, (int, float)) or isinstance(sleep, bool) or sleep != sleep):
        raise PollFormatError("sleep is not a number")
    if data is None:
        data = []
    if not isinstance(data, list):
        raise PollFormatError("data is not a list")
    sleep_ms = None if sleep is None else int(max(0, min(sleep, MAX_SLEEP_MS)))
    return PollAnswer(RESULT_OK, cursor, sleep_ms, data)


def _message(value: dict[str, Any]) -> str:
    for key in ("errorMsg", "error_msg", "message", "msg"):
        if isinstance(value.get(key), str):
            return value[key][:200]
    return ""


class InteractiveClient:
    """One app's interactive-live calls. ``session`` is the caller's (created with
    ``auto_decompress=False``: :func:`decode_poll` inflates, with a cap); every URL is given."""

    def __init__(self, session: aiohttp.ClientSession, *, api_base: str, app_id: str, code: str,
                 play_id: int | None = None, app_type: int | None = None, poll_len: int = MAX_LEN,
                 timeout: float = 10.0, poll_timeout: float = 40.0) -> None:
        self.session, self.api_base = session, api_base.rstrip("/")
        self.app_id, self.code, self.play_id, self.app_type = app_id, code, play_id, app_type
        self.poll_len = max(1, min(poll_len, MAX_LEN))
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.poll_timeout = aiohttp.ClientTimeout(total=poll_timeout)

    async def _get(self, path: str, params: dict[str, str], timeout: aiohttp.ClientTimeout) -> tuple[bytes, str]:
        url = self.api_base + path
        try:
            async with self.session.get(url, params=params, timeout=timeout) as response:
                body = await response.read()
                if response.status != 200:
                    raise KuaishouError(f"HTTP {response.status} from {path}")
                return body, response.headers.get("Content-Encoding", "")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise KuaishouError(f"{path}: {type(exc).__name__}: {exc}") from exc

    async def connect(self) -> Session:
        """Open a session: its poll token and the streamer's account."""
        body: dict[str, Any] = {"appId": self.app_id, "code": self.code, "useSdk": True}
        if self.play_id is not None:
            body["playId"] = self.play_id
        if self.app_type is not None:
            body["appType"] = self.app_type
        try:
            async with self.session.post(self.api_base + CONNECT_PATH, json=body, timeout=self.timeout) as response:
                raw = await response.read()
                status, encoding = response.status, response.headers.get("Content-Encoding", "")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise KuaishouError(f"connect: {type(exc).__name__}: {exc}") from exc
        if status in (401, 403):
            raise AuthError(f"connect: HTTP {status}")
        if status != 200:
            raise KuaishouError(f"connect: HTTP {status}")
        try:
            value = json.loads(inflate(raw, encoding))
        except (ValueError, RecursionError) as exc:
            raise KuaishouError(f"connect: unreadable answer ({type(exc).__name__})") from None
        if not isinstance(value, dict):
            raise KuaishouError("connect: the answer is not a JSON object")
        if value.get("result") != RESULT_OK:
            raise AuthError(f"connect refused: result {value.get('result')!r}: {_message(value)}")
        token = value.get("token")
        if not isinstance(token, str) or not token:
            raise KuaishouError("connect: the answer has no token")
        user = value.get("user") if isinstance(value.get("user"), dict) else {}
        name = user.get("userName")
        return Session(token=token, ks_uid=str(value.get("ksUid") or ""), user_id=str(user.get("id") or ""),
                       user_name=name if isinstance(name, str) else "")

    async def poll(self, token: str, cursor: str) -> PollAnswer:
        """The items after ``cursor`` ("" at first). Raises :class:`PollFormatError` for an unreadable
        answer (skip it and poll again) and :class:`KuaishouError` for a failed one."""
        body, encoding = await self._get(POLL_PATH, {"token": token, "pCursor": cursor, "len": str(self.poll_len)},
                                         self.poll_timeout)
        answer = decode_poll(body, encoding)
        if answer.result not in (RESULT_OK, RESULT_RECONNECT):
            raise KuaishouError(f"poll refused: result {answer.result}: {answer.message}")
        return answer

    async def disconnect(self, token: str) -> None:
        """Close the session (best effort: the caller bounds the wait)."""
        body, encoding = await self._get(DISCONNECT_PATH, {"token": token}, self.timeout)
        try:
            value = json.loads(inflate(body, encoding))
        except (ValueError, RecursionError):
            raise KuaishouError("disconnect: unreadable answer") from None
        if not isinstance(value, dict) or value.get("result") != RESULT_OK:
            raise KuaishouError(f"disconnect refused: {value if isinstance(value, dict) else '?'}")
