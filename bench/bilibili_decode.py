"""Bilibili decode speed: WebSocket message → packets (16-byte headers) → brotli (ver 3) or zlib (ver 2) →
inner packets → JSON command (``cmd`` suffix stripped; base64 protobuf ``pb`` for the V2 commands) → a hub
event (:mod:`connectors.bilibili.client`, :func:`connectors.bilibili.mapping.to_events`), everything the
connector does to a frame before publishing.

Frames come from the stand-in's encoder (:mod:`connectors.bilibili.standin_encode`): web commands in a mix
of 65 % comments (``DANMU_MSG`` with its positional ``info`` array and ``extra`` JSON), 12 % likes, 10 %
enters and 5 % follows (half ``INTERACT_WORD``, half ``INTERACT_WORD_V2`` protobuf), 5 % viewer counts and
3 % gifts (half ``SEND_GIFT``, half ``SEND_GIFT_V2``), 20 commands a frame, brotli-compressed as the web
client receives them (``--framing zlib`` for the open platform's compression). ``value`` = messages
decoded per second on one core (median of the repeats, process CPU time); the goal is ≥ 50,000.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

from bench.decoding import measure
from connectors.bilibili.client import OP_COMMAND, command, unpack
from connectors.bilibili.mapping import to_events
from connectors.bilibili.standin_encode import encode_event, frame
from hub.events import Event, from_dict

ROOM = "21452505"
MIX = {"comment": 65, "like": 12, "enter": 10, "follow": 5, "stats": 5, "gift": 3}
TEXTS = ("这个多少钱", "1号链接还有货吗", "主播好看", "包邮吗？", "怎么下单", "哈哈哈哈哈", "[热]", "发什么快递",
         "有没有优惠券", "晚上好各位")
GIFTS = (("小花花", 100), ("辣条", 100), ("牛哇牛哇", 1000), ("小心心", 0))


def viewer_event(rng: random.Random, n: int) -> Event:
    kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
    name, gold = rng.choice(GIFTS)
    count = rng.randrange(1, 6)
    fields: dict[str, Any] = {
        "comment": {"text": rng.choice(TEXTS)}, "stats": {"viewers": rng.randrange(50, 5000)},
        "gift": {"gift": name, "count": count, "value": str(gold * count)}}.get(kind, {})
    user = {"id": str(rng.randrange(10**6, 10**9)), "name": f"观众_{rng.randrange(10**5)}"}
    return from_dict({"type": kind, "platform": "bilibili", "room": ROOM, "message_id": f"{n:016x}{rng.getrandbits(64):016x}",
                      "user": user, "platform_ts": 1_764_700_000 + n / 100, **fields})


def build_frames(messages: int, per_frame: int = 20, framing: str = "brotli", seed: int = 11) -> list[bytes]:
    """At least ``messages`` web commands in WebSocket messages of ``per_frame`` commands each."""
    rng = random.Random(seed)
    bodies = [body for n in range(messages) if (body := encode_event(viewer_event(rng, n), n).web) is not None]
    return [m for i in range(0, len(bodies), per_frame) for m in frame(bodies[i:i + per_frame], framing)]


def decode_all(frames: list[bytes]) -> tuple[int, int]:
    """(commands decoded, hub events built)."""
    messages = events = 0
    for data in frames:
        for packet in unpack(data):
            if packet.op != OP_COMMAND:
                continue
            messages += 1
            cmd, obj = command(packet.body)
            out = to_events(cmd, obj, packet.body)
            if isinstance(out, list):
                events += len(out)
    return messages, events


async def run(messages: int, repeats: int = 3, framing: str = "brotli") -> dict[str, Any]:
    return {**measure(build_frames(messages, framing=framing), decode_all,
                      repeats=repeats, warm_up=40), "framing": framing}


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--framing", choices=("brotli", "zlib", "concat", "single"), default="brotli")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.messages, args.repeats, args.framing)), indent=1))


if __name__ == "__main__":
    main()
