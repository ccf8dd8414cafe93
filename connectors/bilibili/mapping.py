"""Bilibili commands → hub events, for both modes (:func:`to_events`).

Web: ``DANMU_MSG`` → :class:`Comment` (id: ``id_str`` of ``info[0][15].extra``); ``SEND_GIFT`` and
``SEND_GIFT_V2`` (base64 protobuf ``data.pb``) → :class:`Gift` (id: ``tid``); ``GUARD_BUY`` → Gift;
``SUPER_CHAT_MESSAGE`` → a paid Comment (``amount`` in CNY; id ``sc:<data.id>``); ``LIKE_INFO_V3_CLICK`` →
:class:`Like`; ``INTERACT_WORD`` / ``INTERACT_WORD_V2`` (protobuf) → :class:`Enter` (msg_type 1) or
:class:`Follow` (2, 4, 5; id: ``msg_id``, else ``iw:<uid>:<msg_type>:<trigger_time>``); ``ONLINE_RANK_COUNT`` and
``WATCHED_CHANGE`` (a cumulative "watched" count, not concurrent viewers) → :class:`RoomStats`; ``LIVE``,
``PREPARING`` and ``CUT_OFF`` → :class:`LiveState`. ``REENTER_LIVE_ROOM`` is the server asking for a
reconnect (:data:`REENTER`).

Open platform: ``LIVE_OPEN_PLATFORM_DM`` → Comment, ``_SEND_GIFT`` / ``_GUARD`` → Gift, ``_SUPER_CHAT`` →
paid Comment, ``_LIKE`` → Like, ``_LIVE_ROOM_ENTER`` → Enter, ``_LIVE_START`` / ``_LIVE_END`` → LiveState,
``_INTERACTION_END`` → :data:`INTERACTION_END` (the game was ended: start a new one). Ids: ``msg_id``.

Gift value (``Gift.value``) is in gold seeds (金瓜子), the platform's unit, for the whole count:
1 CNY = 1000 gold seeds = 10 battery (电池), so ``value_cny = value / 1000``. Silver-seed (free) gifts have
``value`` in silver seeds and ``value_cny`` 0; an open-platform gift with ``paid`` false has ``value_cny`` 0.
A command without an id of its own gets its top-level ``msg_id`` (newer packets carry one), else a stable
hash of its bytes (``h:…``); room stats without ``msg_id`` have no id (repeats are harmless).

Protobuf field numbers (``SEND_GIFT_V2``: uid 1, uname 2, gift_list 10 → gift_id 1, gift_name 2, num 3,
price 5, total_coin 7, coin_type 8, tid 9, timestamp 10; ``INTERACT_WORD_V2``: uid 1, uname 2, msg_type 5,
roomid 6, timestamp 7, trigger_time 15). The INTERACT_WORD_V2 numbers are checked against a real sample;
the SEND_GIFT_V2 ones come from a public community schema with no real sample to check them against.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from decimal import Decimal
from typing import Any

from hub.events import Comment, Enter, Event, Follow, Gift, Like, LiveState, RoomStats, User
from hub.protoschema import build, parse
from hub.protowire import WireError

PLATFORM = "bilibili"
REENTER = "reenter"
INTERACTION_END = "interaction_end"
GOLD_PER_CNY = Decimal(1000)
GUARD_NAMES = {1: "总督", 2: "提督", 3: "舰长"}
FOLLOW_TYPES = frozenset({2, 4, 5})
ZERO = Decimal(0)


class MappingError(ValueError):
    """A known command whose fields cannot be read."""


def to_events(cmd: str, obj: dict[str, Any], raw: bytes) -> list[Event] | str | None:
    """The hub events of one command, a signal (:data:`REENTER`, :data:`INTERACTION_END`), or None for a
    command with no mapping (the caller counts it by name). Raises :class:`MappingError` only."""
    decode = DECODERS.get(cmd)
    if decode is None:
        return None
    try:
        out = decode(obj, raw)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        raise MappingError(f"{cmd}: {type(exc).__name__}: {exc}") from None
    return [out] if isinstance(out, Event) else out


def _hash(raw: bytes) -> str:
    return "h:" + hashlib.blake2b(raw, digest_size=12).hexdigest()


def _msg_id(obj: dict[str, Any], raw: bytes) -> str:
    top = obj.get("msg_id")
    return top if isinstance(top, str) and top else _hash(raw)


def _ts(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    return value / 1000 if value > 1e11 else float(value)


def _count(value: Any) -> int:
    return max(1, min(int(value or 1), 1_000_000))


def _base(uid: Any, name: Any, message_id: str | None, ts: Any) -> dict[str, Any]:
    return {"platform": PLATFORM, "room": "", "user": User(str(uid), name if isinstance(name, str) else ""),
            "message_id": message_id, "platform_ts": _ts(ts)}


# -- web ----------------------------------------------------------------------------------------------


def _danmu(obj: dict[str, Any], raw: bytes) -> Event:
    # the hottest path of the decoder (most of a room's traffic): plain lookups, no helper calls
    info = obj["info"]
    head, user = info[0], info[2]
    text = info[1]
    if text.__class__ is not str:
        raise TypeError("info[1] is not text")
    message_id = None
    if len(head) > 15:
        mode = head[15]
        if mode.__class__ is dict:
            extra = mode.get("extra")
            if extra.__class__ is str:
                message_id = _id_str(extra)
    name = user[1]
    ts = head[4]
    platform_ts = (ts / 1000 if ts > 1e11 else float(ts)) if ts.__class__ in (int, float) and ts > 0 else None
    return Comment(platform=PLATFORM, room="", user=User(str(user[0]), name if name.__class__ is str else ""),
                   message_id=message_id or _msg_id(obj, raw), platform_ts=platform_ts, text=text)


def _id_str(extra: str) -> str | None:
    """``id_str`` of a comment's ``extra`` (itself JSON), found without parsing the whole of it."""
    start = extra.find('"id_str":"')
    if start >= 0:  # the usual compact form
        start += 10
        end = extra.find('"', start)
        return extra[start:end] or None if end > 0 else None
    start = extra.find('"id_str"')
    if start < 0:
        return None
    start = extra.find('"', extra.find(":", start + 8)) + 1
    end = extra.find('"', start)
    return extra[start:end] or None if 0 < start <= end else None


