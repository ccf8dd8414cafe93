"""The one typed schema for what platforms send and what the hub does.

Every event carries the platform, the room, the user (platform id and display name), the platform's own
message id and two timestamps: when the platform says it happened (``platform_ts``) and when the hub
received it (``received_ts``). Events are plain slotted dataclasses: cheap to build on the hot path,
serialised with :func:`to_dict` and rebuilt with :func:`from_dict`.

Platform events: :class:`Comment`, :class:`Gift`, :class:`Like`, :class:`Enter`, :class:`Follow`,
:class:`Order` (also from shops), :class:`RoomStats`. Hub events: :class:`CatalogChange` (a price, stock or
product of the room's shop changed), :class:`StageChange` (the product now presented),
:class:`Reply` (what the host says or posts), :class:`ReplySentence` (one sentence of a voice reply,
sent ahead of it), :class:`StreamState` (an output's state) and :class:`ConnectorState` (a connector's
state).

An event class with ``persist = False`` is delivered to subscribers but not written to the database
(:class:`ReplySentence`: its text is in the :class:`Reply` that follows it).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import time
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

__all__ = [
    "User", "Event", "Comment", "Gift", "Like", "Enter", "Follow", "Order", "RoomStats",
    "StageChange", "Reply", "ReplySentence", "StreamState", "ConnectorState", "CatalogChange", "EVENT_TYPES", "PLATFORM_EVENT_TYPES",
    "to_dict", "from_dict", "new_event_id",
]

HUB_PLATFORM = "livehub"
"""The ``platform`` of events the hub itself produces (replies, stage changes, states)."""

_prefix = f"{os.getpid():x}-{int(time.time() * 1000):x}-"
_counter = itertools.count(1)


def new_event_id() -> str:
    """A process-unique, cheap event id (pid, start time and a counter)."""
    return f"{_prefix}{next(_counter):x}"


@dataclass(slots=True, frozen=True)
class User:
    """A viewer or account on a platform: its platform id and its display name."""

    id: str
    name: str = ""


@dataclass(slots=True, kw_only=True)
class Event:
    """Fields every event has. ``type`` is the class's wire name."""

    type: ClassVar[str] = "event"
    persist: ClassVar[bool] = True  # written to the database by the recorder

    platform: str
    room: str
    user: User | None = None
    message_id: str | None = None
    platform_ts: float | None = None
    received_ts: float = field(default_factory=time.time)
    id: str = field(default_factory=new_event_id)

    @property
    def dedup_key(self) -> tuple[str, str]:
        """What makes two deliveries the same event: platform and the platform's message id."""
        return (self.platform, self.message_id or self.id)


@dataclass(slots=True, kw_only=True)
class Comment(Event):
    """A viewer's chat message. A paid one (a super chat) has ``paid`` set and, where the platform says,
    its ``amount`` in ``currency`` (an ISO 4217 code, or the platform's unit)."""

    type: ClassVar[str] = "comment"
    text: str
    paid: bool = False
    amount: Decimal | None = None
    currency: str = ""


@dataclass(slots=True, kw_only=True)
class Gift(Event):
    """A paid gift. ``value`` is in the platform's own unit (coins, diamonds), if known, for all
    ``count``; ``value_cny`` the same in yuan where the platform's rate is known."""

    type: ClassVar[str] = "gift"
    gift: str
    count: int = 1
    value: Decimal | None = None
    value_cny: Decimal | None = None


@dataclass(slots=True, kw_only=True)
class Like(Event):
    """One or more likes (platforms batch them)."""

    type: ClassVar[str] = "like"
    count: int = 1


@dataclass(slots=True, kw_only=True)
class Enter(Event):
    """A viewer entered the room."""

    type: ClassVar[str] = "enter"


@dataclass(slots=True, kw_only=True)
class Follow(Event):
    """A viewer followed the account."""

    type: ClassVar[str] = "follow"


@dataclass(slots=True, kw_only=True)
class Order(Event):
    """A viewer placed an order for ``qty`` of ``sku`` (one line of an order; ``amount`` is the line's total
    in ``currency``). ``status`` is ``placed`` or ``paid`` (the first the hub heard of), or ``refunded``
    (money returned: subtract it). ``shop`` names the shop connector for a shop's order ("" for a platform's);
    ``email`` is the buyer's address when the shop gives it (the CRM links the buyer's accounts by it)."""

    type: ClassVar[str] = "order"
    order_id: str
    sku: str
    qty: int = 1
    amount: Decimal | None = None
    currency: str = ""
    status: str = "placed"
    shop: str = ""
    email: str = ""


