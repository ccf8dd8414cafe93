"""Kuaishou interactive-live items → hub events.

A poll's ``data`` is a list of ``{"cmd": <int>, "payload": {...}}`` items; every payload has the viewer
as ``user`` (``{"id", "userName", "headUrl", "gender"}``). The commands:

| cmd | what | hub event |
|---|---|---|
| 2 | gift: ``giftId``, ``giftName``, ``count``, ``giftTotalDou`` (the value of all ``count``) | :class:`Gift` |
| 3 | comment: ``content`` | :class:`Comment` |
| 5 | task done: ``taskId`` | none (counted) |
| 7 | like: ``count`` | :class:`Like` |
| 9 | share | none (counted) |
| 10 | follow | :class:`Follow` |

Gift value: ``value`` = ``giftTotalDou`` in Kuaishou coins (快币), the platform's unit; ``value_cny`` =
``value / 10`` (10 快币 = 1 CNY).

Message ids: the public sources of this feed show none. An item's own ``msgId`` (or ``id``) is used when
it has one (the stand-in sends ``msgId``); otherwise the id is a digest of the item, so a repeated item is
dropped, but so is a second identical item (same viewer, same cmd, same payload).

The interactive feed carries no enters, viewer counts or end of the live: those have no item here.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.events import Comment, Event, Follow, Gift, Like, User

PLATFORM = "kuaishou"
COINS_PER_CNY = Decimal(10)
CMD_GIFT, CMD_COMMENT, CMD_TASK, CMD_LIKE, CMD_SHARE, CMD_FOLLOW = 2, 3, 5, 7, 9, 10
CMD_NAMES = {CMD_GIFT: "gift", CMD_COMMENT: "comment", CMD_TASK: "task", CMD_LIKE: "like", CMD_SHARE: "share",
             CMD_FOLLOW: "follow"}
WITHOUT_EVENT = frozenset({CMD_TASK, CMD_SHARE})
MAX_COUNT = 1_000_000


class ItemError(ValueError):
    """An item that cannot be read (not an object, no cmd, wrong types)."""


def item_cmd(item: Any) -> int:
    """The item's cmd (:class:`ItemError` when it has none)."""
    if not isinstance(item, dict):
        raise ItemError("an item must be a JSON object")
    cmd = item.get("cmd")
    if isinstance(cmd, str) and cmd.isdigit() and len(cmd) < 6:
        cmd = int(cmd)
    if not isinstance(cmd, int) or isinstance(cmd, bool):
        raise ItemError("cmd is missing")
    return cmd


def interactive_event(item: Any) -> Event | None:
    """The hub event of one poll item; None for a known or unknown cmd with no hub event (see
    :func:`item_cmd` to count it). Raises :class:`ItemError` for an item that cannot be read."""
    cmd = item_cmd(item)
    decode = _DECODERS.get(cmd)
    if decode is None:
        return None
    payload = item.get("payload")
    if not isinstance(payload, dict):
        raise ItemError("payload is missing")
    user = payload.get("user")
    if not isinstance(user, dict):
        raise ItemError("payload.user is missing")
    user_id = user.get("id")
    if isinstance(user_id, bool) or not isinstance(user_id, (str, int)) or user_id == "":
        raise ItemError("payload.user.id is missing")
    name = user.get("userName")
    base = {"platform": PLATFORM, "room": "", "message_id": message_id(item),
            "user": User(str(user_id), name if isinstance(name, str) else "")}
    return decode(payload, base)


def message_id(item: dict[str, Any]) -> str:
    """The item's own id, else a digest of the whole item."""
    for key in ("msgId", "id"):
        value = item.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
            return str(value)[:128]
    try:
        canonical = json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        canonical = repr(item)
    return "h-" + hashlib.blake2b(canonical.encode("utf-8", "replace"), digest_size=12).hexdigest()


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return 1
    try:
        number = int(value)
    except (ValueError, OverflowError):
        return 1
    return max(1, min(number, MAX_COUNT))


def coins(value: Any) -> Decimal | None:
    """A coin amount (None when missing or not a sane number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and 0 <= number < 10**12 else None


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str):
        raise ItemError(f"payload.{key} is missing")
    return value


def _gift(payload: dict[str, Any], base: dict[str, Any]) -> Event:
    name, gift_id = payload.get("giftName"), payload.get("giftId")
    gift = name if isinstance(name, str) and name else str(gift_id) if isinstance(gift_id, (str, int)) else ""
    value = coins(payload.get("giftTotalDou"))
    return Gift(gift=gift[:128], count=_count(payload.get("count")), value=value,
                value_cny=value / COINS_PER_CNY if value is not None else None, **base)


def _comment(payload: dict[str, Any], base: dict[str, Any]) -> Event:
    return Comment(text=_text(payload, "content"), **base)


def _like(payload: dict[str, Any], base: dict[str, Any]) -> Event:
    return Like(count=_count(payload.get("count")), **base)


def _follow(payload: dict[str, Any], base: dict[str, Any]) -> Event:
    return Follow(**base)


_DECODERS = {CMD_GIFT: _gift, CMD_COMMENT: _comment, CMD_LIKE: _like, CMD_FOLLOW: _follow}
