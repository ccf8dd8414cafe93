"""The (optional) bot chat of TikTok LIVE: TikTok has no public route to post a comment; a sign server's
premium route posts it as the account whose ``sessionid`` cookie it is given (Euler Stream offers one; the
account risks being limited or banned for automated comments). Wire protocol only::

    POST {chat_url}   X-Api-Key: <key>   {"roomId": "...", "content": "...", "sessionId": "..."}
    200 {"id": "..."} | 429 Retry-After | 400/401/403 {"error": "..."} (refused for good)
"""

from __future__ import annotations

from typing import Any

import aiohttp

from connectors.tiktok.client import USER_AGENT, TikTokError


class ChatError(TikTokError):
    """The chat route failed (transient)."""


class ChatRefused(ChatError):
    """The chat route refused the message for good (``status`` 400/401/403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class ChatSlowDown(ChatError):
    """The chat route answered 429."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"chat rate limited; retry after {retry_after:g} s")
        self.retry_after = retry_after


async def post_chat(session: aiohttp.ClientSession, chat_url: str, *, room_id: str, text: str, session_id: str,
                    api_key: str = "", timeout: float = 10.0) -> str:
    """Post ``text`` to the room's chat; returns the message id the route gives."""
    body = {"roomId": room_id, "content": text, "sessionId": session_id}
    headers = {"User-Agent": USER_AGENT, **({"X-Api-Key": api_key} if api_key else {})}
    try:
        async with session.post(chat_url, json=body, headers=headers,
                                timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            answer: Any = await response.json(content_type=None)
            status = response.status
            retry = response.headers.get("Retry-After", "")
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise ChatError(f"chat: {type(exc).__name__}: {exc}") from exc
    if status == 429:
        raise ChatSlowDown(float(retry) if retry.replace(".", "", 1).isdigit() else 1.0)
    message = str(answer.get("message") or answer.get("error") or "") if isinstance(answer, dict) else ""
    if status in (400, 401, 403):
        raise ChatRefused(status, message)
    if status != 200 or not isinstance(answer, dict):
        raise ChatError(f"chat: HTTP {status} {message}".strip())
    return str(answer.get("id") or answer.get("msgId") or "")