def _gift_value(coin: int, coin_type: str) -> tuple[Decimal, Decimal]:
    value = Decimal(coin)
    return value, (value / GOLD_PER_CNY if coin_type == "gold" else ZERO)


def _send_gift(obj: dict[str, Any], raw: bytes) -> Event:
    d = obj["data"]
    value, cny = _gift_value(int(d.get("total_coin") or 0), str(d.get("coin_type") or "gold"))
    tid = d.get("tid") or d.get("rnd")
    return Gift(gift=str(d["giftName"]), count=_count(d.get("num")), value=value, value_cny=cny,
                **_base(d["uid"], d.get("uname"), str(tid) if tid else _msg_id(obj, raw), d.get("timestamp")))


_PB = build("livehub_bilibili", {  # the base64 protobuf ``pb`` of the V2 commands (fields LiveHub reads)
    "InteractWord": {"uid": (1, "uint64"), "uname": (2, "string"), "msg_type": (5, "uint64"),
                     "timestamp": (7, "uint64"), "trigger_time": (15, "uint64")},
    "GiftItem": {"gift_id": (1, "uint64"), "gift_name": (2, "string"), "num": (3, "uint64"),
                 "total_coin": (7, "uint64"), "coin_type": (8, "string"), "tid": (9, "string"),
                 "timestamp": (10, "uint64")},
    "SendGift": {"uid": (1, "uint64"), "uname": (2, "string"), "gifts": (10, "repeated GiftItem")},
})


def _pb(obj: dict[str, Any], name: str) -> Any:
    try:
        return parse(_PB[name], base64.b64decode(obj["data"]["pb"], validate=True))
    except binascii.Error as exc:
        raise ValueError(f"pb: not base64 ({exc})") from None
    except WireError as exc:
        raise ValueError(f"pb: {exc}") from None