@dataclass(slots=True, kw_only=True)
class CatalogChange(Event):
    """A product of the room's shop changed (a hub event, from the shop connector ``shop``): ``change`` is
    ``added``, ``updated``, ``removed``, ``sold_out`` or ``restocked``; ``price``/``stock`` are the figures now
    (what a viewer pays), ``price_before``/``stock_before`` the previous ones."""

    type: ClassVar[str] = "catalog_change"
    shop: str
    sku: str
    change: str
    link: int | None = None
    name: str = ""
    price: str | None = None
    price_before: str | None = None
    stock: int | None = None
    stock_before: int | None = None


@dataclass(slots=True, kw_only=True)
class RoomStats(Event):
    """Periodic room statistics."""

    type: ClassVar[str] = "stats"
    viewers: int
    likes_total: int | None = None


@dataclass(slots=True, kw_only=True)
class LiveState(Event):
    """The platform room's broadcast state changed: ``state`` is ``"live"``, ``"ended"`` or ``"preparing"``."""

    type: ClassVar[str] = "live_state"
    state: str
    detail: str = ""


@dataclass(slots=True, kw_only=True)
class StageChange(Event):
    """The product now being presented changed (``sku`` None: nothing on stage)."""

    type: ClassVar[str] = "stage"
    sku: str | None


@dataclass(slots=True, frozen=True)
class Asker:
    """A viewer a reply answers: where they wrote (``platform``), who they are and which message."""

    platform: str
    user: User
    message_id: str | None = None


@dataclass(slots=True, kw_only=True)
class Reply(Event):
    """Something the host says (``channel`` "voice") or posts (``channel`` "chat").

    ``answers`` lists the event ids this reply answers; ``kind`` says what it is (answer, pitch,
    thanks, takeover, ...); ``source`` names what produced it (a backend or the operator). ``sku`` is the
    product it is about, if any; ``askers`` the viewers it answers, each with the platform they wrote on,
    so platform connectors route it back there (an @mention where the platform has one).
    """

    type: ClassVar[str] = "reply"
    text: str
    kind: str = "answer"
    channel: str = "voice"
    answers: list[str] = field(default_factory=list)
    source: str = ""
    sku: str | None = None
    askers: list[Asker] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class ReplySentence(Event):
    """One reviewed sentence of a voice :class:`Reply`, published as soon as it may be said.

    An answer is spoken sentence by sentence while the rest is still being written: the room bridge
    starts speaking at the first ``ReplySentence`` and appends the next ones (``index`` 0, 1, ...) to
    the same line. The :class:`Reply` with ``id == reply`` follows once the answer is complete, with the
    whole text; it ends the line. Not persisted: the Reply holds the same text.
    """

    type: ClassVar[str] = "reply_sentence"
    persist: ClassVar[bool] = False
    reply: str
    index: int
    text: str
    kind: str = "answer"
    channel: str = "voice"
    answers: list[str] = field(default_factory=list)
    source: str = ""
    sku: str | None = None  # the product the reply is about (its card is shown while it is said)


@dataclass(slots=True, kw_only=True)
class StreamState(Event):
    """An output's state changed (starting, live, retrying, stopped, failed)."""

    type: ClassVar[str] = "stream_state"
    output: str
    state: str
    detail: str = ""


@dataclass(slots=True, kw_only=True)
class ConnectorState(Event):
    """A connector's state changed; ``error`` is the last error's message, if any."""

    type: ClassVar[str] = "connector_state"
    connector: str
    state: str
    error: str = ""


