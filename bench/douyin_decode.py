"""How fast Douyin's webcast frames decode: binary ``PushFrame`` → gunzip → ``Response`` → each message's
protobuf → a hub event, all of it (:mod:`hub.pushframe`, :func:`connectors.douyin.mapping.webcast_event`).

The frames are built by the stand-in's encoder from a realistic mix (70 % comments, 10 % likes, 10 %
enters, 5 % gifts, 5 % follows; Chinese text; 20 messages a frame, gzip'd as the platform sends them).
``value`` = messages decoded per second on one core (the runner pins the process); goal ≥ 50,000.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

from bench.decoding import measure
from connectors.douyin.mapping import webcast_event
from connectors.douyin.standin_encode import gift_streak, webcast_message
from hub.events import from_dict
from hub.pushframe import Response, decode_frame, decode_response, msg_frame

MIX = (("comment", 70), ("like", 10), ("enter", 10), ("gift", 5), ("follow", 5))
TEXTS = ("这个多少钱", "1号链接还有货吗", "主播好漂亮", "包邮吗？", "有没有优惠券", "宝宝们冲呀", "what size is the blue one")


def build_frames(messages: int, per_frame: int = 20, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    encoded = []
    for n in range(messages):
        kind = rng.choice(kinds)
        user = {"id": str(rng.randrange(10**9, 10**10)), "name": f"观众{rng.randrange(1000)}"}
        fields: dict[str, Any] = {"comment": {"text": rng.choice(TEXTS)}, "like": {"count": rng.randrange(1, 20)},
                                  "gift": {"gift": "小心心", "count": 1, "value": "1"}}.get(kind, {})
        event = from_dict({"type": kind, "platform": "douyin", "room": "7001", "message_id": str(10**12 + n),
                           "user": user, **fields})
        encoded.append(gift_streak(event)[-1].message if kind == "gift" else webcast_message(event).message)
    return [msg_frame(Response(messages=encoded[i:i + per_frame], cursor=f"t-{i}", need_ack=True), log_id=i)
            for i in range(0, len(encoded), per_frame)]


def decode_all(frames: list[bytes]) -> int:
    count = 0
    for data in frames:
        for message in decode_response(decode_frame(data)).messages:
            if webcast_event(message) is not None:
                count += 1
    return count


async def run(messages: int, repeats: int = 3) -> dict[str, Any]:
    return measure(build_frames(messages), decode_all, repeats=repeats)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    print(json.dumps(asyncio.run(run(parser.parse_args().messages)), indent=1))


if __name__ == "__main__":
    main()
