"""Twitch EventSub decode speed: a WebSocket text frame (JSON) → :func:`connectors.twitch.client.parse_frame`
→ :func:`connectors.twitch.mapping.notification_event` → a hub event: everything the connector does to a
notification before publishing. EventSub frames are plain JSON (no compression, one message a frame).

Frames come from the stand-in's encoder (:mod:`connectors.twitch.standin_encode`): 75 % chat messages,
8 % follows, 7 % cheers, 5 % subs (new, gifted, resubs), 5 % raids, with full subscription objects as
Twitch sends them. ``value`` = messages decoded per second on one core (median of the repeats, process CPU
time); the goal is ≥ 50,000.
"""

from __future__ import annotations

import asyncio
import json
import random
from decimal import Decimal
from typing import Any

from bench.decoding import measure
from connectors.twitch.client import parse_frame
from connectors.twitch.mapping import SUBSCRIPTIONS, condition, notification_event
from connectors.twitch.standin_encode import notification, timestamp
from hub.events import Event, from_dict

ROOM = "12826"
BROADCASTER = {"broadcaster_user_id": ROOM, "broadcaster_user_login": "standin_shop",
               "broadcaster_user_name": "standin_shop"}
MIX = {"comment": 75, "follow": 8, "cheer": 7, "sub": 5, "enter": 5}
TEXTS = ("how much is this?", "link 1 still in stock?", "这个多少钱", "PogChamp love it", "ship to Canada?",
         "size M please", "can you show the back", "Kappa Kappa", "what's the discount code", "hi from Manila")


def viewer_event(rng: random.Random, n: int) -> Event:
    kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
    fields: dict[str, Any] = {
        "comment": {"type": "comment", "text": rng.choice(TEXTS)}, "follow": {"type": "follow"},
        "cheer": {"type": "gift", "gift": "bits", "value": str(rng.choice((1, 100, 500, 1000)))},
        "sub": {"type": "gift", "gift": rng.choice(("sub:1000", "gift_sub:1000", "resub:2000")),
                "count": rng.randrange(1, 6)},
        "enter": {"type": "enter"}}[kind]
    user = {"id": str(rng.randrange(10**7, 10**9)), "name": f"viewer_{rng.randrange(10**5)}"}
    return from_dict({"platform": "twitch", "room": ROOM, "message_id": f"bench-{n}", "user": user, **fields})


def build_frames(messages: int, seed: int = 11) -> list[str]:
    """``messages`` notification frames as the stand-in writes them on the socket."""
    rng = random.Random(seed)
    subs = {t: {"id": f"sub-{t}", "status": "enabled", "type": t, "version": v, "condition": condition(t, ROOM, "1419"),
                "transport": {"method": "websocket", "session_id": "AQoQexAWVYKSTIu4ec_2VAxyuhAB"},
                "created_at": timestamp(), "cost": 0} for t, (v, _) in SUBSCRIPTIONS.items()}
    frames = []
    for n in range(messages):
        note = notification(viewer_event(rng, n), BROADCASTER)
        frames.append(note.frame(subs[note.type]))
    return frames


def decode_all(frames: list[str], rate: Decimal | None = Decimal("0.07")) -> int:
    """Hub events built."""
    events = 0
    for data in frames:
        if notification_event(parse_frame(data), rate) is not None:
            events += 1
    return events


async def run(messages: int, repeats: int = 3) -> dict[str, Any]:
    def decode(frames: list[bytes]) -> tuple[int, int]:
        return len(frames), decode_all(frames)  # one notification a frame

    return {**measure(build_frames(messages), decode, repeats=repeats, warm_up=500),
            "compression": "none (EventSub frames are plain JSON)"}


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.messages, args.repeats)), indent=1))


if __name__ == "__main__":
    main()
