"""Hub events in Douyin's formats, for the stand-in: open-platform push items (JSON) and webcast
messages (protobuf, field numbers as :mod:`connectors.douyin.mapping` reads them)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from hub.events import Comment, Event, Follow, Gift, Like, RoomStats
from hub.protowire import encode
from hub.pushframe import WebcastMessage

OPEN_TYPES = {"comment": "live_comment", "gift": "live_gift", "like": "live_like"}


@dataclass(slots=True)
class OpenItem:
    msg_type: str
    body: dict[str, Any]


@dataclass(slots=True)
class EncodedItem:
    message: WebcastMessage

    @property
    def method(self) -> str:
        return self.message.method

    @property
    def msg_id(self) -> int:
        return self.message.msg_id


def numeric_id(message_id: str | None, salt: str = "") -> int:
    """Douyin's message ids are uint64: a numeric id as it is, any other a stable hash of it."""
    if message_id and message_id.isdigit() and int(message_id) < 1 << 63:
        return int(message_id) if not salt else _hash(message_id + salt)
    return _hash((message_id or "") + salt)


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:7], "big") or 1


def _user_id(event: Event) -> str:
    return event.user.id if event.user else "0"


def open_platform_item(event: Event) -> OpenItem:
    """The JSON item the open platform pushes for ``event`` (ValueError: no such message type)."""
    msg_type = OPEN_TYPES.get(event.type)
    if msg_type is None:
        raise ValueError(f"the open platform pushes comments, gifts and likes, not {event.type!r}")
    user = event.user
    ts = int((event.platform_ts or event.received_ts) * 1000)
    body: dict[str, Any] = {"msg_id": event.message_id or str(numeric_id(event.id)),
                            "sec_openid": f"sec-{user.id}" if user else "", "nickname": user.name if user else "",
                            "avatar_url": "", "timestamp": ts}
    if isinstance(event, Comment):
        body["content"] = event.text
    elif isinstance(event, Gift):
        body.update(sec_gift_id=event.gift, gift_num=event.count,
                    gift_value=int(event.value) if event.value is not None else 0)
    elif isinstance(event, Like):
        body["like_num"] = event.count
    return OpenItem(msg_type, body)


def _common(method: str, msg_id: int, room: str, ts: float) -> bytes:
    return encode([(1, method), (2, msg_id), (3, int(room) if room.isdigit() else 0), (4, int(ts * 1000))])


def _user(event: Event) -> bytes:
    user_id = _user_id(event)
    return encode([(1, int(user_id) if user_id.isdigit() else numeric_id(user_id)),
                   (3, event.user.name if event.user else "")])


def webcast_message(event: Event, *, msg_id: int | None = None) -> EncodedItem:
    """One webcast message for a comment, like, enter, follow or stats event."""
    method, fields = _webcast_fields(event)
    msg_id = msg_id or numeric_id(event.message_id or event.id)
    payload = encode([(1, _common(method, msg_id, event.room, event.platform_ts or event.received_ts)), *fields])
    return EncodedItem(WebcastMessage(method=method, payload=payload, msg_id=msg_id))


def _webcast_fields(event: Event) -> tuple[str, list[tuple[int, Any]]]:
    if isinstance(event, Comment):
        return "WebcastChatMessage", [(2, _user(event)), (3, event.text)]
    if isinstance(event, Like):
        return "WebcastLikeMessage", [(2, event.count), (3, event.count), (5, _user(event))]
    if event.type == "enter":
        return "WebcastMemberMessage", [(2, _user(event)), (10, 1)]
    if isinstance(event, Follow):
        return "WebcastSocialMessage", [(2, _user(event)), (4, 1)]
    if isinstance(event, RoomStats):
        return "WebcastRoomUserSeqMessage", [(3, event.viewers)]
    raise ValueError(f"the webcast feed carries no {event.type!r} events")


def gift_streak(event: Event) -> list[EncodedItem]:
    """A gift as the platform sends a combo: one message per step of the streak (``repeat_count`` 1..n,
    ``repeat_end`` 0), then the streak's end with the event's own id (``repeat_end`` 1)."""
    assert isinstance(event, Gift)
    count = max(1, min(event.count, 20))
    per_gift = int(event.value / event.count) if event.value is not None and event.count else 1
    final_id = numeric_id(event.message_id or event.id)
    ts = event.platform_ts or event.received_ts
    items = []
    for step in range(1, count + 1):
        end = step == count
        msg_id = final_id if end else numeric_id(event.message_id or event.id, f":{step}")
        repeat = event.count if end else step
        gift = encode([(10, 1), (12, per_gift), (16, event.gift)])
        payload = encode([(1, _common("WebcastGiftMessage", msg_id, event.room, ts)), (2, 1), (5, repeat),
                          (7, _user(event)), (9, 1 if end else 0), (15, gift)])
        items.append(EncodedItem(WebcastMessage(method="WebcastGiftMessage", payload=payload, msg_id=msg_id)))
    return items


def room_end(event: Event) -> list[EncodedItem]:
    """A ``live_state`` event: ``ended`` is a control message with status 3 (the room's live is over)."""
    state = getattr(event, "state", "")
    if state != "ended":
        raise ValueError(f"the webcast feed announces only the end of a live, not {state!r}")
    msg_id = numeric_id(event.message_id or event.id)
    payload = encode([(1, _common("WebcastControlMessage", msg_id, event.room, event.received_ts)), (2, 3)])
    return [EncodedItem(WebcastMessage(method="WebcastControlMessage", payload=payload, msg_id=msg_id))]

