"""A talk session: the operator's microphone over WebRTC (aiortc) on air in place of the host's voice.

The browser sends one audio track (WHIP-style: ``POST`` an SDP offer, get the answer). Every frame that
arrives is downmixed to mono 16-bit, pushed into the room's :class:`~hub.media.live_voice.LiveVoice`
(on air from the next video frame, the mouth following its loudness) and into the
:class:`~plugins.talk.transcriber.Segmenter`, whose utterances the transcriber turns into captions,
audit entries and guardrail alerts. The session ends when the operator hangs up (``DELETE``), the
connection fails or never connects within ``connect_timeout``, or the hub stops; the host's voice then
comes back.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from hub.errors import BackendError
from hub.media.live_voice import LiveVoice
from plugins.talk.transcriber import Segmenter, Transcriber

log = logging.getLogger("livehub.talk")

CONNECT_TIMEOUT = 30.0


def mono(frame: Any) -> tuple[np.ndarray, int]:
    """An aiortc audio frame as mono int16 samples and their rate."""
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if frame.format.is_planar:
        samples = data.reshape(channels, -1)
    else:
        samples = data.reshape(-1, channels).T
    if samples.dtype != np.int16:  # float formats: -1..1
        samples = np.clip(samples * 32767.0, -32768, 32767)
    return samples.astype(np.float64).mean(axis=0).astype(np.int16), frame.sample_rate


@dataclass
class RoomTalk:
    """The talk session of a room (``room.slots``): one talker at a time."""

    session: TalkSession | None = None


class TalkSession:
    """One operator talking on one room's timeline."""

    def __init__(self, hub: Any, room: str, timeline: Any, asr: Any) -> None:
        self.hub, self.room, self.timeline = hub, room, timeline
        self.id = secrets.token_urlsafe(16)
        self.live = LiveVoice()
        self.transcriber = Transcriber(hub, room, asr, self._caption)
        self.segmenter = Segmenter(self.transcriber.add)
        self.pc = RTCPeerConnection()
        self.created = time.monotonic()
        self.frames = 0
        self.closed = asyncio.Event()
        self._reader: asyncio.Task[Any] | None = None
        self._watchdog: asyncio.Task[Any] | None = None

    def _caption(self, text: str) -> None:
        self.live.caption = text

    async def answer(self, offer_sdp: str) -> str:
        """Accept the browser's offer (it must send audio); the answer SDP. The voice goes on air now."""
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            audio = [t for t in self.pc.getTransceivers() if t.kind == "audio"]
            if not audio:
                raise ValueError("the offer sends no audio")
            for transceiver in self.pc.getTransceivers():
                transceiver.direction = "recvonly" if transceiver.kind == "audio" else "inactive"
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        except Exception as exc:
            await self.pc.close()
            raise BackendError(f"cannot answer this offer: {exc}", backend="talk") from None
        track = audio[0].receiver.track
        self._reader = self.hub.create_task(self._read(track), name=f"talk:{self.room}:audio")
        self._watchdog = self.hub.create_task(self._watch(), name=f"talk:{self.room}:watchdog")

        @self.pc.on("connectionstatechange")
        async def changed() -> None:
            if self.pc.connectionState in ("failed", "closed"):
                await self.close("the connection " + self.pc.connectionState)

        self.timeline.go_live(self.live)
        log.info("room %s: the operator is talking on air", self.room)
        return self.pc.localDescription.sdp

    async def _read(self, track: Any) -> None:
        try:
            while True:
                frame = await track.recv()
                samples, rate = mono(frame)
                self.live.push(samples, rate)
                if rate != 48_000:
                    from hub.media.pcm import resample

                    samples = resample(samples, rate)
                self.segmenter.feed(samples)
                self.frames += 1
        except MediaStreamError:
            await self.close("the microphone stopped")

    async def _watch(self) -> None:
        await asyncio.sleep(CONNECT_TIMEOUT)
        if self.pc.connectionState != "connected":
            await self.close("the browser never connected")

    async def close(self, reason: str = "hung up") -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        self.timeline.end_live(self.live)
        for task in (self._reader, self._watchdog):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self.segmenter.flush()
        await self.pc.close()
        await self.transcriber.close()
        found = self.hub.rooms.get(self.room)
        held = found.slots.get(RoomTalk) if found is not None else None
        if held is not None and held.session is self:
            held.session = None
        log.info("room %s: the operator stopped talking (%s; %d transcript(s), %d alert(s))", self.room, reason,
                 len(self.transcriber.transcripts), self.transcriber.alerts)

    def status(self) -> dict[str, Any]:
        return {"session": self.id, "frames": self.frames, "played_s": round(self.live.played / 48_000, 2),
                "transcripts": len(self.transcriber.transcripts), "alerts": self.transcriber.alerts,
                "connection": self.pc.connectionState}
