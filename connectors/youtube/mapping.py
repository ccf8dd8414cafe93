"""YouTube live chat messages → hub events.

Both transports end here with the same message: ``streamList`` (gRPC) gives protobuf
``LiveChatMessage``\\ s of the official proto (:mod:`connectors.youtube.stream_list_pb2`); the JSON of
``liveChatMessages.list`` is read into the same class first (:func:`message_from_json`), so one mapping
serves both.

Decisions (also in docs/platforms/youtube.md):

* ``textMessageEvent`` → :class:`Comment`;
* ``superChatEvent`` and ``superStickerEvent`` → :class:`Comment` with ``paid=True``, ``amount`` =
  ``amountMicros`` / 1,000,000 as a :class:`~decimal.Decimal` in ``currency`` (the ISO 4217 code YouTube
  gives). The hub's Comment has no yuan field: a yuan figure is ``amount`` times the day's rate of
  ``currency``, which the hub does not know; nothing converts it. A sticker's text is its alt text;
* ``memberMilestoneChatEvent`` with the member's comment → :class:`Comment` (unpaid: the membership was
  paid before);
* ``newSponsorEvent`` (a viewer becomes a channel member) → :class:`Follow`: a membership is the
  paid form of following the channel; the API gives no price for it;
* ``membershipGiftingEvent`` → :class:`Gift` (``gift`` = ``membership:<level name>``, ``count`` = the
  memberships bought); ``value`` and ``value_cny`` stay empty: the API gives no price for memberships;
* ``giftMembershipReceivedEvent`` (one per receiver of a gifting already counted) → nothing;
* ``messageDeletedEvent`` and ``userBannedEvent`` → :data:`DELETED` / :data:`BANNED` (counted by the
  connector: the hub has no event to retract a message or report a ban);
* ``chatEndedEvent`` → :data:`ENDED` (the connector publishes ``LiveState("ended")`` and stops);
* anything else (tombstones, polls, sponsor-only mode, types newer than the proto) → None, counted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from google.protobuf import json_format

from connectors.youtube import stream_list_pb2 as pb
from hub.events import Comment, Event, Follow, Gift, User

PLATFORM = "youtube"
DELETED, BANNED, ENDED = "deleted", "banned", "ended"
Message = pb.LiveChatMessage
ListResponse = pb.LiveChatMessageListResponse
_T = pb.LiveChatMessageSnippet.TypeWrapper


class ItemError(ValueError):
    """A chat message that cannot be read (no id, wrong shapes): skipped and counted."""


def _camel(upper: str) -> str:
    first, *rest = upper.lower().split("_")
    return first + "".join(word.title() for word in rest)


TYPE_NAMES: dict[int, str] = {value: _camel(name) for name, value in _T.Type.items()}
"""Enum value → the REST API's ``snippet.type`` string (``TEXT_MESSAGE_EVENT`` → ``textMessageEvent``)."""
TYPE_VALUES: dict[str, int] = {name: value for value, name in TYPE_NAMES.items()}
TEXT, SUPER_CHAT, SUPER_STICKER = _T.TEXT_MESSAGE_EVENT, _T.SUPER_CHAT_EVENT, _T.SUPER_STICKER_EVENT
NEW_SPONSOR, MILESTONE, GIFTING = _T.NEW_SPONSOR_EVENT, _T.MEMBER_MILESTONE_CHAT_EVENT, _T.MEMBERSHIP_GIFTING_EVENT
_MARKERS = {_T.MESSAGE_DELETED_EVENT: DELETED, _T.USER_BANNED_EVENT: BANNED, _T.CHAT_ENDED_EVENT: ENDED}
_MICROS = Decimal(1_000_000)
# the snippet keys read from JSON (the rest, e.g. pollDetails whose REST shape differs, are not parsed)
_SNIPPET_KEYS = frozenset({
    "liveChatId", "authorChannelId", "publishedAt", "hasDisplayContent", "displayMessage", "textMessageDetails",
    "messageDeletedDetails", "userBannedDetails", "superChatDetails", "superStickerDetails", "newSponsorDetails",
    "memberMilestoneChatDetails", "membershipGiftingDetails", "giftMembershipReceivedDetails"})
_AUTHOR_KEYS = frozenset({"channelId", "channelUrl", "displayName", "profileImageUrl", "isVerified", "isChatOwner",
                          "isChatSponsor", "isChatModerator"})


