"""YouTube chat out: ``liveChatMessages.insert`` with the quota budget's consent, the platform's answers
mapped onto the outbox's (:class:`ChatRateLimited` to slow down, :class:`ChatRejected` for good), and
the hub's own messages recognised when YouTube echoes them back into the chat it reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import aiohttp

from connectors.youtube.client import ApiError, AuthError, ChatEnded, DataApi, QuotaExceeded, RateLimited
from connectors.youtube.mapping import TEXT
from connectors.youtube.quota import QuotaBudget
from hub.platform import ChatRateLimited, ChatRejected
from hub.resume import RecentIds


class ChatOut:
    """Posts chat messages on its own HTTP session (the reading side has another)."""

    def __init__(self, make_api: Callable[[aiohttp.ClientSession], DataApi], budget: QuotaBudget,
                 counts: Counter[str]) -> None:
        self.make_api, self.budget, self.counts = make_api, budget, counts
        self.own_ids = RecentIds(500)  # ids of what we posted
        self.own_texts: list[str] = []  # the last texts we posted (the echo can come before the answer)
        self._session: aiohttp.ClientSession | None = None

    def is_own(self, message: Any) -> bool:
        """True for a chat message the hub posted itself (YouTube shows it in the chat it reads)."""
        return message.id in self.own_ids or (message.snippet.type == TEXT and
                                              message.snippet.text_message_details.message_text in self.own_texts)

    async def send(self, chat_id: str, text: str) -> str:
        if not self.budget.can_post():
            self.counts["chat_refused_quota"] += 1
            raise ChatRejected(f"quota: chat's units for today are spent ({self.budget.left} left for reading)")
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        self.own_texts = [*self.own_texts[-49:], text]
        try:
            message_id = await self.make_api(self._session).insert_message(chat_id, text)
        except RateLimited as exc:
            raise ChatRateLimited(2.0, str(exc)) from None
        except QuotaExceeded as exc:
            self.budget.exhausted()
            raise ChatRejected(str(exc)) from None
        except (ChatEnded, AuthError, ValueError) as exc:  # ValueError: too long, or an answer without an id
            raise ChatRejected(str(exc)) from None
        except ApiError as exc:
            if exc.status in (400, 403):  # messageTextInvalid, forbidden: sending again will not help
                raise ChatRejected(str(exc)) from None
            raise
        self.own_ids.add(message_id)
        return message_id

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
