"""Hub events as TikTok LIVE webcast messages, for the stand-in and the benchmark (field numbers as
:mod:`connectors.tiktok.mapping` reads them, plus some of the fields TikTok sends that the hub ignores, so
frames have a realistic size)."""

from __future__ import annotations

import hashlib
from typing import Any

from hub.events import Comment, Event, Follow, Gift, Like, RoomStats
from hub.protowire import encode
from hub.pushframe import WebcastMessage

AVATAR = "https://p16-sign-va.tiktokcdn.com/tos-maliva-avt-0068/{}~c5_100x100.webp"


def numeric_id(message_id: str | None, salt: str = "") -> int:
    """TikTok's message ids are int64: a numeric id as it is, any other a stable hash of it."""
    if message_id and message_id.isdigit() and int(message_id) < 1 << 63 and not salt:
        return int(message_id)
    return int.from_bytes(hashlib.sha256(((message_id or "") + salt).encode()).digest()[:7], "big") or 1


def _common(method: str, msg_id: int, room: str, ts: float) -> bytes:
    return encode([(1, method), (2, msg_id), (3, int(room) if room.isdigit() else 0), (4, int(ts * 1000)),
                   (6, True)])


def _user(event: Event) -> bytes:
    user_id = event.user.id if event.user else "0"
    number = int(user_id) if user_id.isdigit() and int(user_id) < 1 << 63 else numeric_id(user_id)
    name = event.user.name if event.user else ""
    handle = f"user{number % 10**8}"
    avatar = encode([(1, [AVATAR.format(number)])])
    return encode([(1, number), (3, name), (9, avatar), (38, handle), (46, f"MS4wLjABAAAA{number:x}")])


def _message(method: str, msg_id: int, event: Event, fields: list[tuple[int, Any]]) -> WebcastMessage:
    ts = event.platform_ts or event.received_ts
    payload = encode([(1, _common(method, msg_id, event.room, ts)), *fields])
    return WebcastMessage(method=method, payload=payload, msg_id=msg_id)


def webcast_messages(event: Event) -> list[WebcastMessage]:
    """The messages TikTok sends for ``event`` (a gift: its whole combo streak; ValueError for an event
    the feed cannot carry)."""
    msg_id = numeric_id(event.message_id or event.id)
    if isinstance(event, Comment):
        return [_message("WebcastChatMessage", msg_id, event, [(2, _user(event)), (3, event.text), (14, "en")])]
    if isinstance(event, Gift):
        return gift_streak(event)
    if isinstance(event, Like):
        return [_message("WebcastLikeMessage", msg_id, event, [(2, event.count), (3, event.count * 7),
                                                               (5, _user(event))])]
    if event.type == "enter":
        return [_message("WebcastMemberMessage", msg_id, event, [(2, _user(event)), (3, 120), (10, 1)])]
    if isinstance(event, Follow):
        return [_message("WebcastSocialMessage", msg_id, event, [(2, _user(event)), (4, 1), (6, 1)])]
    if isinstance(event, RoomStats):
        return [_message("WebcastRoomUserSeqMessage", msg_id, event, [(3, event.viewers), (7, event.viewers * 3)])]
    if event.type == "live_state":
        if getattr(event, "state", "") != "ended":
            raise ValueError("the feed announces only the end of a stream (live_state 'ended')")
        return [_message("WebcastControlMessage", msg_id, event, [(2, 3), (3, "LIVE has ended")])]
    raise ValueError(f"the TikTok LIVE feed carries no {event.type!r} events")


def gift_streak(event: Gift) -> list[WebcastMessage]:
    """A streakable gift as TikTok sends it: one message per step of the combo (``repeat_count`` 1..n,
    ``repeat_end`` 0, own ids), then the streak's end (``repeat_end`` 1) with the event's id."""
    count = max(1, min(event.count, 50))
    per_gift = int(event.value / event.count) if event.value is not None and event.count else 1
    final_id = numeric_id(event.message_id or event.id)
    gift = encode([(5, 5655), (10, True), (11, 1), (12, per_gift), (16, event.gift)])
    out = []
    for step in range(1, count + 1):
        end = step == count
        msg_id = final_id if end else numeric_id(event.message_id or event.id, f":{step}")
        out.append(_message("WebcastGiftMessage", msg_id, event,
                            [(2, 5655), (4, 1), (5, event.count if end else step), (6, step), (7, _user(event)),
                             (9, 1 if end else 0), (11, final_id), (15, gift)]))
    return out