def _send_gift_v2(obj: dict[str, Any], raw: bytes) -> list[Event]:
    m = _pb(obj, "SendGift")
    out: list[Event] = []
    for item in m.gifts:
        value, cny = _gift_value(item.total_coin, item.coin_type or "gold")
        out.append(Gift(gift=item.gift_name or str(item.gift_id), count=_count(item.num), value=value,
                        value_cny=cny, **_base(m.uid, m.uname, item.tid or _msg_id(obj, raw), item.timestamp)))
    return out


def _guard(obj: dict[str, Any], raw: bytes) -> Event:
    d = obj["data"]
    level, num = int(d.get("guard_level") or 0), _count(d.get("num"))
    value = Decimal(int(d.get("price") or 0) * num)
    return Gift(gift=str(d.get("gift_name") or GUARD_NAMES.get(level, "guard")), count=num, value=value,
                value_cny=value / GOLD_PER_CNY, **_base(d["uid"], d.get("username"), _msg_id(obj, raw),
                                                        d.get("start_time")))


def _super_chat(obj: dict[str, Any], raw: bytes) -> Event:
    d = obj["data"]
    user = d.get("user_info") or {}
    return Comment(text=str(d["message"]), paid=True, amount=Decimal(str(d.get("price") or 0)), currency="CNY",
                   **_base(d["uid"], user.get("uname"), f"sc:{d['id']}", d.get("start_time") or d.get("ts")))


def _like(obj: dict[str, Any], raw: bytes) -> Event:
    d = obj["data"]
    return Like(count=1, **_base(d["uid"], d.get("uname"), _msg_id(obj, raw), obj.get("send_time")))


def _interact(uid: int, name: str, kind: int, trigger: int, ts: Any, obj: dict[str, Any], raw: bytes) -> Event | None:
    if kind != 1 and kind not in FOLLOW_TYPES:
        return None  # 3: shared the room
    top = obj.get("msg_id")
    message_id = top if isinstance(top, str) and top else f"iw:{uid}:{kind}:{trigger}" if trigger else _hash(raw)
    cls = Enter if kind == 1 else Follow
    return cls(**_base(uid, name, message_id, ts))


def _interact_word(obj: dict[str, Any], raw: bytes) -> list[Event]:
    d = obj["data"]
    event = _interact(int(d["uid"]), d.get("uname") or "", int(d["msg_type"]), int(d.get("trigger_time") or 0),
                      d.get("timestamp"), obj, raw)
    return [event] if event else []


def _interact_word_v2(obj: dict[str, Any], raw: bytes) -> list[Event]:
    m = _pb(obj, "InteractWord")
    event = _interact(m.uid, m.uname, m.msg_type, m.trigger_time, m.timestamp, obj, raw)
    return [event] if event else []


def _online_count(obj: dict[str, Any], raw: bytes) -> Event:
    d = obj["data"]
    viewers = d.get("online_count", d.get("count"))
    return RoomStats(viewers=max(0, int(viewers)), platform=PLATFORM, room="", message_id=obj.get("msg_id") or None)


def _watched(obj: dict[str, Any], raw: bytes) -> Event:
    return RoomStats(viewers=max(0, int(obj["data"]["num"])), platform=PLATFORM, room="",
                     message_id=obj.get("msg_id") or None)


def _state(state: str, detail_key: str = "") -> Any:
    def decode(obj: dict[str, Any], raw: bytes) -> Event:
        data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
        detail = str(obj.get(detail_key) or data.get(detail_key) or "") if detail_key else ""
        return LiveState(state=state, detail=detail[:200], platform=PLATFORM, room="", message_id=_msg_id(obj, raw),
                         platform_ts=_ts(obj.get("send_time") or obj.get("live_time") or data.get("timestamp")))
    return decode


# -- open platform --------------------------------------------------------------------------------------


