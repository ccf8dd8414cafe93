"""TikTok LIVE decode speed: binary ``PushFrame`` → gunzip → ``ProtoMessageFetchResult`` → each message's
protobuf → a hub event (:mod:`hub.pushframe`, :func:`connectors.tiktok.mapping.webcast_event`), everything
the connector does to a frame before publishing.

Frames come from the stand-in's encoder (:mod:`connectors.tiktok.standin_encode`): a mix of 65 % comments,
12 % likes, 10 % joins, 5 % follows, 5 % viewer counts and 3 % gifts (each a combo streak of 1–5 messages,
decoded step by step), users with avatar URL, handle and sec_uid, 25 messages a frame, gzip'd as TikTok
sends them. ``value`` = messages decoded per second on one core (median of the repeats, process CPU time);
the goal is ≥ 50,000.
"""

from __future__ import annotations

import asyncio
import json
import random
from decimal import Decimal
from typing import Any

from bench.decoding import measure
from connectors.tiktok.mapping import webcast_event
from connectors.tiktok.standin_encode import webcast_messages
from hub.events import Event, from_dict
from hub.pushframe import Response, WebcastMessage, decode_frame, decode_response, msg_frame

ROOM = "7300000000000000001"
MIX = {"comment": 65, "like": 12, "enter": 10, "follow": 5, "stats": 5, "gift": 3}
TEXTS = ("how much is this?", "link 1 still in stock?", "这个多少钱", "love it 😍", "ship to Canada?",
         "size M please", "can you show the back", "🔥🔥🔥", "what's the discount code", "hi from Manila")
GIFTS = (("Rose", 1), ("TikTok", 1), ("Finger Heart", 5), ("Doughnut", 30))


def viewer_event(rng: random.Random, n: int) -> Event:
    kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
    name, diamonds = rng.choice(GIFTS)
    count = rng.randrange(1, 6)
    fields: dict[str, Any] = {
        "comment": {"text": rng.choice(TEXTS)}, "like": {"count": rng.randrange(1, 16)},
        "stats": {"viewers": rng.randrange(50, 5000)},
        "gift": {"gift": name, "count": count, "value": str(diamonds * count)}}.get(kind, {})
    user = {"id": str(rng.randrange(6 * 10**18, 7 * 10**18)), "name": f"viewer_{rng.randrange(10**5)}"}
    return from_dict({"type": kind, "platform": "tiktok", "room": ROOM, "message_id": str(7 * 10**18 + n),
                      "user": user, "platform_ts": 1_764_700_000 + n / 100, **fields})


def build_frames(messages: int, per_frame: int = 25, seed: int = 11) -> list[bytes]:
    """At least ``messages`` webcast messages in gzip'd ``msg`` frames."""
    rng = random.Random(seed)
    encoded: list[WebcastMessage] = []
    n = 0
    while len(encoded) < messages:
        encoded += webcast_messages(viewer_event(rng, n))
        n += 1
    return [msg_frame(Response(messages=encoded[i:i + per_frame], cursor=f"tc-{i + per_frame}", need_ack=True,
                               internal_ext=f"internal_src:dim|offset:{i}"), log_id=10_000 + i, seq_id=i)
            for i in range(0, len(encoded), per_frame)]


def decode_all(frames: list[bytes], rate: Decimal | None = Decimal("0.05")) -> tuple[int, int]:
    """(messages decoded, hub events built)."""
    messages = events = 0
    for data in frames:
        for message in decode_response(decode_frame(data)).messages:
            messages += 1
            if isinstance(webcast_event(message, rate), Event):
                events += 1
    return messages, events


async def run(messages: int, repeats: int = 3) -> dict[str, Any]:
    return measure(build_frames(messages), decode_all, repeats=repeats, warm_up=40)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.messages, args.repeats)), indent=1))


if __name__ == "__main__":
    main()
