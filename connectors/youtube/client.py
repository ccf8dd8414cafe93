"""The YouTube Data API v3 over HTTP JSON (``liveChatMessages.list``/``insert``, ``videos.list``,
``liveBroadcasts.list``) and the OAuth token refresh; the wire protocol only (aiohttp and the standard
library), usable without LiveHub.

Every call goes through :meth:`DataApi.call`, which reports its kind to ``on_call`` before it is made
(the caller's quota budget counts it), adds the credentials (``Authorization: Bearer`` from
:class:`Tokens` when OAuth is configured, else ``key=`` the API key) and turns the API's error envelope
``{"error": {"code", "message", "errors": [{"domain", "reason"}]}}`` into :class:`ApiError` subclasses by
``reason``. A response that is not what the API documents is :class:`FormatError` (a ``ValueError``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

INSERT_MAX_CHARS = 200


class ApiError(Exception):
    """An error answer of the Data API (or the token endpoint)."""

    def __init__(self, status: int, reason: str, message: str = "") -> None:
        self.status, self.reason, self.message = status, reason, message
        super().__init__(f"HTTP {status} {reason}: {message}"[:300])


class AuthError(ApiError):
    """Credentials refused: a 401, or the token endpoint refusing the refresh token or client."""


class QuotaExceeded(ApiError):
    """``quotaExceeded``: the project's units for the day are spent."""


class RateLimited(ApiError):
    """``rateLimitExceeded``: polled before ``pollingIntervalMillis``, or posting too fast."""


class ChatEnded(ApiError):
    """``liveChatEnded`` / ``liveChatNotFound`` / ``liveChatDisabled``: there is no chat to read or write."""


class FormatError(ValueError):
    """A response that does not have the documented shape."""


_BY_REASON: dict[str, type[ApiError]] = {
    "quotaExceeded": QuotaExceeded, "dailyLimitExceeded": QuotaExceeded, "rateLimitExceeded": RateLimited,
    "liveChatEnded": ChatEnded, "liveChatNotFound": ChatEnded, "liveChatDisabled": ChatEnded,
    "authError": AuthError, "unauthorized": AuthError, "keyInvalid": AuthError, "invalid_grant": AuthError,
    "invalid_client": AuthError}


def api_error(status: int, body: Any) -> ApiError:
    """The :class:`ApiError` of an error answer (``body`` the parsed JSON, or anything else)."""
    reason, message = "", ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message", ""))
        errors = error.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            reason = str(errors[0].get("reason", ""))
    elif isinstance(error, str):  # the OAuth token endpoint: {"error": "invalid_grant", ...}
        reason, message = error, str(body.get("error_description", ""))
    cls = _BY_REASON.get(reason) or (AuthError if status == 401 else ApiError)
    return cls(status, reason or "http", message)


@dataclass
class ListPage:
    """One ``liveChatMessages.list`` answer."""

    items: list[Any]
    next_page_token: str
    polling_ms: int
    offline_at: str = ""


def parse_list_response(body: Any) -> ListPage:
    """Check and read a ``youtube#liveChatMessageListResponse`` (items are left as JSON objects)."""
    if not isinstance(body, dict):
        raise FormatError("the list response is not an object")
    items, token, polling = body.get("items", []), body.get("nextPageToken"), body.get("pollingIntervalMillis", 0)
    if not isinstance(items, list):
        raise FormatError("items is not a list")
    if not isinstance(token, str) or not token:
        raise FormatError("no nextPageToken")
    if not isinstance(polling, int) or isinstance(polling, bool) or not 0 <= polling <= 3_600_000:
        raise FormatError(f"pollingIntervalMillis: {polling!r}")
    offline = body.get("offlineAt") or ""
    return ListPage(items, token, polling, offline if isinstance(offline, str) else "")


