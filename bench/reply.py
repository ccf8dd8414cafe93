"""Reply latency: a viewer's comment in, the first audio sample of the host's answer out on the room timeline.

The room is what a show runs: a hub with triage (answer chain, guardrails review, speaking budget), a
:class:`hub.media.timeline.RoomTimeline` at 1280x720, 25 fps with the sprite host drawn every frame (a
frame subscriber that wants video, as an output does, without encoding), and the show runner's room
bridge (every voice ``Reply`` of the room goes to ``timeline.say``; see :mod:`bench.bridge`). Voice caches
are off, so every answer is synthesised.

One question at a time: the comment is published on the bus (time 0); the answer's line is found through
the reply's ``answers``; the sample is the moment the timeline hands out the first frame in which that line
is heard (:attr:`hub.media.playback.Line.first_frame`). Then the host is silenced and the next question is
asked in a fresh room bridged to the same timeline, so no sample waits behind another answer.

* :func:`first_audio` — ``reply_first_audio_p95_ms``: catalog backend, offline espeak voice.
* :func:`overhead` — ``reply_overhead_p95_ms``: the ``openai`` backend against :class:`bench.standins.
  LlmStandIn` (first token after 200 ms, 50 tokens/s) and the ``edge-tts`` voice against
  :class:`bench.standins.TtsStandIn` (first audio byte after 150 ms, the audio streamed at 4x real time,
  as the real service sends it); per sample, the first audio minus the
  time the stand-ins took: LLM first token + the rest of the first sentence + TTS first byte.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

from bench.bridge import FirstAudio, start_bridge
from bench.common import ROOM, bench_hub, isolated_cache_dir, percentile
from hub.events import Comment, StageChange, User

PLATFORM = "bench"
# Catalog-fact questions about the starter catalog's three products (link 1, 2, 3) and the shop: each
# a different aggregation key, so none is settled by an answer given just before.
FACT_QUESTIONS = ["1号链接多少钱", "2号还有货吗", "3号有优惠吗", "包邮吗？发什么快递", "1号还有货吗", "2号多少钱",
                  "3号围巾多少钱", "1号有优惠吗", "3号还有库存吗", "2号杯子有优惠吗"]
# Detail questions an LLM answers (not grounded in one catalog figure): 126 different texts, so none is
# answered from the answer cache (which keys detail questions on their wording).
SPEC_QUESTIONS = [f"{lead}{ref}{what}" for lead, what, ref in itertools.product(
    ["", "请问", "主播，"],
    ["保质期多久？", "产地是哪里？", "适合送人吗？", "什么材质的？", "尺寸多大？", "颜色有几种？", "怎么用？"],
    ["1号", "2号", "3号", "茶叶", "杯子", "围巾"])]


def _ms(values: list[float], q: float) -> float | None:
    value = percentile(values, q)
    return None if value is None else round(value * 1000, 1)


async def _sample_replies(data: dict[str, Any], voices: list[str], questions: list[str], samples: int,
                          *, after_sample: Callable[[int, float, float], None] | None = None,
                          fresh_answers: bool = False, warm_up: str = "你好，主播，3号链接多少钱？") -> dict[str, Any]:
    """Ask ``samples`` questions one at a time; returns latencies (s) and what went wrong.

    ``warm_up`` is asked first and not counted (the first answer after start opens connections);
    ``fresh_answers``: empty the answer cache before each question, so every answer is written anew."""
    from hub.media.rooms import build_timeline
    from plugins.triage.service import service_for

    isolated_cache_dir()
    latencies: list[float] = []
    failures: list[str] = []
    cold: float | None = None
    async with bench_hub(data) as hub:
        timeline = build_timeline(hub, ROOM, voices=voices, size=(1280, 720), fps=25)
        first_audio = FirstAudio(timeline)
        await timeline.start(hub)
        hub.create_task(first_audio.run(), name="bench:first-audio")
        await asyncio.sleep(1.0)  # the timeline is running, the first frames drawn
        kind = ""
        try:
            for n in range(-1, samples):  # -1: the first answer after start (builds the chain), not counted
                # Each question is asked in a room of its own, bridged to the one timeline: its triage
                # engine starts with a free voice, as after a quiet moment in a show, so no sample waits
                # for the speaking budget of the answer before it.
                room = f"{ROOM}-{n}"
                bridge, kind = await start_bridge(hub, timeline, room, first_audio.watch)
                await hub.publish(StageChange(platform="livehub", room=room, sku="TEA-001"))
                text = questions[n % len(questions)] if n >= 0 else warm_up
                comment = Comment(platform=PLATFORM, room=room, user=User(f"viewer{n}", f"观众{n}"),
                                  message_id=f"q{n}", text=text)
                if fresh_answers:
                    service_for(hub).chain_for().cache.clear()
                started = time.perf_counter()
                await hub.publish(comment)
                line = await bridge.line_for(comment.id, timeout=20.0)
                heard = await first_audio.heard(line, timeout=20.0) if line is not None else None
                if n < 0:
                    cold = None if heard is None else heard - started
                elif heard is None:
                    failures.append(f"{text!r}: {'no reply' if line is None else 'never heard'}")
                else:
                    latencies.append(heard - started)
                    if after_sample is not None:
                        after_sample(n, started, heard)
                # measured: silence the host (an urgent empty line cuts what is left) for the next sample
                cut = timeline.say("", urgent=True)
                await asyncio.wait_for(asyncio.shield(cut.done), 10)
                await bridge.stop()
                await asyncio.sleep(0.2)
        finally:
            await timeline.stop()
    return {"latencies": latencies, "failures": failures, "late_frames": timeline.late, "bridge": kind,
            "cold_first_answer_ms": None if cold is None else round(cold * 1000, 1)}


async def first_audio(samples: int) -> dict[str, Any]:
    data = {"backends": {"voice": {"espeak": {"cache": False}}}}
    result = await _sample_replies(data, ["espeak"], FACT_QUESTIONS, samples)
    latencies = result["latencies"]
    return {"value": _ms(latencies, 95), "samples": len(latencies), "p50_ms": _ms(latencies, 50),
            "max_ms": _ms(latencies, 100), "failures": result["failures"],
            "timeline_fell_behind": result["late_frames"], "backend": "catalog", "voice": "espeak",
            "cold_first_answer_ms": result["cold_first_answer_ms"],
            "bridge": result["bridge"]}


def standin_answer(body: dict[str, Any]) -> list[str]:
    """Three short sentences with no figure (nothing for the fact guard to fix), two characters a token;
    the last words vary per request so no two answers are the same text."""
    asked = sum(1 for m in body.get("messages", []) if m.get("role") == "user")
    sentences = ["这个问题问得好，很多朋友都关心。", "详情页里写得很清楚，大家可以点开看看。",
                 f"喜欢的话先加购物车，有问题随时问我{'哦呀啦嘛'[asked % 4]}！"]
    tokens: list[str] = []
    for sentence in sentences:
        tokens.extend(sentence[i:i + 2] for i in range(0, len(sentence), 2))
    return tokens


async def overhead(samples: int, first_token_s: float = 0.2, tokens_per_s: float = 50.0,
                   tts_first_byte_s: float = 0.15, tts_pace: float = 4.0) -> dict[str, Any]:
    from bench.standins import LlmStandIn, TtsStandIn

    llm = LlmStandIn(standin_answer, first_token_s=first_token_s, tokens_per_s=tokens_per_s)
    tts = TtsStandIn(first_byte_s=tts_first_byte_s, pace=tts_pace)
    await llm.start()
    await tts.start()
    overheads: list[float] = []
    parts: list[dict[str, float]] = []
    unmatched: list[int] = []

    def account(_n: int, started: float, heard: float) -> None:
        request = next((r for r in llm.requests if r.received >= started), None)
        said = request.sentence if request is not None else None
        speech = next((r for r in tts.requests if said is not None and r.received >= said), None)
        if request is None or speech is None or None in (request.first, request.sentence, speech.first):
            unmatched.append(_n)  # no LLM call or no speech request seen for this answer: not a sample
            return
        external = (request.first - request.received) + (request.sentence - request.first) + \
                   (speech.first - speech.received)
        overheads.append(heard - started - external)
        parts.append({"total": heard - started, "to_llm": request.received - started,
                      "llm_first_token": request.first - request.received,
                      "llm_first_sentence": request.sentence - request.first,
                      "llm_sentence_to_tts": speech.received - request.sentence,
                      "tts_first_byte": speech.first - speech.received, "tts_to_audio": heard - speech.first})

    data = {"backends": {"llm": {"default": "openai",
                                 "openai": {"base_url": llm.url, "model": "bench-standin", "max_tokens": 120}},
                         "voice": {"edge-tts": {"endpoint": tts.url, "cache": False}}},
            "plugins": {"triage": {"llm": ["openai"]}}}
    try:
        result = await _sample_replies(data, ["edge-tts"], SPEC_QUESTIONS, samples, after_sample=account,
                                       fresh_answers=True, warm_up="主播，这个茶叶是哪里产的？")
    finally:
        await llm.stop()
        await tts.stop()
    breakdown = {key: _ms([p[key] for p in parts], 50) for key in (parts[0] if parts else {})}
    worst = {key: round(value * 1000, 1) for key, value in max(parts, key=lambda p: p["total"]).items()} \
        if parts else {}
    return {"value": _ms(overheads, 95), "samples": len(overheads), "p50_ms": _ms(overheads, 50),
            "max_ms": _ms(overheads, 100), "first_audio_p95_ms": _ms(result["latencies"], 95),
            "median_breakdown_ms": breakdown, "slowest_breakdown_ms": worst, "failures": result["failures"], "unmatched_samples": unmatched,
            "llm_requests": len(llm.requests),
            "tts_requests": len(tts.requests), "timeline_fell_behind": result["late_frames"],
            "bridge": result["bridge"], "cold_first_answer_ms": result["cold_first_answer_ms"],
            "standins": {"llm_first_token_s": first_token_s, "tokens_per_s": tokens_per_s,
                         "tts_first_byte_s": tts_first_byte_s, "tts_pace_x_real_time": tts_pace}}
