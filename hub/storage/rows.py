"""Turning events into rows, and rows into batched multi-row ``INSERT ... ON CONFLICT DO NOTHING``.

The recorder writes every event a busy room produces, so this is the hot path of storage. A batch is
sent as one multi-row ``INSERT`` per chunk, built here as plain SQL with positional parameters: compiling
the equivalent SQLAlchemy construct costs several times more than the database's own work. The column
lists come from :mod:`hub.storage.tables`, so the two cannot drift apart. A chunk never carries more
bind parameters than the database accepts (:data:`hub.storage.db.MAX_PARAMS`).

Text is made storable before it is sent: a NUL character (which PostgreSQL refuses in text and JSON)
or a lone surrogate (which no UTF-8 database accepts) becomes U+FFFD. One odd comment must never make
a whole batch fail.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from hub.events import Event, to_dict
from hub.storage.tables import events as events_table
from hub.storage.tables import replies as replies_table

Row = tuple[Any, ...]

MAX_ROWS_PER_STATEMENT = 2000
"""Upper bound on rows in one INSERT, whatever the parameter limit allows (keeps statements modest)."""

EVENT_COLUMNS = ("event_id", "type", "platform", "room", "user_id", "user_name", "message_id",
                 "platform_ts", "received_ts", "payload")
REPLY_COLUMNS = ("event_id", "room", "text", "kind", "channel", "source", "answers", "created_ts")
EVENT_CONFLICT = ("platform", "message_id")
REPLY_CONFLICT = ("event_id",)


# One encoder for every row: json.dumps() with options builds a new JSONEncoder on each call.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _storable(text: str) -> bool:
    return "\\u0000" not in text and (text.isascii() or _encodes(text))


def _clean(value: Any) -> Any:
    """``value`` with NULs and lone surrogates in every string replaced by U+FFFD."""
    if isinstance(value, str):
        value = value.replace("\x00", "\ufffd")
        if _encodes(value):
            return value
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _float(value: Any, default: float | None) -> float | None:
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def event_row(event: Event) -> tuple[Row, dict[str, Any]]:
    """The ``events`` row for ``event`` (in :data:`EVENT_COLUMNS` order) and its storable dict.

    ``message_id`` is the second half of :attr:`Event.dedup_key`: the platform's id, else the event id.
    """
    data = to_dict(event)
    payload = _dumps(data)
    if _storable(payload):  # the common case: the columns straight from the event, as to_dict has them
        user = event.user
        received = event.received_ts
        row = (str(event.id), event.type, str(event.platform), str(event.room),
               None if user is None else _str(user.id), None if user is None else _str(user.name),
               str(event.message_id or event.id),
               None if event.platform_ts is None else _float(event.platform_ts, None),
               received if received.__class__ is float else _float(received, time.time()), payload)
        return row, data
    data = _clean(data)  # a NUL or a lone surrogate somewhere: the cleaned values
    payload = _dumps(data)
    cleaned_user = data.get("user") or {}
    row = (str(data["id"]), event.type, str(data["platform"]), str(data["room"]), _str(cleaned_user.get("id")),
           _str(cleaned_user.get("name")), str(data.get("message_id") or data["id"]),
           _float(data.get("platform_ts"), None), _float(data.get("received_ts"), time.time()), payload)
    return row, data


def reply_row(data: dict[str, Any]) -> Row:
    """The ``replies`` row (in :data:`REPLY_COLUMNS` order) for a reply event's storable dict."""
    return (str(data["id"]), str(data["room"]), str(data.get("text", "")), str(data.get("kind", "")),
            str(data.get("channel", "")), str(data.get("source", "")), _dumps(data.get("answers") or []),
            _float(data.get("received_ts"), time.time()))


def unique_by(rows: Sequence[Row], key_index: tuple[int, ...]) -> list[Row]:
    """``rows`` without later repeats of the same key (the first delivery wins, as in the database)."""
    key_of = itemgetter(*key_index)
    seen: set[Any] = set()
    out: list[Row] = []
    for row in rows:
        key = key_of(row)
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


@lru_cache(maxsize=128)
def insert_sql(table: str, columns: tuple[str, ...], conflict: tuple[str, ...], rows: int,
               paramstyle: str) -> str:
    """``INSERT INTO table (...) VALUES (...), ... ON CONFLICT (conflict) DO NOTHING`` for ``rows``."""
    width = len(columns)
    if paramstyle == "qmark":
        one = "(" + ",".join("?" * width) + ")"
        values = ",".join([one] * rows)
    elif paramstyle in ("numeric_dollar", "numeric"):
        mark = "$" if paramstyle == "numeric_dollar" else ":"
        values = ",".join("(" + ",".join(f"{mark}{r * width + c + 1}" for c in range(width)) + ")"
                          for r in range(rows))
    else:
        raise ValueError(f"unsupported DBAPI paramstyle {paramstyle!r}")
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} "
            f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING")


def chunks(rows: Sequence[Row], width: int, max_params: int) -> Iterator[Sequence[Row]]:
    """Split ``rows`` so that no chunk exceeds ``max_params`` parameters or the row cap.

    Every chunk has a power-of-two number of rows (a batch of 300 is sent as 256 + 32 + 8 + 4), so the
    statements a long run sends come in a dozen shapes: the driver's prepared-statement cache reuses them
    instead of preparing (and keeping, up to its size) one statement per batch size. Measured: SQLite's
    own memory stays at 3 MB instead of growing past 20 MB over a few hundred thousand events.
    """
    limit = max(1, min(MAX_ROWS_PER_STATEMENT, max_params // width))
    cap = 1 << (limit.bit_length() - 1)
    start = 0
    while start < len(rows):
        size = min(cap, 1 << ((len(rows) - start).bit_length() - 1))
        yield rows[start:start + size]
        start += size


def flatten(rows: Sequence[Row]) -> tuple[Any, ...]:
    return tuple(chain.from_iterable(rows))


def _check_columns(table: sa.Table, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in table.c]
    if missing:  # a guard against editing tables.py without this module
        raise RuntimeError(f"{table.name} lacks columns {missing}")


_check_columns(events_table, EVENT_COLUMNS)
_check_columns(replies_table, REPLY_COLUMNS)