def type_name(message: Any) -> str:
    return TYPE_NAMES.get(message.snippet.type, "invalidType")


def message_from_json(item: Any) -> tuple[Any, str]:
    """A ``liveChatMessage`` JSON object as a protobuf :data:`Message`, and its ``snippet.type`` string
    (kept as given: a type newer than the proto reads as ``invalidType`` but is counted by its name)."""
    if not isinstance(item, dict):
        raise ItemError("a liveChatMessage must be an object")
    snippet, author = item.get("snippet") or {}, item.get("authorDetails") or {}
    if not isinstance(snippet, dict) or not isinstance(author, dict):
        raise ItemError("snippet and authorDetails must be objects")
    kind = snippet.get("type")
    if not isinstance(kind, str):
        raise ItemError("snippet.type is missing")
    data = {"id": item.get("id"), "snippet": {k: v for k, v in snippet.items() if k in _SNIPPET_KEYS},
            "authorDetails": {k: v for k, v in author.items() if k in _AUTHOR_KEYS}}
    message = Message()
    try:
        json_format.ParseDict(data, message, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, AttributeError) as exc:
        raise ItemError(f"unreadable liveChatMessage: {str(exc)[:200]}") from None
    message.snippet.type = TYPE_VALUES.get(kind, 0)
    return message, kind


def json_messages(items: list[Any]) -> tuple[list[Any], int, dict[str, int]]:
    """The messages of a list response's ``items`` as protobuf, how many were malformed, and the types
    the proto does not know (by name)."""
    messages, malformed, unknown = [], 0, {}
    for item in items:
        try:
            message, kind = message_from_json(item)
        except ItemError:
            malformed += 1
            continue
        if message.snippet.type == 0:
            unknown[kind[:64]] = unknown.get(kind[:64], 0) + 1
        else:
            messages.append(message)
    return messages, malformed, unknown


def published_ts(text: str) -> float | None:
    """``publishedAt`` (ISO 8601) as a Unix time; None when absent or unreadable."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def amount(micros: int) -> Decimal:
    """``amountMicros`` as money: 1,750,000 → 1.75."""
    return Decimal(micros) / _MICROS


def message_event(message: Any) -> Event | str | None:
    """The hub event of one chat message, a marker (:data:`DELETED`, :data:`BANNED`, :data:`ENDED`) or
    None (a type with no hub event). :class:`ItemError` for a message without an id."""
    snippet = message.snippet
    kind = snippet.type
    marker = _MARKERS.get(kind)
    if marker is not None:
        return marker
    message_id = message.id
    if not message_id:
        raise ItemError("a chat message without an id")
    author = message.author_details
    user = User(author.channel_id or snippet.author_channel_id, author.display_name)
    ts = published_ts(snippet.published_at)
    if kind == TEXT:
        return Comment(platform=PLATFORM, room="", user=user, message_id=message_id, platform_ts=ts,
                       text=snippet.text_message_details.message_text or snippet.display_message)
    if kind == SUPER_CHAT:
        details = snippet.super_chat_details
        return Comment(platform=PLATFORM, room="", user=user, message_id=message_id, platform_ts=ts,
                       text=details.user_comment, paid=True, amount=amount(details.amount_micros),
                       currency=details.currency)
    if kind == SUPER_STICKER:
        details = snippet.super_sticker_details
        return Comment(platform=PLATFORM, room="", user=user, message_id=message_id, platform_ts=ts,
                       text=details.super_sticker_metadata.alt_text, paid=True, amount=amount(details.amount_micros),
                       currency=details.currency)
    if kind == NEW_SPONSOR:
        return Follow(platform=PLATFORM, room="", user=user, message_id=message_id, platform_ts=ts)
    if kind == GIFTING:
        details = snippet.membership_gifting_details
        if details.gift_memberships_count < 1:
            raise ItemError("a membership gifting of no memberships")
        level = details.gift_memberships_level_name or "member"
        return Gift(platform=PLATFORM, room="", user=user, message_id=message_id, platform_ts=ts,
                    gift=f"membership:{level}", count=details.gift_memberships_count)
    if kind == MILESTONE and snippet.member_milestone_chat_details.user_comment:
        return Comment(platform=PLATFORM, room="", user=user, message_id=message_id, platform_ts=ts,
                       text=snippet.member_milestone_chat_details.user_comment)
    return None