def _who(d: dict[str, Any]) -> Any:
    return d.get("open_id") or d.get("uid") or ""


def _open_dm(obj: dict[str, Any], raw: bytes) -> Event:
    d = obj["data"]
    return Comment(text=str(d["msg"]), **_base(_who(d), d.get("uname"), str(d.get("msg_id") or _hash(raw)),
                                                d.get("timestamp")))


def _open_gift(obj: dict[str, Any], raw: bytes) -> Event:
    d = obj["data"]
    num = _count(d.get("gift_num"))
    value = Decimal(int(d.get("price") or 0) * num)
    return Gift(gift=str(d.get("gift_name") or d.get("gift_id")), count=num, value=value,
                value_cny=value / GOLD_PER_CNY if d.get("paid", True) else ZERO,
                **_base(_who(d), d.get("uname"), str(d.get("msg_id") or _hash(raw)), d.get("timestamp")))


def _open_guard(obj: dict[str, Any], raw: bytes) -> Event:
    d = obj["data"]
    user = d.get("user_info") or {}
    level, num = int(d.get("guard_level") or 0), _count(d.get("guard_num"))
    price = d.get("price")
    value = Decimal(int(price) * num) if price is not None else None
    return Gift(gift=GUARD_NAMES.get(level, "guard"), count=num, value=value,
                value_cny=value / GOLD_PER_CNY if value is not None else None,
                **_base(_who(user), user.get("uname"), str(d.get("msg_id") or _hash(raw)), d.get("timestamp")))


def _open_sc(obj: dict[str, Any], raw: bytes) -> Event:
    d = obj["data"]
    return Comment(text=str(d["message"]), paid=True, amount=Decimal(str(d.get("rmb") or 0)), currency="CNY",
                   **_base(_who(d), d.get("uname"), str(d.get("msg_id") or _hash(raw)), d.get("timestamp")))


def _open_like(obj: dict[str, Any], raw: bytes) -> Event:
    d = obj["data"]
    return Like(count=_count(d.get("like_count")), **_base(_who(d), d.get("uname"),
                                                            str(d.get("msg_id") or _hash(raw)), d.get("timestamp")))


def _open_enter(obj: dict[str, Any], raw: bytes) -> Event:
    d = obj["data"]
    return Enter(**_base(_who(d), d.get("uname"), str(d.get("msg_id") or _hash(raw)), d.get("timestamp")))


def _nothing(obj: dict[str, Any], raw: bytes) -> list[Event]:
    return []


OPEN = "LIVE_OPEN_PLATFORM_"
DECODERS: dict[str, Any] = {
    "DANMU_MSG": _danmu, "SEND_GIFT": _send_gift, "SEND_GIFT_V2": _send_gift_v2, "GUARD_BUY": _guard,
    "SUPER_CHAT_MESSAGE": _super_chat, "LIKE_INFO_V3_CLICK": _like, "INTERACT_WORD": _interact_word,
    "INTERACT_WORD_V2": _interact_word_v2, "ONLINE_RANK_COUNT": _online_count, "WATCHED_CHANGE": _watched,
    "LIVE": _state("live"), "PREPARING": _state("preparing"), "CUT_OFF": _state("ended", "msg"),
    "REENTER_LIVE_ROOM": lambda obj, raw: REENTER,
    OPEN + "DM": _open_dm, OPEN + "SEND_GIFT": _open_gift, OPEN + "GUARD": _open_guard,
    OPEN + "SUPER_CHAT": _open_sc, OPEN + "LIKE": _open_like, OPEN + "LIVE_ROOM_ENTER": _open_enter,
    OPEN + "LIVE_START": _state("live"), OPEN + "LIVE_END": _state("ended"),
    OPEN + "SUPER_CHAT_DEL": _nothing, OPEN + "INTERACTION_END": lambda obj, raw: INTERACTION_END,
}


def command_json(obj: dict[str, Any]) -> bytes:
    """A command as the platform sends it (compact UTF-8 JSON); the stand-in's and the bench's encoder."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
