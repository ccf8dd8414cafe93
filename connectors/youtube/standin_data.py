"""What the YouTube stand-in keeps and how it writes it: hub events encoded as the official
``LiveChatMessage`` protobuf (:func:`encode_event`), the REST JSON of a message (:func:`to_json`), one live
chat's message log with its page tokens (:class:`ChatLog`) and quota accounting per credential and
Pacific day (:class:`QuotaLedger`)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from google.protobuf import json_format

from connectors.youtube import stream_list_pb2 as pb
from connectors.youtube.mapping import TYPE_NAMES, TYPE_VALUES
from connectors.youtube.quota import day_of
from hub.events import Comment, Event, Follow, Gift

_ids = itertools.count(1)


def iso(wall: float) -> str:
    return datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_message(chat_id: str, kind: str, *, message_id: str = "", channel_id: str = "", name: str = "",
                wall: float = 0.0, display: str = "") -> Any:
    """A LiveChatMessage of ``kind`` (the REST type string) with its common fields filled."""
    message = pb.LiveChatMessage(kind="youtube#liveChatMessage", id=message_id or f"LCC.standin-{next(_ids)}")
    message.etag = hashlib.sha1(message.id.encode()).hexdigest()[:27]  # noqa: S324 - an opaque tag
    snippet = message.snippet
    snippet.type = TYPE_VALUES[kind]
    snippet.live_chat_id, snippet.published_at = chat_id, iso(wall)
    if channel_id:
        snippet.author_channel_id = channel_id
        author = message.author_details
        author.channel_id, author.display_name = channel_id, name or channel_id
        author.channel_url = f"http://www.youtube.com/channel/{channel_id}"
    if display:
        snippet.has_display_content, snippet.display_message = True, display
    return message


def encode_event(event: Event, chat_id: str, wall: float) -> Any:
    """A viewer's hub event as YouTube writes it; ValueError for what YouTube's chat has no form of."""
    user = event.user
    common = {"message_id": event.message_id or "", "channel_id": user.id if user else "",
              "name": user.name if user else "", "wall": wall}
    if isinstance(event, Comment) and event.paid:
        micros = int((event.amount or Decimal(0)) * 1_000_000)
        currency = event.currency or "USD"
        shown = f"{currency} {event.amount or 0}"
        if event.text:
            message = new_message(chat_id, "superChatEvent", display=f"{shown} from {common['name']}: {event.text}",
                                  **common)
            details = message.snippet.super_chat_details
            details.user_comment = event.text
        else:
            message = new_message(chat_id, "superStickerEvent", display=f"Super Sticker {shown}", **common)
            details = message.snippet.super_sticker_details
            details.super_sticker_metadata.alt_text = "a waving cat"
        details.amount_micros, details.currency, details.amount_display_string, details.tier = micros, currency, shown, 1
        return message
    if isinstance(event, Comment):
        message = new_message(chat_id, "textMessageEvent", display=event.text, **common)
        message.snippet.text_message_details.message_text = event.text
        return message
    if isinstance(event, Gift):
        level = event.gift.removeprefix("membership:")
        message = new_message(chat_id, "membershipGiftingEvent", display=f"gifted {event.count} {level} memberships",
                              **common)
        details = message.snippet.membership_gifting_details
        details.gift_memberships_count, details.gift_memberships_level_name = event.count, level
        return message
    if isinstance(event, Follow):
        message = new_message(chat_id, "newSponsorEvent", display="Welcome to the channel membership!", **common)
        message.snippet.new_sponsor_details.member_level_name = "member"
        return message
    raise ValueError(f"YouTube's live chat has no {event.type} event (it carries comments, super chats and stickers, "
                     "memberships as follow and gift, and live_state ended)")


def to_json(message: Any) -> dict[str, Any]:
    """The REST form of a message: camelCase keys, uint64 as strings, ``snippet.type`` as its string."""
    data = json_format.MessageToDict(message)
    data.setdefault("snippet", {})["type"] = TYPE_NAMES.get(message.snippet.type, "invalidType")
    return data


class ChatLog:
    """One live chat: every message in order, a page token for every position in it, the end."""

    def __init__(self, chat_id: str, video_id: str) -> None:
        self.chat_id, self.video_id = chat_id, video_id
        self.messages: list[Any] = []
        self.json: list[dict[str, Any] | None] = []  # REST form, made on first need
        self.changed = asyncio.Event()
        self.offline_at = ""

    def add(self, message: Any) -> None:
        self.messages.append(message)
        self.json.append(None)
        self.changed.set()
        self.changed = asyncio.Event()  # waiters of the old one wake; new waiters wait for the next

    def end(self, wall: float) -> None:
        self.offline_at = iso(wall)
        self.add(new_message(self.chat_id, "chatEndedEvent", wall=wall))

    def token(self, offset: int) -> str:
        """The page token that resumes right after the first ``offset`` messages (opaque, checked)."""
        raw = f"{offset}.{self._tag(offset)}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def offset(self, token: str) -> int | None:
        """The position a page token of this chat stands for; None when it is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            number, tag = raw.split(".", 1)
            offset = int(number)
        except (ValueError, UnicodeDecodeError):
            return None
        return offset if 0 <= offset <= len(self.messages) and tag == self._tag(offset) else None

    def _tag(self, offset: int) -> str:
        return hashlib.sha256(f"{self.chat_id}:{offset}".encode()).hexdigest()[:10]

    def page_json(self, start: int, end: int) -> list[dict[str, Any]]:
        out = []
        for i in range(start, end):
            item = self.json[i]
            if item is None:
                item = self.json[i] = to_json(self.messages[i])
            out.append(item)
        return out


class QuotaLedger:
    """Units used per credential (an API key or an OAuth client) and Pacific day."""

    def __init__(self, limit: int, wall: Callable[[], float]) -> None:
        self.limit, self.wall = limit, wall
        self.used: dict[tuple[str, str], int] = {}
        self.refused = 0

    def charge(self, credential: str, cost: int) -> bool:
        """Spend ``cost`` units of today's; False (nothing spent) when that would pass the limit."""
        key = (credential, day_of(self.wall()).isoformat())
        if self.used.get(key, 0) + cost > self.limit:
            self.refused += 1
            return False
        self.used[key] = self.used.get(key, 0) + cost
        return True

    def today(self, credential: str) -> int:
        return self.used.get((credential, day_of(self.wall()).isoformat()), 0)
