"""TikTok LIVE webcast messages → hub events.

Messages are parsed with the field tables of :mod:`connectors.tiktok.schema` (the community's
reverse-engineered schema, TikTok-Live-Connector's ``webcast.proto``/``data.proto``, MIT; facts, not code):

* ``WebcastChatMessage`` (common 1, user 2, comment 3) → :class:`Comment`;
* ``WebcastGiftMessage`` (gift_id 2, group_count 4, repeat_count 5, user 7, repeat_end 9, gift 15 with
  combo 10, gift_type 11, diamond_count 12, name 16) → :class:`Gift`. A streakable gift (``gift_type`` 1
  or ``combo``) comes once per step of its combo streak; it is published once, at the streak's end
  (``repeat_end`` 1), with ``count`` = ``repeat_count`` × ``group_count``. ``value`` is in diamonds (the
  ``diamond_count`` of one gift × ``count``). TikTok publishes no fixed rate from diamonds to yuan (coins
  are bought in local currencies at store prices): ``value_cny`` is filled only when the operator sets
  ``cny_per_diamond`` (``value_cny = value × cny_per_diamond``);
* ``WebcastLikeMessage`` (like_count 2, total 3, user 5) → :class:`Like` (the platform batches likes:
  ``count``);
* ``WebcastMemberMessage`` (user 2, action 10: 1 joined) → :class:`Enter`;
* ``WebcastSocialMessage`` (user 2, action 4: 1 follow; shares have no hub event) → :class:`Follow`;
* ``WebcastRoomUserSeqMessage`` (viewer_count 3) → :class:`RoomStats`;
* ``WebcastControlMessage`` (action 2: 3 STREAM_ENDED) → :data:`STREAM_ENDED` (the connector publishes
  ``LiveState("ended")`` and stops).

``User``: user_id 1, nickname 3, unique_id 38 (the @handle), sec_uid 46. ``CommonMessageData``: msg_id 2,
create_time 4 (ms). Any other method has no hub event: the connector counts it by name.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.tiktok.schema import SCHEMA
from hub.events import Comment, Enter, Event, Follow, Gift, Like, RoomStats, User
from hub.protoschema import parse
from hub.protowire import WireError
from hub.pushframe import WebcastMessage

PLATFORM = "tiktok"
STREAM_ENDED = "stream_ended"
STREAK_STEP = "streak_step"
JOINED, FOLLOW = 1, 1
CONTROL_ENDED = 3
MAX_COUNT = 1_000_000  # a hostile count is clamped


class MessageError(ValueError):
    """A webcast message whose payload is not what its method says."""


def _user(user: Any) -> User:
    return User(str(user.user_id), user.nickname or user.unique_id)


def webcast_event(message: WebcastMessage, cny_per_diamond: Decimal | None = None) -> Event | str | None:
    """The hub event of one message, :data:`STREAM_ENDED`, :data:`STREAK_STEP` (a combo going on), or None
    (a method or action with no hub event). Raises :class:`MessageError` for a malformed payload."""
    entry = _DECODERS.get(message.method)
    if entry is None:
        return None
    cls, decode = entry
    try:
        m = parse(cls, message.payload)
    except WireError as exc:
        raise MessageError(f"{message.method}: {exc}") from None
    common = m.common
    msg_id = message.msg_id or common.msg_id
    created = common.create_time
    base: dict[str, Any] = {"platform": PLATFORM, "room": "", "message_id": str(msg_id) if msg_id else None,
                            "platform_ts": created / 1000 if created > 1e11 else (float(created) if created > 0 else None)}
    return decode(m, base, cny_per_diamond)


def _chat(m: Any, base: dict[str, Any], _: Any) -> Event:
    return Comment(user=_user(m.user), text=m.comment, **base)


def _gift(m: Any, base: dict[str, Any], cny_per_diamond: Decimal | None) -> Event | str:
    gift = m.gift_details
    if (gift.gift_type == 1 or gift.combo) and m.repeat_end != 1:
        return STREAK_STEP
    count = min(max(m.repeat_count, 1) * max(m.group_count, 1), MAX_COUNT)
    diamonds = Decimal(gift.diamond_count * count) if gift.diamond_count > 0 else None
    cny = diamonds * cny_per_diamond if diamonds is not None and cny_per_diamond is not None else None
    return Gift(user=_user(m.user), gift=gift.gift_name or str(m.gift_id), count=count, value=diamonds,
                value_cny=cny, **base)


def _like(m: Any, base: dict[str, Any], _: Any) -> Event:
    return Like(user=_user(m.user), count=min(max(1, m.like_count), MAX_COUNT), **base)


def _member(m: Any, base: dict[str, Any], _: Any) -> Event | None:
    return Enter(user=_user(m.user), **base) if m.action == JOINED else None


def _social(m: Any, base: dict[str, Any], _: Any) -> Event | None:
    return Follow(user=_user(m.user), **base) if m.action == FOLLOW else None


def _seq(m: Any, base: dict[str, Any], _: Any) -> Event:
    return RoomStats(viewers=max(0, m.viewer_count), **base)


def _control(m: Any, base: dict[str, Any], _: Any) -> str | None:
    return STREAM_ENDED if m.action == CONTROL_ENDED else None


_DECODERS: dict[str, tuple[Any, Any]] = {
    name: (SCHEMA[name], decode) for name, decode in (
        ("WebcastChatMessage", _chat), ("WebcastGiftMessage", _gift), ("WebcastLikeMessage", _like),
        ("WebcastMemberMessage", _member), ("WebcastSocialMessage", _social),
        ("WebcastRoomUserSeqMessage", _seq), ("WebcastControlMessage", _control))
}
DECODED_METHODS = frozenset(_DECODERS)
