"""The pipecat side of ``bench/pipecat_compare.py``: run inside pipecat's own virtual environment.

It imports pipecat, edge-tts, PyAV and the standard library only, never the hub. A pipeline of pipecat's
OpenAI LLM service (pointed at the LLM stand-in), a TTS service speaking the edge-tts protocol to the TTS
stand-in (decoding each MP3 chunk with PyAV as it streams in, as pipecat's own streaming services hand
over audio) and a sink that notes when the first audio frame of each answer comes out. For each sample a
question is sent as a fresh LLM context; the time is ``time.perf_counter`` (the system's monotonic clock,
comparable with the stand-ins' timestamps in the other process). Prints one JSON object.

    python bench/pipecat_runner.py --llm URL --tts URL --samples N
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import av
import edge_tts
import edge_tts.communicate
import edge_tts.constants
from pipecat.frames.frames import Frame, LLMContextFrame, LLMFullResponseEndFrame, TTSAudioRawFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.runner import PipelineRunner
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.openai.llm import OpenAILLMService
from pipecat.services.tts_service import TTSService

QUESTIONS = ["主播，这个茶叶是哪里产的？", "这个杯子是什么材质的？", "围巾是纯桑蚕丝吗？", "蜂蜜是哪里产的？"]


class EdgeProtocolTTS(TTSService):
    """TTS over the edge-tts WebSocket protocol (the stand-in), MP3 decoded chunk by chunk."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(sample_rate=24_000, **kwargs)
        separator = "&" if "?" in url else "?"
        edge_tts.communicate.WSS_URL = f"{url}{separator}TrustedClientToken={edge_tts.constants.TRUSTED_CLIENT_TOKEN}"

    async def run_tts(self, text: str, context_id: str):
        codec = av.CodecContext.create("mp3", "r")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=self.sample_rate)
        communicate = edge_tts.Communicate(text, "zh-CN-XiaoxiaoNeural")
        async for chunk in communicate.stream():
            if chunk["type"] != "audio":
                continue
            pcm = bytearray()
            for packet in codec.parse(chunk["data"]):
                for decoded in codec.decode(packet):
                    for out in resampler.resample(decoded):
                        pcm.extend(out.to_ndarray().tobytes())
            if pcm:
                await self.stop_ttfb_metrics()
                yield TTSAudioRawFrame(bytes(pcm), self.sample_rate, 1, context_id=context_id)


class FirstAudio(FrameProcessor):
    """Notes the first audio frame after each question, and the end of each answer."""

    def __init__(self) -> None:
        super().__init__()
        self.first: float | None = None
        self.done = asyncio.Event()
        self.heard = asyncio.Event()

    def reset(self) -> None:
        self.first = None
        self.done.clear()
        self.heard.clear()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, TTSAudioRawFrame) and self.first is None:
            self.first = time.perf_counter()
            self.heard.set()
        if isinstance(frame, LLMFullResponseEndFrame):
            self.done.set()
        await self.push_frame(frame, direction)


async def main(llm_url: str, tts_url: str, samples: int) -> dict[str, Any]:
    llm = OpenAILLMService(api_key="bench", base_url=llm_url,
                           settings=OpenAILLMService.Settings(model="bench-standin"))
    tts = EdgeProtocolTTS(tts_url)
    sink = FirstAudio()
    worker = PipelineWorker(Pipeline([llm, tts, sink]), params=PipelineParams(audio_out_sample_rate=24_000),
                            idle_timeout_secs=None, enable_rtvi=False)
    runner = PipelineRunner(handle_sigint=False)
    running = asyncio.create_task(runner.run(worker))
    out: list[dict[str, float]] = []
    try:
        for n in range(samples + 1):  # the first one warms the connections up and is not counted
            sink.reset()
            context = LLMContext([{"role": "system", "content": "你是直播间主播，简短回答。"},
                                  {"role": "user", "content": QUESTIONS[n % len(QUESTIONS)]}])
            started = time.perf_counter()
            await worker.queue_frame(LLMContextFrame(context))
            await asyncio.wait_for(sink.done.wait(), 30)
            await asyncio.wait_for(sink.heard.wait(), 10)
            if n and sink.first is not None:
                out.append({"started": started, "first_audio": sink.first})
            await asyncio.sleep(2.5)  # the answer finishes speaking before the next question
    finally:
        await worker.cancel()
        await asyncio.gather(running, return_exceptions=True)
    import pipecat

    return {"version": getattr(pipecat, "__version__", "?"), "samples": out}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", required=True)
    parser.add_argument("--tts", required=True)
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.llm, args.tts, args.samples))))
