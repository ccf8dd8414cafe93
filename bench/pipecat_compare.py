"""LiveHub against pipecat on the same LLM and TTS stand-ins (#12 item 5): comment → first audio.

Run by hand, not in CI (pipecat is not a LiveHub dependency)::

    .venv/bin/python bench/pipecat_compare.py [--samples 60] [--json OUT]

It makes pipecat's own virtual environment the first time (``.cache/bench-pipecat/venv``: pipecat-ai
with its OpenAI service, edge-tts, PyAV, aiohttp; PyPI must be reachable), starts the stand-ins of
``bench/reply.py``'s ``overhead`` (LLM: first token after 200 ms, 50 tokens/s, the same three-sentence
answers; TTS: the edge-tts protocol, first byte after 150 ms, audio at 4x real time), runs
``bench/pipecat_runner.py`` in that environment against them (text → first audio frame out of the
pipeline), then ``bench.reply.overhead`` (comment → first frame on air in a LiveHub room, which also
triages, reviews, records and draws the host) on the same machine minutes apart. For both, the overhead
is first audio minus what the stand-ins took (LLM first token + first sentence + TTS first byte), from
the stand-ins' own timestamps.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".cache" / "bench-pipecat" / "venv"
PIPECAT = "pipecat-ai[openai]==1.14.0"


def pipecat_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", PIPECAT, "edge-tts", "av", "aiohttp"], check=True)
    return python


def _ms(values: list[float], q: float) -> float | None:
    from bench.common import percentile

    return round(percentile(values, q) * 1000, 1) if values else None


async def run_pipecat(samples: int) -> dict[str, Any]:
    from bench.reply import standin_answer
    from bench.standins import LlmStandIn, TtsStandIn

    llm = LlmStandIn(standin_answer, first_token_s=0.2, tokens_per_s=50.0)
    tts = TtsStandIn(first_byte_s=0.15, pace=4.0)
    await llm.start()
    await tts.start()
    try:
        process = await asyncio.create_subprocess_exec(
            str(pipecat_python()), str(ROOT / "bench" / "pipecat_runner.py"), "--llm", llm.url, "--tts", tts.url,
            "--samples", str(samples), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
    finally:
        await llm.stop()
        await tts.stop()
    if process.returncode != 0:
        raise RuntimeError(f"the pipecat runner failed: {err.decode()[-2000:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    totals, overheads = [], []
    for sample in result["samples"]:
        started, heard = sample["started"], sample["first_audio"]
        request = next((r for r in llm.requests if r.received >= started), None)
        speech = next((r for r in tts.requests if request is not None and request.sentence is not None
                       and r.received >= request.sentence), None)
        if request is None or speech is None or None in (request.first, request.sentence, speech.first):
            continue
        external = (request.first - request.received) + (request.sentence - request.first) + \
                   (speech.first - speech.received)
        totals.append(heard - started)
        overheads.append(heard - started - external)
    return {"version": result["version"], "samples": len(overheads),
            "text_to_first_audio_p50_ms": _ms(totals, 50), "text_to_first_audio_p95_ms": _ms(totals, 95),
            "overhead_p50_ms": _ms(overheads, 50), "overhead_p95_ms": _ms(overheads, 95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.common import machine_info
    from bench.reply import overhead

    figures: dict[str, Any] = {"machine": machine_info(), "pipecat": asyncio.run(run_pipecat(args.samples))}
    livehub = asyncio.run(overhead(args.samples))
    figures["livehub"] = {"comment_to_first_audio_p95_ms": livehub["first_audio_p95_ms"],
                          "overhead_p50_ms": livehub["p50_ms"], "overhead_p95_ms": livehub["value"],
                          "samples": livehub["samples"]}
    figures["standins"] = livehub["standins"]
    text = json.dumps(figures, indent=1)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
