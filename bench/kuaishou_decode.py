"""How fast Kuaishou's interactive-live poll answers decode: the gzip'd HTTP body → inflate → JSON →
each ``{"cmd", "payload"}`` item → a hub event, all of it (:func:`connectors.kuaishou.client.decode_poll`,
:func:`connectors.kuaishou.mapping.interactive_event`).

The answers are built by the stand-in's encoder from a realistic mix (70 % comments, 15 % likes, 8 % gifts,
7 % follows; Chinese text; 50 items an answer, gzip'd as the stand-in sends them to a client that accepts
gzip). ``value`` = messages decoded per second on one core (the runner pins the process); goal ≥ 50,000.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

from bench.decoding import measure
from connectors.kuaishou.client import decode_poll
from connectors.kuaishou.mapping import interactive_event
from connectors.kuaishou.standin import gzip_body, interactive_item, poll_body
from hub.events import from_dict

MIX = (("comment", 70), ("like", 15), ("gift", 8), ("follow", 7))
TEXTS = ("这个多少钱", "1号链接还有货吗", "主播好漂亮", "包邮吗？", "有没有优惠券", "宝宝们冲呀", "what size is the blue one")
GIFTS = (("棒棒糖", 1), ("玫瑰", 10), ("啤酒", 20), ("火箭", 5000))


def build_bodies(messages: int, per_answer: int = 50, seed: int = 11) -> list[bytes]:
    rng = random.Random(seed)
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    items = []
    for n in range(messages):
        kind = rng.choice(kinds)
        user = {"id": f"3x{rng.randrange(10**9, 10**10)}", "name": f"快手用户{rng.randrange(10000)}"}
        gift, price = rng.choice(GIFTS)
        count = rng.randrange(1, 4)
        fields: dict[str, Any] = {"comment": {"text": rng.choice(TEXTS)}, "like": {"count": rng.randrange(1, 20)},
                                  "gift": {"gift": gift, "count": count, "value": str(price * count)}}.get(kind, {})
        event = from_dict({"type": kind, "platform": "kuaishou", "room": "ks-8001", "message_id": f"m{10**12 + n}",
                           "user": user, **fields})
        items.append(interactive_item(event))
    return [gzip_body(poll_body(items[i:i + per_answer], f"pc-{i + per_answer}", 1000))
            for i in range(0, len(items), per_answer)]


def decode_all(bodies: list[bytes]) -> int:
    count = 0
    for body in bodies:
        for item in decode_poll(body, "gzip").items:
            if interactive_event(item) is not None:
                count += 1
    return count


async def run(messages: int, repeats: int = 3) -> dict[str, Any]:
    return measure(build_bodies(messages), decode_all, repeats=repeats)  # a frame: one long-poll answer


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    print(json.dumps(asyncio.run(run(parser.parse_args().messages)), indent=1))


if __name__ == "__main__":
    main()
