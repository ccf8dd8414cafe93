"""Twitch's HTTP side, wire protocol only (standard library and aiohttp): OAuth tokens and Helix.

* :class:`TokenManager`: ``GET {validate_url}`` (``Authorization: OAuth <token>`` → ``user_id``, ``login``,
  ``expires_in``), ``POST {token_url}`` with ``grant_type=refresh_token`` (a user token: its refresh token
  and the app's client secret). The token is
  refreshed ``margin_s`` before it expires, and after a 401; a refusal of the token endpoint is
  :class:`TokenRefused`.
* :class:`Helix`: ``POST {api_base}/eventsub/subscriptions`` (transport websocket + session id, 202) and
  ``POST {api_base}/chat/messages`` (200 with ``data[0].is_sent``: ``false`` is a drop with a
  ``drop_reason``, :class:`ChatDropped`). Every answer's ``Ratelimit-Limit/Remaining/Reset`` headers are
  kept; a 429 is :class:`SlowDown` with the seconds until ``Ratelimit-Reset``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp


class HelixError(Exception):
    """A Helix or OAuth call failed (transient: try again)."""


class TokenRefused(HelixError):
    """The token endpoint refused to refresh or issue a token (revoked refresh token, wrong secret), or
    the token is invalid and cannot be refreshed: the account must be authorized again."""


class Refused(HelixError):
    """Helix refused the request for good (``status`` 400/403/404/409...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}".strip())
        self.status = status


