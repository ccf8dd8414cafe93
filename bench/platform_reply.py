"""Platform in → reply out: a viewer's price question asked on a platform's stand-in, to the host's answer
leaving the hub for that platform.

Each platform runs its real connector against its stand-in (loopback), with the starter catalog and
triage's catalog answers (no LLM). Time 0 is just before the question is handed to the stand-in's control
API (which puts it on the wire at once: a WebSocket frame, a signed push); the sample ends when the answer
comes out: for a platform with bot chat, the chat message arriving at the stand-in; for one without (Douyin; TikTok unless `send_chat`),
the voice ``Reply`` that names the asker, published on the hub's bus (what the room's speech starts from).
Questions go one at a time with distinct aggregation keys (``bench.reply.FACT_QUESTIONS``), after a
first one (the hub's first answer warms up) that is not counted; triage is told the host speaks instantly (a speech estimator of
0 s: the voice is free again at once, as after a quiet moment in a show) and every round starts a fresh hub,
so no sample waits for the speaking time of the answer before it or for a chat rate limit.

``value`` = the worst platform's p95 in ms (goal ≤ 100), per-platform figures in the details.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import percentile
from bench.reply import FACT_QUESTIONS
from hub.app import Hub
from hub.config import load_config
from hub.events import Comment, Reply, User
from hub.plugins import BUILTIN_PLUGINS
from plugins.triage.service import service_for

STARTER = Path(__file__).resolve().parent.parent / "hub" / "starter" / "catalog.json"


def _douyin() -> tuple[Any, dict[str, Any], Callable[[Any], None]]:
    from connectors.douyin.standin import DouyinStandin

    return DouyinStandin(mode="webcast"), {"heartbeat_s": 1.0}, lambda hub: None


def _tiktok() -> tuple[Any, dict[str, Any], Callable[[Any], None]]:
    from connectors.tiktok.standin import TikTokStandin

    return TikTokStandin(), {}, lambda hub: None


def _bilibili() -> tuple[Any, dict[str, Any], Callable[[Any], None]]:
    from connectors.bilibili.standin import BilibiliStandin

    # web mode answers in chat; Bilibili allows about one message in four seconds, so the stand-in's limit
    # is lowered to 0.02 s and the connector sends 20 a second, one at a time: the figure is the hub's path
    return BilibiliStandin(mode="web", chat_interval="0.02", chat_max_chars="40"), {
        "chat_rate_per_s": 20.0, "chat_burst": 1, "chat_max_chars": 40}, lambda hub: None


def _twitch() -> tuple[Any, dict[str, Any], Callable[[Any], None]]:
    from connectors.twitch.standin import TwitchStandin

    # a moderator bot (100 messages in 30 s): the questions come faster than the 20 of an ordinary account
    return TwitchStandin(chat_limit="100"), {"chat_limit_per_30s": 100}, lambda hub: None


PLATFORMS: dict[str, Callable[[], tuple[Any, dict[str, Any], Callable[[Any], None]]]] = {
    "douyin": _douyin, "tiktok": _tiktok, "bilibili": _bilibili, "twitch": _twitch}
"""Per platform: (stand-in, extra connector settings, called with the started hub)."""


async def _round(name: str, questions: list[str], folder: Path) -> list[float]:
    standin, extra, on_start = PLATFORMS[name]()
    samples: list[float] = []
    async with standin:
        table = {**standin.connector_config(room="main"), **extra}
        config = {"hub": {"database_url": f"sqlite+aiosqlite:///{folder / f'{name}.db'}"},
                  "web": {"enabled": True, "port": 0},
                  "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER)}, name: table},
                  "rooms": {"main": {"locale": "zh-CN"}}}
        hub = Hub(load_config(data=config, env=False), builtins=BUILTIN_PLUGINS, autoload=False).build()
        await hub.start()
        try:
            on_start(hub)
            # the host "speaks" instantly: no answer waits for the speaking time of the one before (what
            # that costs is the speaking budget's business; see docs/conversation.md)
            service_for(hub).use_speech_estimator(lambda text, locale: 0.0)
            connector = hub.connectors[name]
            if not await connector.wait_ready(15):
                raise RuntimeError(f"{name}: {connector.status()}")
            replies: list[Reply] = []
            hub.bus.subscribe("bench-replies", replies.append, types={"reply"})
            control = standin.control()
            for n, text in enumerate(questions):  # the first answer of a hub is not counted (it warms up)
                message_id = str(7_000_000 + n)
                seen = len(standin.sent("chat"))
                started = time.time()
                await control.post_events(Comment(platform=name, room=standin.default_room, text=text,
                                                  user=User(str(900 + n), f"观众{n}"), message_id=message_id))
                answered = await _answered(standin, replies, seen, message_id, chat=connector.can_send_chat)
                if n:
                    samples.append(answered - started)
                await asyncio.sleep(0.3)
        finally:
            await hub.stop()
    return samples


async def _answered(standin: Any, replies: list[Reply], seen: int, message_id: str, *, chat: bool,
                    timeout: float = 30.0) -> float:
    """When the answer to ``message_id`` came out: the chat message at the stand-in, or the voice reply."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if chat:
            sent = standin.sent("chat")[seen:]
            if sent:
                return float(sent[0]["at"])
        else:
            for reply in replies:
                if any(asker.message_id == message_id for asker in reply.askers):
                    return reply.received_ts
        await asyncio.sleep(0.002)
    raise TimeoutError(f"no answer to {message_id} in {timeout:g} s")


async def run(rounds: int, platforms: str = "") -> dict[str, Any]:
    names = [p for p in platforms.split(",") if p] or list(PLATFORMS)
    details: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="livehub-bench-") as tmp:
        for name in names:
            samples: list[float] = []
            for index in range(rounds):
                samples += await _round(name, FACT_QUESTIONS, Path(tmp) / f"r{index}")
            details[name] = {"samples": len(samples), "p50_ms": _ms(samples, 50), "p95_ms": _ms(samples, 95),
                             "max_ms": _ms(samples, 100)}
    worst = max((d["p95_ms"] for d in details.values()), default=None)
    return {"value": worst, "platforms": details}


def _ms(values: list[float], q: float) -> float | None:
    value = percentile(values, q)
    return None if value is None else round(value * 1000, 1)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--platforms", default="", help="comma-separated; default: all")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.rounds, args.platforms)), indent=1))


if __name__ == "__main__":
    main()
