"""Trace files: one JSON object per line, one room event each, timed in seconds from the start.

::

    {"id": "e1", "t": 0.0, "type": "stage", "sku": "TEA-001"}
    {"id": "e2", "t": 1.5, "type": "comment", "user": {"id": "u1", "name": "小明"}, "text": "1号链接多少钱"}
    {"id": "e3", "t": 2.0, "type": "gift", "user": {...}, "gift": "rose", "count": 3, "value": "30"}
    {"id": "e4", "t": 2.5, "type": "order", "user": {...}, "sku": "TEA-001", "qty": 1, "order_id": "o1"}
    {"id": "e5", "t": 3.0, "type": "stats", "viewers": 1200}

Types: ``comment``, ``gift``, ``like`` (``count``), ``enter``, ``follow``, ``order``, ``stats``, ``stage``
(``sku`` switches the product on stage; null clears it). ``room`` (optional) names the room.

Times are finite numbers of seconds from 0 to :data:`MAX_T` (a week): ``1e300``, ``Infinity`` or ``NaN``
would make a replay wait (or spin, with ``--fast``) forever, so such a line is refused by number.
Counts (``count``, ``qty``, ``viewers``) are integers >= 0. Lines are parsed with
:func:`hub.jsonbody.loads` (no ``NaN`` literals, nesting capped); a file that is not UTF-8, or a string
holding a lone surrogate (``"\\ud800"``: no UTF-8 for it, so no report could be written), is refused by
line. Lines end at ``\\n`` only: a raw U+2028 inside a comment is text, not a line break.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from hub.events import (
    HUB_PLATFORM,
    Comment,
    Enter,
    Event,
    Follow,
    Gift,
    Like,
    Order,
    RoomStats,
    StageChange,
    User,
)
from hub.jsonbody import JsonBodyError, encodable
from hub.jsonbody import loads as load_json

TRACE_TYPES = ("comment", "gift", "like", "enter", "follow", "order", "stats", "stage")
REPLAY_PLATFORM = "replay"
REPLAY_ROOM = "replay"
MAX_T = 7 * 24 * 3600.0
"""Latest time a trace record may have, in seconds from the start (a week)."""
MAX_COUNT = 2**53 - 1
COUNT_FIELDS = ("count", "qty", "viewers")


class TraceError(ValueError):
    """A trace that cannot be replayed; the message names the line and the field."""


def _check(record: Any, where: str) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise TraceError(f"{where}: expected a JSON object")
    for key in ("id", "t", "type"):
        if key not in record:
            raise TraceError(f"{where}: missing {key!r}")
    t = record["t"]
    # a range check, not math.isfinite: that overflows on a huge integer; NaN fails the comparison anyway
    if not isinstance(t, (int, float)) or isinstance(t, bool) or not 0 <= t <= MAX_T:
        raise TraceError(f"{where}: 't' must be a number of seconds from 0 to {MAX_T:.0f} (finite)")
    for key in COUNT_FIELDS:
        value = record.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or not 0 <= value <= MAX_COUNT):
            raise TraceError(f"{where}: {key!r} must be an integer >= 0")
    if "user" in record and record["user"] is not None and not isinstance(record["user"], dict):
        raise TraceError(f"{where}: 'user' must be an object {{id, name}}")
    if not isinstance(record["id"], (str, int)) or isinstance(record["id"], bool):
        raise TraceError(f"{where}: 'id' must be a string or an integer")
    if record["type"] not in TRACE_TYPES:
        raise TraceError(f"{where}: unknown type {record['type']!r} (known: {', '.join(TRACE_TYPES)})")
    if record["type"] == "comment" and not isinstance(record.get("text"), str):
        raise TraceError(f"{where}: a comment needs a 'text' string")
    if record["type"] == "order" and not record.get("sku"):
        raise TraceError(f"{where}: an order needs a 'sku'")
    if record["type"] == "stage" and not isinstance(record.get("sku"), str | None):
        raise TraceError(f"{where}: a stage change's 'sku' must be a string or null")
    for key, value in record.items():
        if not encodable(key) or not encodable(value):
            raise TraceError(f"{where}: {key!r} holds a lone surrogate (not encodable text)")
    return record


def parse_trace(lines: Iterable[str], source: str = "<trace>") -> list[dict[str, Any]]:
    """Records from JSON lines (blank lines skipped), sorted by time; ids must be unique."""
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            record = _check(load_json(line), where)
        except JsonBodyError as exc:
            raise TraceError(f"{where}: {exc}") from None
        record["id"] = str(record["id"])
        if record["id"] in seen:
            raise TraceError(f"{where}: duplicate id {record['id']!r}")
        seen.add(record["id"])
        records.append(record)
    records.sort(key=lambda r: r["t"])
    return records


def load_trace(path: Path | str) -> list[dict[str, Any]]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TraceError(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise TraceError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x})") from None
    # "\n" only: str.splitlines() also breaks at U+2028, U+0085, \x1c..., which JSON strings may hold raw
    return parse_trace((line.removesuffix("\r") for line in text.split("\n")), str(path))


def write_trace(records: Iterable[dict[str, Any]], path: Path | str) -> None:
    with Path(path).open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _decimal(value: Any) -> Decimal | None:
    """``value`` as a finite Decimal; None when absent or not a number ("NaN" and "Infinity" included)."""
    if value is None:
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def _count(record: dict[str, Any], key: str, default: int) -> int:
    """A count of the record (checked by :func:`_check`); ``default`` when absent or null."""
    value = record.get(key)
    return default if value is None else int(value)


def to_event(record: dict[str, Any], *, platform: str = REPLAY_PLATFORM, room: str | None = None) -> Event:
    """The hub event for one trace record; its ``id`` and ``message_id`` are the trace id."""
    room = str(record.get("room") or room or REPLAY_ROOM)
    kind = record["type"]
    raw_user = record.get("user") or {}
    user = User(str(raw_user.get("id", "")), str(raw_user.get("name", ""))) if raw_user else None
    common: dict[str, Any] = {"platform": platform, "room": room, "user": user, "id": record["id"],
                              "message_id": record["id"], "platform_ts": float(record["t"])}
    if kind == "comment":
        return Comment(text=record["text"], **common)
    if kind == "gift":
        return Gift(gift=str(record.get("gift", "gift")), count=_count(record, "count", 1),
                    value=_decimal(record.get("value")), **common)
    if kind == "like":
        return Like(count=_count(record, "count", 1), **common)
    if kind == "enter":
        return Enter(**common)
    if kind == "follow":
        return Follow(**common)
    if kind == "order":
        return Order(order_id=str(record.get("order_id", record["id"])), sku=str(record["sku"]),
                     qty=_count(record, "qty", 1), amount=_decimal(record.get("amount")), **common)
    if kind == "stats":
        return RoomStats(viewers=_count(record, "viewers", 0), **common)
    common["platform"] = HUB_PLATFORM
    return StageChange(sku=record.get("sku"), **common)
