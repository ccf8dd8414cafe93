"""Douyin messages → hub events, for both modes.

Open platform items (JSON, one ``x-msg-type`` per push): ``live_comment`` → :class:`Comment`,
``live_gift`` → :class:`Gift` (``gift`` = ``sec_gift_id``, ``count`` = ``gift_num``, ``value`` =
``gift_value`` in 分, the platform's unit: CNY = value / 100), ``live_like`` → :class:`Like`;
``live_fansclub`` has no hub event yet (counted). Items flagged ``test`` are the platform's test data:
never gifts (see :func:`is_test`).

Webcast messages (protobuf): chat → comment, gift → gift (a combo streak once, at its end: ``value`` in
diamonds, CNY = diamonds / 10), like → like (the platform batches them: ``count``), member → enter,
social (action 1) → follow, room user seq → stats, control status 3 → :data:`ROOM_ENDED`. Fan club, room
stats and rank messages have no hub event (counted by name, like unknown methods).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.douyin.schema import SCHEMA
from hub.events import Comment, Enter, Event, Follow, Gift, Like, RoomStats, User
from hub.protoschema import parse
from hub.pushframe import WebcastMessage

PLATFORM = "douyin"
ROOM_ENDED = "room_ended"
FEN_PER_CNY = Decimal(100)
DIAMONDS_PER_CNY = Decimal(10)


class ItemError(ValueError):
    """An open-platform item that cannot be read (no msg_id, wrong types)."""


def _ts(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    return value / 1000 if value > 1e11 else float(value)  # milliseconds (documented) or seconds


def is_test(item: dict[str, Any]) -> bool:
    """The platform's test data (``"test": true``): acknowledged and counted, never published."""
    return item.get("test") is True or item.get("test") in (1, "1", "true")


def open_platform_event(msg_type: str, item: Any) -> Event | None:
    """The hub event of one pushed item (None: a message type with no hub event)."""
    if not isinstance(item, dict):
        raise ItemError("an item must be a JSON object")
    msg_id = item.get("msg_id")
    if not isinstance(msg_id, (str, int)) or isinstance(msg_id, bool) or msg_id == "":
        raise ItemError("msg_id is missing")
    user_id = item.get("sec_openid") or item.get("sec_open_id") or ""
    nickname = item.get("nickname")
    common: dict[str, Any] = {
        "platform": PLATFORM, "room": "", "message_id": str(msg_id), "platform_ts": _ts(item.get("timestamp")),
        "user": User(str(user_id), nickname if isinstance(nickname, str) else "")}
    if msg_type == "live_comment":
        content = item.get("content")
        if not isinstance(content, str):
            raise ItemError("content is missing")
        return Comment(text=content, **common)
    if msg_type == "live_gift":
        fen = _decimal(item.get("gift_value"))
        return Gift(gift=str(item.get("sec_gift_id") or ""), count=_count(item.get("gift_num")), value=fen,
                    value_cny=fen / FEN_PER_CNY if fen is not None else None, **common)
    if msg_type == "live_like":
        return Like(count=_count(item.get("like_num")), **common)
    if msg_type == "live_fansclub":
        return None
    raise ItemError(f"unknown msg_type {msg_type!r}")


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return 1
    try:
        return max(1, min(int(value), 1_000_000))
    except ValueError:
        return 1


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() and 0 <= number < 10**12 else None


def _user(user: Any) -> User:
    return User(str(user.id), user.nickname)


def webcast_event(message: WebcastMessage) -> Event | str | None:
    """The hub event of one webcast message, :data:`ROOM_ENDED`, or None (nothing to publish: a combo
    streak still going, a follow-less social action, a method with no hub event).
    Raises :class:`hub.protowire.WireError` for a malformed payload."""
    entry = _DECODERS.get(message.method)
    if entry is None:
        return None
    cls, decode = entry
    m = parse(cls, message.payload)
    common = m.common
    msg_id = message.msg_id or common.msg_id
    base: dict[str, Any] = {"platform": PLATFORM, "room": "", "message_id": str(msg_id) if msg_id else None,
                            "platform_ts": _ts(common.create_time)}
    return decode(m, base)


def _chat(m: Any, base: dict[str, Any]) -> Event:
    return Comment(user=_user(m.user), text=m.content, **base)


def _gift(m: Any, base: dict[str, Any]) -> Event | None:
    gift = m.gift
    if gift.combo and m.repeat_end != 1:  # a combo streak going on: counted once, at its end
        return None
    count = max(m.repeat_count, m.combo_count, 1) * max(m.group_count, 1)
    diamonds = Decimal(gift.diamond_count * count) if gift.diamond_count else None
    return Gift(user=_user(m.user), gift=gift.name or str(m.gift_id), count=min(count, 1_000_000), value=diamonds,
                value_cny=diamonds / DIAMONDS_PER_CNY if diamonds is not None else None, **base)


def _like(m: Any, base: dict[str, Any]) -> Event:
    return Like(user=_user(m.user), count=max(1, min(m.count, 1_000_000)), **base)


def _member(m: Any, base: dict[str, Any]) -> Event:
    return Enter(user=_user(m.user), **base)


def _social(m: Any, base: dict[str, Any]) -> Event | None:
    return Follow(user=_user(m.user), **base) if m.action == 1 else None


def _seq(m: Any, base: dict[str, Any]) -> Event:
    return RoomStats(viewers=max(0, m.total), **base)


def _control(m: Any, base: dict[str, Any]) -> str | None:
    return ROOM_ENDED if m.status == 3 else None  # the connector publishes LiveState "ended" and stops


_DECODERS: dict[str, tuple[Any, Any]] = {
    f"Webcast{name}": (SCHEMA[name], decode) for name, decode in (
        ("ChatMessage", _chat), ("GiftMessage", _gift), ("LikeMessage", _like), ("MemberMessage", _member),
        ("SocialMessage", _social), ("RoomUserSeqMessage", _seq), ("ControlMessage", _control))
}
DECODED_METHODS = frozenset(_DECODERS)
KNOWN_WITHOUT_EVENT = frozenset({"WebcastFansclubMessage", "WebcastRoomStatsMessage", "WebcastRoomRankMessage",
                                 "WebcastEmojiChatMessage"})
