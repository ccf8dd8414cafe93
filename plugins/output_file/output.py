"""Record a room's frames to an MP4 file: H.264 + AAC, ``faststart`` (the index at the front, so the
file plays while it downloads).

The path is a template: ``{room}`` and ``{start}`` (the local start time, ``20250101-200000``) are
filled in, relative paths are taken from the config file's folder. A failed attempt (disk full, folder
gone) is retried into a new file; a file is complete once the output stops (the MP4 index is written
at the end).

Each file is a recording (``hub/recordings.py``): its row in ``recordings`` maps the file's time to the
show's wall-clock time and keeps the captions and product cards shown, which live clips are cut by; with
``captions`` (the default) the captions are also written beside the file as WebVTT (``<name>.vtt``).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.media.encoder import AVEncoder, EncoderSettings, ThreadedEncoder
from hub.media.output import LIVE, OutputBackend
from hub.recordings import RecordingTrack, close_recording, open_recording, to_vtt


class FileSettings(BaseModel):
    """``[backends.output.file]``."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field("recordings/{room}-{start}.mp4", description="where to write; {room} and {start} are filled in")
    video_kbps: int = Field(2500, ge=200, le=50_000)
    audio_kbps: int = Field(128, ge=32, le=512)
    preset: str = "veryfast"
    captions: bool = Field(True, description="write what the host said beside the file as WebVTT (<name>.vtt)")


def recording_path(template: str, room: str, base: Path, when: float | None = None) -> Path:
    """The file for ``room`` started at ``when``; never one that exists already."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when))
    path = Path(template.format(room=room, start=stamp)).expanduser()
    path = path if path.is_absolute() else base / path
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


class FileOutput(OutputBackend):
    name = "file"
    backoff_base = 2.0
    backoff_cap = 60.0

    def __init__(self, settings: FileSettings | None = None, hub: Any = None, *, label: str | None = None) -> None:
        super().__init__(settings or FileSettings(), hub, label=label)
        self.path: Path | None = None

    def target(self) -> str:
        return str(self.path or self.settings.path)

    async def _run(self, frames: Any) -> None:
        base = self.hub.config.path.parent if self.hub is not None and self.hub.config.path else Path.cwd()
        self.path = recording_path(self.settings.path, self.room, base)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        timeline, s = self.timeline, self.settings
        settings = EncoderSettings(fps=timeline.fps, size=timeline.size, video_bitrate=s.video_kbps * 1000,
                                   audio_bitrate=s.audio_kbps * 1000, preset=s.preset, tune=None, cbr=False)
        path = str(self.path)
        track, recording_id, complete = RecordingTrack(timeline.fps), None, False
        try:
            async with ThreadedEncoder(lambda: AVEncoder(path, "mp4", settings, {"movflags": "+faststart"}),
                                       name=f"file-{self.room}") as encoder:
                async for frame in frames:
                    await encoder.write(frame)
                    track.add(frame)
                    if self.state != LIVE:
                        self.set_live()
                        recording_id = await open_recording(self.hub, self.room, path, fps=timeline.fps,
                                                            size=timeline.size, started_ts=track.started_ts)
            complete = track.first_index is not None
        finally:
            await self._close_track(track, recording_id, complete)

    async def _close_track(self, track: RecordingTrack, recording_id: int | None, complete: bool) -> None:
        await close_recording(self.hub, recording_id, track, complete=complete)
        if complete and self.settings.captions and self.path is not None:
            try:
                await asyncio.to_thread(self.path.with_suffix(".vtt").write_text, to_vtt(track.captions),
                                        encoding="utf-8")
            except OSError as exc:
                self.detail = f"captions not written: {exc}"
