"""EventSub notifications → hub events.

| subscription | hub event |
|---|---|
| ``channel.chat.message`` | :class:`Comment` (a message with ``cheer.bits``: ``paid``, ``amount`` = bits, ``currency`` "bits") |
| ``channel.cheer`` | :class:`Gift` ``gift="bits"``, ``count`` = ``value`` = bits, ``value_cny`` = bits × ``cny_per_bit`` (unset: None) |
| ``channel.subscribe`` | :class:`Gift` ``gift="sub:<tier>"`` (a gifted one: None, the gifter's event carries it) |
| ``channel.subscription.gift`` | :class:`Gift` ``gift="gift_sub:<tier>"``, ``count`` = ``total`` (anonymous: user ``anonymous``) |
| ``channel.subscription.message`` | :class:`Gift` ``gift="resub:<tier>"``, ``count`` = ``duration_months`` |
| ``channel.follow`` (v2) | :class:`Follow` |
| ``channel.raid`` | :class:`Enter`: the raiding channel entered with its viewers (``raid_viewers`` counted by the connector) |
| ``stream.online`` / ``stream.offline`` | :class:`LiveState` ``live`` / ``ended`` |

Subscriptions carry no money in a currency: ``value`` is in bits (a bit earns the streamer US$0.01; the
yuan rate is the operator's setting). Message ids (the base de-duplicates on them): a chat message keeps
its own ``message_id`` (stable across redeliveries, and the id a Helix reply threads to); every other
event takes the EventSub ``metadata.message_id`` (a redelivered notification keeps it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.twitch.client import Frame, parse_timestamp
from hub.events import Comment, Enter, Event, Follow, Gift, LiveState, User

PLATFORM = "twitch"
# type -> (version, condition keys; "b" = broadcaster id, "u" = the reading user's id)
SUBSCRIPTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "channel.chat.message": ("1", {"broadcaster_user_id": "b", "user_id": "u"}),
    "channel.follow": ("2", {"broadcaster_user_id": "b", "moderator_user_id": "u"}),
    "channel.subscribe": ("1", {"broadcaster_user_id": "b"}),
    "channel.subscription.gift": ("1", {"broadcaster_user_id": "b"}),
    "channel.subscription.message": ("1", {"broadcaster_user_id": "b"}),
    "channel.cheer": ("1", {"broadcaster_user_id": "b"}),
    "channel.raid": ("1", {"to_broadcaster_user_id": "b"}),
    "stream.online": ("1", {"broadcaster_user_id": "b"}),
    "stream.offline": ("1", {"broadcaster_user_id": "b"}),
}
SCOPES = {"channel.chat.message": "user:read:chat", "channel.follow": "moderator:read:followers",
          "channel.subscribe": "channel:read:subscriptions", "channel.subscription.gift": "channel:read:subscriptions",
          "channel.subscription.message": "channel:read:subscriptions", "channel.cheer": "bits:read"}
MAX_COUNT = 1_000_000


class NotificationError(ValueError):
    """A notification whose event lacks what its type needs."""


def condition(type_: str, broadcaster_id: str, user_id: str) -> dict[str, str]:
    """The subscription condition of ``type_`` for this channel, read by ``user_id``."""
    keys = SUBSCRIPTIONS[type_][1]
    return {key: broadcaster_id if who == "b" else user_id for key, who in keys.items()}


def _s(event: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = event.get(key)
    if type(value) is str and value:
        return value
    if type(value) is int:
        return str(value)
    if required:
        raise NotificationError(f"event.{key} is missing")
    return ""


def _n(value: Any, default: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return default
    try:
        return max(0, min(int(value), MAX_COUNT))
    except ValueError:
        return default


def _user(event: dict[str, Any], prefix: str = "user") -> User:
    user_id = event.get(prefix + "_id")
    name = event.get(prefix + "_name")
    if type(user_id) is str and user_id and type(name) is str and name:
        return User(user_id, name)  # the common case, quickly
    return User(_s(event, f"{prefix}_id", required=True), _s(event, f"{prefix}_name") or _s(event, f"{prefix}_login"))


def notification_event(frame: Frame, cny_per_bit: Decimal | None = None) -> Event | None:
    """The hub event of a ``notification`` frame; None for a type with no hub event (or a gifted sub).
    Raises :class:`NotificationError` for an event without what its type needs."""
    decode = _DECODERS.get(frame.subscription_type or str(frame.subscription.get("type") or ""))
    if decode is None:
        return None
    base: dict[str, Any] = {"platform": PLATFORM, "room": "", "message_id": frame.message_id,
                            "platform_ts": parse_timestamp(frame.timestamp)}
    return decode(frame.event, base, cny_per_bit)


def _chat(e: dict[str, Any], base: dict[str, Any], _rate: Any) -> Event:
    message = e.get("message")
    text = message.get("text") if type(message) is dict else None
    if type(text) is not str:
        raise NotificationError("event.message.text is missing")
    base["message_id"] = _s(e, "message_id", required=True)
    cheer = e.get("cheer")
    bits = _n(cheer.get("bits"), 0) if type(cheer) is dict else 0
    paid = {"paid": True, "amount": Decimal(bits), "currency": "bits"} if bits else {}
    return Comment(user=_user(e, "chatter_user"), text=text, **base, **paid)


def _cheer(e: dict[str, Any], base: dict[str, Any], rate: Decimal | None) -> Event:
    bits = _n(e.get("bits"), 0)
    if bits <= 0:
        raise NotificationError("event.bits must be a positive number")
    user = User("anonymous", "Anonymous") if e.get("is_anonymous") is True or not _s(e, "user_id") else _user(e)
    value = Decimal(bits)
    return Gift(user=user, gift="bits", count=bits, value=value, value_cny=value * rate if rate is not None else None,
                **base)


def _tier(e: dict[str, Any]) -> str:
    return _s(e, "tier") or "1000"


def _subscribe(e: dict[str, Any], base: dict[str, Any], _rate: Any) -> Event | None:
    if e.get("is_gift") is True:
        return None  # the gifter's channel.subscription.gift carries it
    return Gift(user=_user(e), gift=f"sub:{_tier(e)}", **base)


def _gift_subs(e: dict[str, Any], base: dict[str, Any], _rate: Any) -> Event:
    user = User("anonymous", "Anonymous") if e.get("is_anonymous") is True or not _s(e, "user_id") else _user(e)
    return Gift(user=user, gift=f"gift_sub:{_tier(e)}", count=max(1, _n(e.get("total"))), **base)


def _resub(e: dict[str, Any], base: dict[str, Any], _rate: Any) -> Event:
    return Gift(user=_user(e), gift=f"resub:{_tier(e)}", count=max(1, _n(e.get("duration_months"))), **base)


def _follow(e: dict[str, Any], base: dict[str, Any], _rate: Any) -> Event:
    return Follow(user=_user(e), **base)


def _raid(e: dict[str, Any], base: dict[str, Any], _rate: Any) -> Event:
    return Enter(user=_user(e, "from_broadcaster_user"), **base)


def _online(e: dict[str, Any], base: dict[str, Any], _rate: Any) -> Event:
    return LiveState(state="live", detail=_s(e, "type") or "live", **base)


def _offline(e: dict[str, Any], base: dict[str, Any], _rate: Any) -> Event:
    return LiveState(state="ended", detail="stream.offline", **base)


_DECODERS: dict[str, Any] = {
    "channel.chat.message": _chat, "channel.cheer": _cheer, "channel.subscribe": _subscribe,
    "channel.subscription.gift": _gift_subs, "channel.subscription.message": _resub, "channel.follow": _follow,
    "channel.raid": _raid, "stream.online": _online, "stream.offline": _offline,
}
DECODED_TYPES = frozenset(_DECODERS)
AUTH_REVOCATIONS = frozenset({"authorization_revoked", "user_removed", "moderator_removed"})