@dataclass
class Tokens:
    """OAuth access tokens from a refresh token; refreshed ``margin`` seconds before they expire."""

    token_url: str
    client_id: str
    client_secret: str
    refresh_token: str
    margin: float = 60.0
    clock: Callable[[], float] = time.monotonic
    access_token: str = ""
    expires: float = 0.0
    refreshes: int = field(default=0)

    def invalidate(self) -> None:
        self.expires = 0.0

    async def bearer(self, session: aiohttp.ClientSession, timeout: float = 10.0) -> str:
        if self.access_token and self.clock() < self.expires - self.margin:
            return self.access_token
        form = {"grant_type": "refresh_token", "client_id": self.client_id, "client_secret": self.client_secret,
                "refresh_token": self.refresh_token}
        async with session.post(self.token_url, data=form, timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
            body = await _json(resp)
            if resp.status in (400, 401, 403):
                error = api_error(resp.status, body)
                raise AuthError(resp.status, error.reason, error.message or "the refresh was refused")
            if resp.status != 200:
                raise api_error(resp.status, body)
        token, expires_in = (body.get("access_token"), body.get("expires_in", 3600)) if isinstance(body, dict) else (None, 0)
        if not isinstance(token, str) or not token or not isinstance(expires_in, (int, float)):
            raise FormatError("the token answer has no access_token")
        self.access_token, self.expires = token, self.clock() + float(expires_in)
        self.refreshes += 1
        return token


async def _json(resp: aiohttp.ClientResponse) -> Any:
    try:
        return await resp.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return None


class DataApi:
    """The Data API calls the live chat needs, against ``base`` (``https://www.googleapis.com/youtube/v3``)."""

    def __init__(self, session: aiohttp.ClientSession, base: str, *, api_key: str = "", tokens: Tokens | None = None,
                 on_call: Callable[[str], None] | None = None, timeout: float = 10.0) -> None:
        if not api_key and tokens is None:
            raise ValueError("an API key or OAuth tokens are needed")
        self.session, self.base, self.api_key, self.tokens = session, base.rstrip("/"), api_key, tokens
        self.on_call, self.timeout = on_call, timeout

    async def auth(self) -> tuple[dict[str, str], dict[str, str]]:
        """(headers, query) carrying the credentials: the bearer token when there is one, else the key."""
        if self.tokens is not None:
            return {"Authorization": f"Bearer {await self.tokens.bearer(self.session, self.timeout)}"}, {}
        return {}, {"key": self.api_key}

    async def call(self, kind: str, method: str, path: str, params: dict[str, Any], body: Any = None) -> Any:
        """One API call of quota kind ``kind``; a 401 refreshes the token and tries once more."""
        for attempt in (1, 2):
            headers, query = await self.auth()
            if self.on_call is not None:
                self.on_call(kind)
            url = f"{self.base}/{path}"
            async with self.session.request(method, url, params={**params, **query}, json=body, headers=headers,
                                            timeout=aiohttp.ClientTimeout(total=self.timeout)) as resp:
                data = await _json(resp)
                if resp.status == 200:
                    return data
                error = api_error(resp.status, data)
            if isinstance(error, AuthError) and self.tokens is not None and attempt == 1:
                self.tokens.invalidate()
                continue
            raise error
        raise AssertionError("unreachable")

    async def video_chat_id(self, video_id: str) -> str:
        """``videos.list?part=liveStreamingDetails``: the video's ``activeLiveChatId`` ("" when not live)."""
        data = await self.call("videos", "GET", "videos", {"part": "liveStreamingDetails", "id": video_id})
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise FormatError("videos.list: no items")
        details = items[0].get("liveStreamingDetails") if items and isinstance(items[0], dict) else None
        chat = details.get("activeLiveChatId", "") if isinstance(details, dict) else ""
        return chat if isinstance(chat, str) else ""

    async def my_chat_id(self) -> str:
        """``liveBroadcasts.list?mine=true``: the live chat of the channel's active broadcast ("" if none)."""
        data = await self.call("broadcasts", "GET", "liveBroadcasts",
                               {"part": "snippet,status", "mine": "true", "maxResults": 50})
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise FormatError("liveBroadcasts.list: no items")
        for item in items:
            snippet = item.get("snippet") if isinstance(item, dict) else None
            status = item.get("status") if isinstance(item, dict) else None
            life = status.get("lifeCycleStatus", "live") if isinstance(status, dict) else "live"
            if isinstance(snippet, dict) and isinstance(snippet.get("liveChatId"), str) and life in ("live", "liveStarting"):
                return snippet["liveChatId"]
        return ""

    async def list_messages(self, chat_id: str, page_token: str | None, max_results: int = 500) -> ListPage:
        params: dict[str, Any] = {"liveChatId": chat_id, "part": "id,snippet,authorDetails", "maxResults": max_results}
        if page_token:
            params["pageToken"] = page_token
        return parse_list_response(await self.call("list", "GET", "liveChat/messages", params))

    async def insert_message(self, chat_id: str, text: str) -> str:
        """``liveChatMessages.insert`` (OAuth only); returns the new message's id."""
        if len(text) > INSERT_MAX_CHARS:
            raise ValueError(f"a chat message is at most {INSERT_MAX_CHARS} characters")
        body = {"snippet": {"liveChatId": chat_id, "type": "textMessageEvent", "textMessageDetails": {"messageText": text}}}
        data = await self.call("insert", "POST", "liveChat/messages", {"part": "snippet"}, body)
        message_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(message_id, str):
            raise FormatError("insert: the answer has no id")
        return message_id