class SlowDown(HelixError):
    """HTTP 429: try again after ``retry_after`` seconds (from ``Ratelimit-Reset``)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:.2f} s")
        self.retry_after = retry_after


class ChatDropped(HelixError):
    """A 200 answer with ``is_sent: false``: Twitch dropped the message (``code``, ``message``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


def _message(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or "")[:300]
    return ""


class TokenManager:
    """The access token to use, refreshed in time. ``user_id``/``login`` once :meth:`validate` ran."""

    def __init__(self, session: aiohttp.ClientSession, *, token_url: str, validate_url: str, client_id: str,
                 client_secret: str = "", access_token: str = "", refresh_token: str = "", margin_s: float = 300.0,
                 timeout: float = 10.0) -> None:
        self.session, self.token_url, self.validate_url = session, token_url, validate_url
        self.client_id, self.client_secret = client_id, client_secret
        self.access_token, self.refresh_token = access_token, refresh_token
        self.margin_s, self.timeout = margin_s, aiohttp.ClientTimeout(total=timeout)
        self.expires_at: float | None = None  # time.time() when it expires (None: not known)
        self.user_id = self.login = ""
        self.refreshes = 0
        self._lock = asyncio.Lock()

    @property
    def can_refresh(self) -> bool:
        return bool(self.client_secret and self.refresh_token)

    async def get(self) -> str:
        """A token that does not expire within ``margin_s`` (refreshed first when needed)."""
        if not self.access_token or (self.expires_at is not None and self.expires_at - time.time() < self.margin_s
                                     and self.can_refresh):
            await self.refresh(self.access_token)
        return self.access_token

    async def refresh(self, stale: str = "") -> None:
        """Get a new token (unless another caller already replaced ``stale``)."""
        async with self._lock:
            if self.access_token and self.access_token != stale:
                return
            if not self.can_refresh:
                raise TokenRefused("the access token is invalid or expired and there is no refresh_token and "
                                   "client_secret to refresh it")
            form = {"client_id": self.client_id, "client_secret": self.client_secret,
                    "grant_type": "refresh_token", "refresh_token": self.refresh_token}
            status, body, _ = await self._call("POST", self.token_url, data=form)
            if status in (400, 401, 403):
                raise TokenRefused(f"the token endpoint refused to refresh the token (HTTP {status}: "
                                   f"{_message(body)}): authorize the account again")
            if status != 200 or not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
                raise HelixError(f"token endpoint: HTTP {status} {_message(body)}".strip())
            self.access_token = body["access_token"]
            if isinstance(body.get("refresh_token"), str) and body["refresh_token"]:
                self.refresh_token = body["refresh_token"]  # Twitch may rotate it
            expires = body.get("expires_in")
            self.expires_at = time.time() + expires if isinstance(expires, (int, float)) else None
            self.refreshes += 1

    async def validate(self) -> dict[str, Any]:
        """``GET {validate_url}``: the token's user, scopes and remaining life (refreshing an invalid one)."""
        for attempt in (0, 1):
            token = await self.get()
            status, body, _ = await self._call("GET", self.validate_url, headers={"Authorization": f"OAuth {token}"})
            if status == 401 and attempt == 0:
                await self.refresh(token)
                continue
            if status == 401:
                raise TokenRefused(f"the access token is invalid ({_message(body)})")
            if status != 200 or not isinstance(body, dict):
                raise HelixError(f"validate: HTTP {status} {_message(body)}".strip())
            if body.get("client_id") and body["client_id"] != self.client_id:
                raise TokenRefused(f"the token belongs to client id {body['client_id']}, not {self.client_id}")
            self.user_id, self.login = str(body.get("user_id") or ""), str(body.get("login") or "")
            if isinstance(body.get("expires_in"), (int, float)) and body["expires_in"] > 0:
                self.expires_at = time.time() + body["expires_in"]
            return body
        raise AssertionError("unreachable")

    async def _call(self, method: str, url: str, **kw: Any) -> tuple[int, Any, Any]:
        try:
            async with self.session.request(method, url, timeout=self.timeout, **kw) as response:
                body = await response.json(content_type=None) if response.content_length != 0 else None
                return response.status, body, response.headers
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise HelixError(f"{url}: {type(exc).__name__}: {exc}") from exc


class Helix:
    """Helix calls with the managed token; ``limit``/``remaining``/``reset`` from the last answer."""

    def __init__(self, session: aiohttp.ClientSession, api_base: str, tokens: TokenManager,
                 timeout: float = 10.0) -> None:
        self.session, self.api_base, self.tokens = session, api_base.rstrip("/"), tokens
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.limit = self.remaining = None
        self.reset: float | None = None

    def retry_after(self) -> float:
        """Seconds until the rate-limit bucket refills (0.5 s at least)."""
        return max(0.5, (self.reset or 0) - time.time())

    async def call(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """One request (refreshing the token once on a 401). Raises :class:`SlowDown` on 429."""
        for attempt in (0, 1):
            token = await self.tokens.get()
            headers = {"Authorization": f"Bearer {token}", "Client-Id": self.tokens.client_id}
            try:
                async with self.session.request(method, self.api_base + path, json=body, headers=headers,
                                                timeout=self.timeout) as response:
                    answer = await response.json(content_type=None) if response.content_length != 0 else None
                    status, rate = response.status, response.headers
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                raise HelixError(f"{path}: {type(exc).__name__}: {exc}") from exc
            self._rate(rate)
            if status == 401 and attempt == 0 and self.tokens.can_refresh:
                await self.tokens.refresh(token)
                continue
            if status == 401:
                raise TokenRefused(f"{path}: HTTP 401 {_message(answer)}".strip())
            if status == 429:
                raise SlowDown(self.retry_after())
            return status, answer
        raise AssertionError("unreachable")

    def _rate(self, headers: Any) -> None:
        for name, attr in (("Ratelimit-Limit", "limit"), ("Ratelimit-Remaining", "remaining")):
            value = headers.get(name, "")
            if value.isdigit():
                setattr(self, attr, int(value))
        reset = headers.get("Ratelimit-Reset", "")
        if reset.isdigit():
            self.reset = float(reset)

    async def subscribe(self, type_: str, version: str, condition: dict[str, str], session_id: str) -> dict[str, Any]:
        """Create one EventSub subscription on the WebSocket session; its ``data[0]``."""
        body = {"type": type_, "version": version, "condition": condition,
                "transport": {"method": "websocket", "session_id": session_id}}
        status, answer = await self.call("POST", "/eventsub/subscriptions", body)
        if status == 202 and isinstance(answer, dict) and isinstance(answer.get("data"), list) and answer["data"]:
            return answer["data"][0] if isinstance(answer["data"][0], dict) else {}
        if status in (400, 403, 404, 409):
            raise Refused(status, f"subscribing to {type_}: {_message(answer)}")
        raise HelixError(f"subscribing to {type_}: HTTP {status} {_message(answer)}".strip())

    async def send_chat(self, broadcaster_id: str, sender_id: str, message: str, reply_to: str = "") -> str:
        """Post one chat message; its id. Raises :class:`ChatDropped`, :class:`SlowDown`, :class:`Refused`."""
        body = {"broadcaster_id": broadcaster_id, "sender_id": sender_id, "message": message}
        if reply_to:
            body["reply_parent_message_id"] = reply_to
        status, answer = await self.call("POST", "/chat/messages", body)
        if status in (400, 403, 404, 422):
            raise Refused(status, _message(answer))
        data = answer.get("data") if isinstance(answer, dict) else None
        first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else None
        if status != 200 or first is None:
            raise HelixError(f"chat: HTTP {status} {_message(answer)}".strip())
        if first.get("is_sent") is not True:
            reason = first.get("drop_reason") if isinstance(first.get("drop_reason"), dict) else {}
            raise ChatDropped(str(reason.get("code") or "unknown")[:64], str(reason.get("message") or "")[:300])
        return str(first.get("message_id") or "")
