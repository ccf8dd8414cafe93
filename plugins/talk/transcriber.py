"""What the operator says on air, in words: cut into utterances at pauses, transcribed, shown, checked.

:class:`Segmenter` cuts a stream of 48 kHz audio into utterances by loudness: one starts when a 20 ms
block is louder than ``start_rms`` and ends after ``pause_s`` of quiet (or at ``max_s``). Each utterance
goes to the ASR backend (:func:`hub.asr.build_asr`) in order, one at a time; its transcript becomes the
host's caption, an audit entry (``operator`` ``talk``), and is reviewed by the guardrails like every line
the host says: a line they would block or change raises an :class:`~hub.events.OperatorAlert` to the
console and an audit entry ``talk_alert``. An ASR that fails is logged once per outage; talking goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from hub.events import HUB_PLATFORM, OperatorAlert
from hub.media.frames import SAMPLE_RATE
from hub.review import ReviewContext, review_output

log = logging.getLogger("livehub.talk")

BLOCK = SAMPLE_RATE // 50  # 20 ms


class Segmenter:
    """Audio in (``feed``), whole utterances out (the ``on_utterance`` callback)."""

    def __init__(self, on_utterance: Callable[[np.ndarray], None], *, start_rms: float = 0.02,
                 pause_s: float = 0.6, max_s: float = 15.0) -> None:
        self.on_utterance = on_utterance
        self.start_rms, self.pause, self.max = start_rms, int(pause_s * SAMPLE_RATE), int(max_s * SAMPLE_RATE)
        self._pending = np.zeros(0, dtype=np.int16)
        self._speech: list[np.ndarray] = []
        self._length = 0
        self._quiet = 0

    def feed(self, audio: np.ndarray) -> None:
        self._pending = np.concatenate([self._pending, np.asarray(audio, dtype=np.int16).reshape(-1)])
        while self._pending.size >= BLOCK:
            block, self._pending = self._pending[:BLOCK], self._pending[BLOCK:]
            loud = float(np.sqrt(np.mean(np.square(block / 32768.0)))) >= self.start_rms
            if not self._speech and not loud:
                continue
            self._speech.append(block)
            self._length += block.size
            self._quiet = 0 if loud else self._quiet + block.size
            if self._quiet >= self.pause or self._length >= self.max:
                self.flush()

    def flush(self) -> None:
        """End the utterance in progress (the operator stopped talking)."""
        if self._speech:
            audio = np.concatenate(self._speech)
            self._speech, self._length, self._quiet = [], 0, 0
            self.on_utterance(audio)


class Transcriber:
    """Transcribes a room's talk utterances in order (a task of its own) and acts on each transcript."""

    def __init__(self, hub: Any, room: str, asr: Any, set_caption: Callable[[str], None]) -> None:
        self.hub, self.room, self.asr, self.set_caption = hub, room, asr, set_caption
        self.transcripts: list[str] = []
        self.alerts = 0
        self.failing = False
        self._queue: asyncio.Queue[np.ndarray | None] = asyncio.Queue()
        self._task = hub.create_task(self._run(), name=f"talk:{room}:transcribe")

    def add(self, audio: np.ndarray) -> None:
        self._queue.put_nowait(audio)

    async def close(self) -> None:
        """Transcribe what is queued, then stop (bounded: an ASR that hangs is cancelled)."""
        self._queue.put_nowait(None)
        done, _ = await asyncio.wait({self._task}, timeout=30)
        if not done:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.asr is not None:
            await self.asr.aclose()

    async def _run(self) -> None:
        while (audio := await self._queue.get()) is not None:
            try:
                await self.handle(audio)
            except Exception as exc:  # one utterance's trouble never ends the talk
                self.hub.report_error(exc, f"talk:{self.room}")

    async def handle(self, audio: np.ndarray) -> None:
        from hub.errors import BackendError

        if self.asr is None:
            return
        try:
            transcript = await self.asr.transcribe(audio, SAMPLE_RATE)
        except BackendError as exc:
            if not self.failing:
                log.warning("room %s: the operator's words cannot be transcribed: %s", self.room, exc)
            self.failing = True
            return
        if self.failing:
            log.info("room %s: transcribing the operator's words again", self.room)
            self.failing = False
        text = transcript.text
        if not text:
            return
        self.transcripts.append(text)
        self.set_caption(text)
        if self.hub.storage is not None:
            await self.hub.storage.audit("operator", "talk", self.room,
                                         {"text": text, "seconds": round(audio.size / SAMPLE_RATE, 2)})
        locale = self.hub.rooms.ensure(self.room).locale
        outcome = await review_output(self.hub, text, ReviewContext(channel="voice", kind="talk", locale=locale,
                                                                    room=self.room, source="operator",
                                                                    catalog=self.hub.catalog(self.room)))
        if outcome.blocked or outcome.changed:
            await self.alert(text, outcome.reasons, blocked=outcome.blocked)

    async def alert(self, text: str, reasons: list[str], *, blocked: bool) -> None:
        self.alerts += 1
        what = "would be blocked" if blocked else "would be corrected"
        message = f"What you said on air {what} by the guardrails"
        self.hub.publish_nowait(OperatorAlert(platform=HUB_PLATFORM, room=self.room, kind="talk_guardrails",
                                              message=message, text=text, reasons=list(reasons)))
        if self.hub.storage is not None:
            await self.hub.storage.audit("guardrails", "talk_alert", self.room,
                                         {"text": text, "reasons": reasons, "blocked": blocked})