@dataclass(slots=True, kw_only=True)
class OperatorAlert(Event):
    """Something the operator must see now (the console shows it): ``kind`` says what (e.g.
    ``talk_guardrails``: a line the operator said on air breaks the guardrails), ``message`` in words,
    ``text`` the line concerned, ``reasons`` why."""

    type: ClassVar[str] = "operator_alert"
    kind: str
    message: str
    text: str = ""
    reasons: list[str] = field(default_factory=list)


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (Comment, Gift, Like, Enter, Follow, Order, RoomStats, LiveState, StageChange, Reply, ReplySentence,
                StreamState, ConnectorState, OperatorAlert, CatalogChange)
}
PLATFORM_EVENT_TYPES = frozenset({"comment", "gift", "like", "enter", "follow", "order", "stats", "live_state"})


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, User):
        return {"id": value.id, "name": value.name}
    if isinstance(value, Asker):
        return {"platform": value.platform, "user": {"id": value.user.id, "name": value.user.name},
                "message_id": value.message_id}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready dict of ``event`` with its ``type``; decimals become strings."""
    cls = type(event)
    names = _FIELD_NAMES.get(cls)
    if names is None:  # dataclasses.fields() on every event costs more than the conversion
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    out: dict[str, Any] = {"type": event.type}
    for name in names:
        value = getattr(event, name)
        out[name] = value if value.__class__ in _AS_IS else _plain(value)
    return out


_AS_IS = frozenset({str, int, float, bool, type(None)})
"""Field value types that :func:`to_dict` copies without a call (most fields of most events)."""


class EventFormatError(ValueError):
    """A dict that does not describe a valid event; the message says which field and why."""


_SCALARS: dict[type[Event], dict[str, tuple[type, ...]]] = {}


def _scalar_types(cls: type[Event]) -> dict[str, tuple[type, ...]]:
    """Per field, the plain JSON types it accepts (None included when optional), cached per class."""
    if cls not in _SCALARS:
        hints = typing.get_type_hints(cls)
        table: dict[str, tuple[type, ...]] = {}
        for name, hint in hints.items():
            args = typing.get_args(hint) if typing.get_origin(hint) in (types.UnionType, typing.Union) else (hint,)
            accepted = tuple(a for a in args if a in (str, int, float, type(None)))
            if float in accepted:
                accepted += (int,)
            if accepted and len(accepted) == len(args) + (float in accepted):
                table[name] = accepted
        _SCALARS[cls] = table
    return _SCALARS[cls]


def _askers(value: Any) -> list[Asker]:
    if not isinstance(value, list):
        raise EventFormatError("askers: expected a list of {platform, user: {id, name}, message_id}")
    out = []
    for item in value:
        user = item.get("user") if isinstance(item, dict) else None
        if (not isinstance(item, dict) or not isinstance(item.get("platform"), str) or not isinstance(user, dict)
                or not isinstance(user.get("id"), (str, int)) or isinstance(user.get("id"), bool)
                or not isinstance(item.get("message_id"), (str, type(None)))):
            raise EventFormatError("askers: each must be {platform, user: {id, name}, message_id}")
        out.append(Asker(platform=item["platform"], user=User(id=str(user["id"]), name=str(user.get("name", ""))),
                         message_id=item.get("message_id")))
    return out


def from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from :func:`to_dict` output (or from an API client's JSON)."""
    if not isinstance(data, dict):
        raise EventFormatError("an event must be a JSON object")
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise EventFormatError(f"type: unknown event type {kind!r}; known: {', '.join(sorted(EVENT_TYPES))}")
    names = {f.name: f for f in dataclasses.fields(cls)}
    scalars = _scalar_types(cls)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "type":
            continue
        if key not in names:
            raise EventFormatError(f"{key}: not a field of {kind!r} events")
        if key == "user" and value is not None:
            if not isinstance(value, dict) or "id" not in value:
                raise EventFormatError("user: must be an object with an 'id'")
            value = User(id=str(value["id"]), name=str(value.get("name", "")))
        elif key in ("value", "value_cny", "amount") and value is not None:
            try:
                value = Decimal(str(value))
            except Exception:
                raise EventFormatError(f"{key}: not a decimal number: {value!r}") from None
        elif key in scalars and (not isinstance(value, scalars[key]) or isinstance(value, bool)):
            wanted = " or ".join("null" if t is type(None) else t.__name__ for t in scalars[key])
            raise EventFormatError(f"{key}: expected {wanted}, got {type(value).__name__}")
        elif key == "askers":
            value = _askers(value)
        elif key == "answers" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise EventFormatError("answers: expected a list of event ids")
        elif key == "reasons" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise EventFormatError("reasons: expected a list of texts")
        kwargs[key] = value
    missing = [f.name for f in names.values() if f.name not in kwargs and f.init
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise EventFormatError(f"{missing[0]}: required for {kind!r} events")
    return cls(**kwargs)
