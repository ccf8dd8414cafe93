"""The room to browsers over WebRTC (aiortc): one output per room, any number of viewers.

:class:`WebRTCOutput` reads the room's frames once and hands each to every connected viewer's tracks
(a 3-frame queue each, oldest dropped, so one slow viewer never holds up the others). The picture is
converted to the encoder's format once per frame, in a worker thread, and only while someone watches;
aiortc then encodes per viewer (VP8 or H.264, as the browser's offer prefers) in its own threads.

Timestamps come from the timeline's frame index, the same for sound and picture, so the browser plays
them in sync.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import secrets
import time
from collections import deque
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from pydantic import BaseModel, ConfigDict, Field

from hub.errors import BackendError
from hub.media.frames import SAMPLE_RATE
from hub.media.output import OutputBackend

log = logging.getLogger("livehub.media.webrtc")

VIDEO_CLOCK = 90_000


class WebRTCSettings(BaseModel):
    """``[backends.output.webrtc]``."""

    model_config = ConfigDict(extra="forbid")

    max_sessions: int = Field(8, ge=1, le=500, description="viewers per room; each costs an encode")
    max_width: int | None = Field(None, ge=160, description="scale the picture down to this width for browsers")
    ice_servers: list[str] = Field(default_factory=list, description="STUN/TURN URLs; empty on a LAN/localhost")
    connect_timeout: float = Field(30.0, gt=0, description="seconds a viewer may take to connect")


class FrameTrack(MediaStreamTrack):
    """A track fed by :meth:`push`; ``recv`` waits for the next frame (the timeline paces it)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._frames: deque[Any] = deque(maxlen=3)
        self._ready = asyncio.Event()

    def push(self, frame: Any) -> None:
        self._frames.append(frame)
        self._ready.set()

    async def recv(self) -> Any:
        while not self._frames:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        return self._frames.popleft()

    def stop(self) -> None:
        super().stop()
        self._ready.set()


class Viewer:
    """One browser: its peer connection and tracks; ``first`` is the first frame index it got."""

    def __init__(self, session: str, pc: RTCPeerConnection) -> None:
        self.session = session
        self.pc = pc
        self.video = FrameTrack("video")
        self.audio = FrameTrack("audio")
        self.first: int | None = None
        self.created = time.monotonic()

    def push(self, index: int, picture: Any, audio: np.ndarray, fps: int) -> None:
        if self.first is None:
            self.first = index
        n = index - self.first
        if picture is not None:
            video = av.VideoFrame.from_ndarray(picture, format="yuv420p")
            video.pts, video.time_base = n * VIDEO_CLOCK // fps, fractions.Fraction(1, VIDEO_CLOCK)
            self.video.push(video)
        sound = av.AudioFrame.from_ndarray(audio.reshape(1, -1), format="s16", layout="mono")
        sound.sample_rate = SAMPLE_RATE
        sound.pts, sound.time_base = n * audio.size, fractions.Fraction(1, SAMPLE_RATE)
        self.audio.push(sound)


class WebRTCOutput(OutputBackend):
    """A room's WebRTC viewers. Offers come in through :meth:`answer` (the signalling routes)."""

    name = "webrtc"
    queue_frames = 3

    def __init__(self, settings: WebRTCSettings | None = None, hub: Any = None, *, label: str | None = None) -> None:
        super().__init__(settings or WebRTCSettings(), hub, label=label)
        self.viewers: dict[str, Viewer] = {}

    def target(self) -> str:
        return f"{len(self.viewers)} viewer(s)"

    async def answer(self, offer_sdp: str) -> tuple[str, str]:
        """Accept a browser's SDP offer; return ``(session id, answer SDP)``."""
        settings: WebRTCSettings = self.settings
        if len(self.viewers) >= settings.max_sessions:
            raise BackendError(f"this room already has {settings.max_sessions} viewers", backend="webrtc")
        servers = [RTCIceServer(urls=url) for url in settings.ice_servers]
        pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
        viewer = Viewer(secrets.token_urlsafe(16), pc)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            for transceiver in pc.getTransceivers():
                track = viewer.video if transceiver.kind == "video" else viewer.audio
                transceiver.sender.replaceTrack(track)
                transceiver.direction = "sendonly"
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            await pc.close()
            raise BackendError(f"cannot answer this offer: {exc}", backend="webrtc") from None

        @pc.on("connectionstatechange")
        async def changed() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self.close_viewer(viewer.session)

        self.viewers[viewer.session] = viewer
        self._set_state(self.state, self.target())
        return viewer.session, pc.localDescription.sdp

    async def close_viewer(self, session: str) -> bool:
        viewer = self.viewers.pop(session, None)
        if viewer is None:
            return False
        viewer.video.stop()
        viewer.audio.stop()
        await viewer.pc.close()
        self._set_state(self.state, self.target())
        return True

    async def close_all(self) -> None:
        for session in list(self.viewers):
            await self.close_viewer(session)

    def _picture(self, rgb: np.ndarray) -> np.ndarray:
        """``rgb`` as yuv420p planes (scaled to ``max_width``), done once for every viewer."""
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        width = self.settings.max_width
        if width and frame.width > width:
            height = round(frame.height * width / frame.width / 2) * 2
            return frame.reformat(width=width, height=height, format="yuv420p").to_ndarray()
        return frame.reformat(format="yuv420p").to_ndarray()

    async def _run(self, frames: Any) -> None:
        self.set_live()
        try:
            async for frame in frames:
                if not self.viewers:
                    continue
                await self._expire()
                picture = None
                if frame.video.size:
                    picture = await asyncio.to_thread(self._picture, frame.video)
                for viewer in list(self.viewers.values()):
                    viewer.push(frame.index, picture, np.asarray(frame.audio, dtype=np.int16), self.timeline.fps)
        finally:
            await self.close_all()

    async def _expire(self) -> None:
        now = time.monotonic()
        for viewer in list(self.viewers.values()):
            if viewer.pc.connectionState != "connected" and now - viewer.created > self.settings.connect_timeout:
                log.info("webrtc viewer %s of room %s never connected; closing", viewer.session[:6], self.room)
                await self.close_viewer(viewer.session)
