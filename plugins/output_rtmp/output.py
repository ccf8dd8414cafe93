"""Push a room's frames to an RTMP ingest, reconnecting with backoff while the show goes on.

What platforms accept: FLV without duration/size header fields, H.264 yuv420p at a constant bitrate
with a keyframe every 2 s (``g = keyint_min = 2 × fps``, no scene-cut keyframes, no B-frames) and
``tune=zerolatency``, AAC-LC 48 kHz. Encoding runs in a worker thread.

The URL holds the stream key, so it is a secret: configure it as ``url = {env = "LIVEHUB_RTMP_URL"}``.
Every message this output writes shows it masked (``rtmp://host/live/**********``); FFmpeg's errors
quote the URL, so they pass through :meth:`RtmpOutput.mask` too.

Each attempt first probes the ingest from asyncio (:mod:`plugins.output_rtmp.probe`): FFmpeg connects
while holding the GIL, and must never meet an ingest that would keep it waiting.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.media.encoded_feed import PacketMuxer, encoded_feed, push_feed
from hub.media.encoder import EncoderSettings
from hub.media.output import LIVE, OutputBackend, mask_url
from hub.secrets import MASK, Secret, SecretValue
from plugins.output_rtmp.probe import probe_ingest


class RtmpSettings(BaseModel):
    """``[backends.output.rtmp]``."""

    model_config = ConfigDict(extra="forbid")

    url: Secret = Field(description='the ingest URL with its stream key: {env = "LIVEHUB_RTMP_URL"}')
    video_kbps: int = Field(2500, ge=200, le=50_000)
    audio_kbps: int = Field(128, ge=32, le=512)
    preset: str = "veryfast"
    keyframe_seconds: float = Field(2.0, gt=0, le=10)
    connect_timeout: float = Field(5.0, gt=0, description="seconds the ingest has to answer a connection")
    write_timeout: float = Field(10.0, gt=0, description="seconds a write may block before reconnecting")


class RtmpOutput(OutputBackend):
    """One push to one ingest. ``settings.url`` is a :class:`SecretValue`. Several targets of a room
    with the same encoding settings share one encoder (simulcast)."""

    name = "rtmp"
    consumes_frames = False
    backoff_base = 1.0
    backoff_cap = 30.0

    def __init__(self, settings: RtmpSettings, hub: Any = None, *, label: str | None = None) -> None:
        super().__init__(settings, hub, label=label)
        self.url = settings.url.get() if isinstance(settings.url, SecretValue) else str(settings.url)

    def target(self) -> str:
        return mask_url(self.url)

    def mask(self, text: str) -> str:
        text = text.replace(self.url, mask_url(self.url))
        key = self.url.rstrip("/").rpartition("/")[2]
        if len(key) >= 3:
            text = text.replace(key, MASK)
        return super().mask(text)

    def encoder_settings(self) -> EncoderSettings:
        timeline = self.timeline
        return EncoderSettings(fps=timeline.fps, size=timeline.size, video_bitrate=self.settings.video_kbps * 1000,
                               audio_bitrate=self.settings.audio_kbps * 1000, preset=self.settings.preset,
                               keyframe_seconds=self.settings.keyframe_seconds, cbr=True)

    async def _run(self, frames: Any) -> None:
        """Mux the room's shared encoding (:mod:`hub.media.encoded_feed`: encoded once for every target
        with these settings) into this ingest, from the next keyframe."""
        await probe_ingest(self.url, self.settings.connect_timeout)  # never let FFmpeg block on a dead ingest
        feed = encoded_feed(self.hub, self.timeline, self.encoder_settings())
        await push_feed(feed, lambda templates: PacketMuxer(self.url, "flv", templates,
                                                            {"flvflags": "no_duration_filesize"}),
                        name=f"rtmp-{self.room}-{self.label}", write_timeout=self.settings.write_timeout,
                        on_video=self._sent_video)

    def _sent_video(self) -> None:
        self.count_frames()
        if self.state != LIVE:
            self.set_live()
