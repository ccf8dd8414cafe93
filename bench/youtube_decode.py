"""How fast YouTube's streamList responses decode: gRPC length-prefixed frame → gunzip →
``LiveChatMessageListResponse`` (the official proto, upb) → each ``LiveChatMessage`` → a hub event, all of it
(:func:`connectors.youtube.stream.grpc_frames`, :func:`connectors.youtube.mapping.message_event`).

The responses are built by the stand-in's encoder (:func:`connectors.youtube.standin_data.encode_event`)
from a realistic mix (80 % comments, 8 % super chats, 4 % super stickers, 4 % new members, 4 % membership
gifts; mixed Chinese and English text; 20 messages a response, gzip'd as gRPC message compression does).
``value`` = messages decoded per second on one core (the runner pins the process); goal ≥ 50,000.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

from bench.decoding import measure
from connectors.youtube import stream_list_pb2 as pb
from connectors.youtube.mapping import message_event
from connectors.youtube.standin_data import ChatLog, encode_event
from connectors.youtube.stream import decode_response, grpc_frame, grpc_frames
from hub.events import from_dict

MIX = (("comment", 80), ("super_chat", 8), ("sticker", 4), ("follow", 4), ("gift", 4))
TEXTS = ("这个多少钱", "1号链接还有货吗", "主播好漂亮", "包邮吗？", "有没有优惠券", "what size is the blue one",
         "does it ship to Canada?")


def build_frames(messages: int, per_response: int = 20, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    log = ChatLog("Cg0KChLiveBenchLiveChat", "hLiveBench01")
    wall = 1_796_000_000.0
    for n in range(messages):
        kind = rng.choice(kinds)
        user = {"id": f"UC{rng.randrange(10**12, 10**13)}", "name": f"viewer{rng.randrange(1000)}"}
        fields: dict[str, Any] = {
            "comment": {"type": "comment", "text": rng.choice(TEXTS)},
            "super_chat": {"type": "comment", "text": rng.choice(TEXTS), "paid": True, "amount": "4.99", "currency": "USD"},
            "sticker": {"type": "comment", "text": "", "paid": True, "amount": "200", "currency": "JPY"},
            "follow": {"type": "follow"},
            "gift": {"type": "gift", "gift": "membership:Gold", "count": rng.randrange(1, 20)}}[kind]
        event = from_dict({"platform": "youtube", "room": "hLiveBench01", "message_id": f"LCC.bench-{n}",
                           "user": user, **fields})
        log.add(encode_event(event, log.chat_id, wall + n * 0.05))
    frames = []
    for start in range(0, messages, per_response):
        end = min(messages, start + per_response)
        response = pb.LiveChatMessageListResponse(kind="youtube#liveChatMessageListResponse", etag=f"e{end}",
                                                  items=log.messages[start:end], next_page_token=log.token(end))
        frames.append(grpc_frame(response.SerializeToString(), compress=True))
    return frames


def decode_all(frames: list[bytes]) -> int:
    count = 0
    for frame in frames:
        for body in grpc_frames(frame):
            for message in decode_response(body).items:
                if message_event(message) is not None:
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
