"""The stand-in's encoder: hub viewer events → EventSub notifications, and the session frames.

| hub event | EventSub notification |
|---|---|
| ``comment`` | ``channel.chat.message`` (``message_id`` = the event's; ``paid`` with ``amount``: a cheer of that many bits) |
| ``gift`` ``sub:<tier>`` / ``gift_sub:<tier>`` / ``resub:<tier>`` | ``channel.subscribe`` / ``channel.subscription.gift`` (``total`` = count) / ``channel.subscription.message`` |
| any other ``gift`` | ``channel.cheer`` with ``bits`` = ``value`` (else ``count``) |
| ``follow`` | ``channel.follow`` v2 |
| ``enter`` | ``channel.raid`` from the viewer's channel |
| ``live_state`` | ``stream.online`` / ``stream.offline`` |

Twitch has no likes and no viewer-count notification: ``like`` and ``stats`` are refused (ValueError).
Non-chat notifications take the event's ``message_id`` as ``metadata.message_id``.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from hub.events import Event

VERSIONS = {"channel.follow": "2"}


@dataclass(slots=True)
class Notification:
    type: str
    message_id: str
    event: dict[str, Any]

    def frame(self, subscription: dict[str, Any]) -> str:
        """The notification as sent on a session with ``subscription``."""
        return dumps(envelope("notification", {"subscription": subscription, "event": self.event},
                              message_id=self.message_id, sub_type=self.type,
                              version=VERSIONS.get(self.type, "1")))


def timestamp(now: float | None = None) -> str:
    """RFC 3339 in UTC with nanoseconds, as Twitch writes them."""
    now = time.time() if now is None else now
    whole = int(now)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((now - whole) * 1e9):09d}Z"


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def envelope(message_type: str, payload: dict[str, Any], *, message_id: str | None = None, sub_type: str = "",
             version: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"message_id": message_id or str(uuid.uuid4()), "message_type": message_type,
                            "message_timestamp": timestamp()}
    if sub_type:
        meta.update(subscription_type=sub_type, subscription_version=version)
    return {"metadata": meta, "payload": payload}


def session_frame(kind: str, session_id: str, *, keepalive: int | None, reconnect_url: str | None = None,
                  connected_at: str = "") -> str:
    """``session_welcome`` (status connected) or ``session_reconnect`` (status reconnecting)."""
    session = {"id": session_id, "status": "connected" if kind == "session_welcome" else "reconnecting",
               "connected_at": connected_at or timestamp(), "keepalive_timeout_seconds": keepalive,
               "reconnect_url": reconnect_url, "recovery_url": None}
    return dumps(envelope(kind, {"session": session}))


def keepalive_frame() -> str:
    return dumps(envelope("session_keepalive", {}))


def revocation_frame(subscription: dict[str, Any], status: str) -> str:
    sub = {**subscription, "status": status}
    return dumps(envelope("revocation", {"subscription": sub}, sub_type=sub["type"], version=sub["version"]))


def _user(event: Event, prefix: str = "user") -> dict[str, str]:
    user_id = event.user.id if event.user else "0"
    name = (event.user.name if event.user else "") or user_id
    return {f"{prefix}_id": user_id, f"{prefix}_login": name.lower().replace(" ", "_"), f"{prefix}_name": name}


def notification(event: Event, broadcaster: dict[str, str]) -> Notification:
    """The notification of one viewer event; ValueError for what Twitch cannot carry."""
    message_id = event.message_id or str(uuid.uuid4())
    kind = event.type
    if kind == "comment":
        text = getattr(event, "text", "")
        amount = getattr(event, "amount", None)
        bits = int(amount) if getattr(event, "paid", False) and amount else 0
        body = {**broadcaster, **_user(event, "chatter_user"), "message_id": message_id,
                "message": {"text": text, "fragments": [{"type": "text", "text": text, "cheermote": None,
                                                        "emote": None, "mention": None}]},
                "color": "#9146FF", "badges": [], "message_type": "text", "cheer": {"bits": bits} if bits else None,
                "reply": None, "channel_points_custom_reward_id": None, "source_broadcaster_user_id": None,
                "source_broadcaster_user_login": None, "source_broadcaster_user_name": None,
                "source_message_id": None, "source_badges": None}
        return Notification("channel.chat.message", str(uuid.uuid4()), body)
    if kind == "gift":
        gift, count = str(getattr(event, "gift", "")), int(getattr(event, "count", 1))
        name, _, tier = gift.partition(":")
        tier = tier if tier in ("1000", "2000", "3000") else "1000"
        if name == "sub":
            return Notification("channel.subscribe", message_id,
                                {**_user(event), **broadcaster, "tier": tier, "is_gift": False})
        if name == "gift_sub":
            return Notification("channel.subscription.gift", message_id,
                                {**_user(event), **broadcaster, "total": count, "tier": tier,
                                 "cumulative_total": None, "is_anonymous": False})
        if name == "resub":
            text = "resub"
            return Notification("channel.subscription.message", message_id,
                                {**_user(event), **broadcaster, "tier": tier,
                                 "message": {"text": text, "emotes": None}, "cumulative_months": count,
                                 "streak_months": None, "duration_months": count})
        value = getattr(event, "value", None)
        bits = int(value) if value is not None and value > 0 else count
        return Notification("channel.cheer", message_id, {"is_anonymous": False, **_user(event), **broadcaster,
                                                         "message": f"Cheer{bits}", "bits": bits})
    if kind == "follow":
        return Notification("channel.follow", message_id,
                            {**_user(event), **broadcaster, "followed_at": timestamp(event.platform_ts)})
    if kind == "enter":
        raider = _user(event, "from_broadcaster_user")
        to = {f"to_{k}": v for k, v in broadcaster.items()}
        return Notification("channel.raid", message_id, {**raider, **to, "viewers": 1})
    if kind == "live_state":
        state = getattr(event, "state", "")
        if state == "live":
            return Notification("stream.online", message_id, {"id": message_id, **broadcaster, "type": "live",
                                                              "started_at": timestamp()})
        return Notification("stream.offline", message_id, dict(broadcaster))
    raise ValueError(f"Twitch has no {kind!r} notification (no likes, no viewer counts on EventSub)")
