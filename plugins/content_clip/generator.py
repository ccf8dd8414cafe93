"""The live clip generator: the moments a product was on stage in a recorded show (plugins/content_clip/windows.py),
cut into vertical clips with burned-in captions (plugins/content_clip/cut.py), newest show first, one clip per
variant. The clip's text is what the host said in it (reviewed again by the campaign like any piece, against the
catalog of now), its title the product's name.

Cuts are CPU work: at most ``workers`` run at a time in the hub (shared with no other kind), each in a worker
thread, so a campaign never holds up a live room's event loop. A window already cut (same recording, same times,
same settings) is not cut again.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.outbound import SAFE_NAME, VARIANT_NAMES, ContentGenerator, ContentPiece, ContentRequest
from plugins.content_clip.cut import ClipShape, cut_clip
from plugins.content_clip.windows import ClipWindow, windows_for


class LiveClipSettings(BaseModel):
    """``[backends.content.live_clip]``."""

    model_config = ConfigDict(extra="forbid")

    size: str = Field("720x1280", description="the clip's WIDTHxHEIGHT (vertical by default)")
    min_s: float = Field(15.0, ge=3, le=600, description="shortest clip: a shorter stage runs on to reach it")
    max_s: float = Field(60.0, ge=5, le=600, description="longest clip (ends at the last caption that fits)")
    lead_s: float = Field(0.0, ge=0, le=10, description="seconds kept before the stage change")
    center: float = Field(0.4, ge=0, le=1, description="where across the recording the crop is centred "
                                                       "(0.4: the host of the landscape scene)")
    panel: float = Field(0.19, ge=0, le=0.5, description="share of the height under the picture for captions")
    lookback_days: float = Field(30.0, gt=0, description="how far back recordings are looked for")
    video_kbps: int = Field(2500, ge=200, le=20_000)
    folder: str = Field("media", description="where clips go (relative: to the config file's folder)")
    workers: int = Field(1, ge=1, le=8, description="cuts at a time in the hub")
    variants: int = Field(1, ge=1, le=4, description="clips per product (each from an older moment)")

    @field_validator("size")
    @classmethod
    def _size(cls, value: str) -> str:
        from hub.media.rooms import parse_size

        parse_size(value)
        return value

    @model_validator(mode="after")
    def _range(self) -> LiveClipSettings:
        if self.max_s < self.min_s:
            raise ValueError(f"max_s ({self.max_s}) is shorter than min_s ({self.min_s})")
        return self


class LiveClipGenerator(ContentGenerator):
    name = "live_clip"
    kind = "live_clip"
    timeout_s = 1800.0
    config: LiveClipSettings

    async def windows(self, request: ContentRequest) -> list[ClipWindow]:
        c = self.config
        found = await windows_for(self.hub, request.product.sku, min_s=c.min_s, max_s=c.max_s, lead_s=c.lead_s,
                                  lookback_days=c.lookback_days)
        return found[:min(request.variants, c.variants)]

    async def edition(self, request: ContentRequest) -> str:
        return ",".join(w.key for w in await self.windows(request))

    async def generate(self, request: ContentRequest) -> list[ContentPiece]:
        from hub.media.rooms import parse_size

        shape = ClipShape(parse_size(self.config.size), panel=self.config.panel, center=self.config.center)
        pieces = []
        for n, window in enumerate(await self.windows(request)):
            recording = window.recording
            captions = recording.captions_between(window.start, window.end)
            name = (f"{SAFE_NAME.sub('_', request.product.sku)}-clip-{recording.id}-{round(window.start * 1000)}-"
                    f"{self.config.size}.mp4")
            out = self.media_folder(request.campaign) / name
            made = out.with_suffix(".json")  # what the clip was cut from: the same cut is not made again
            manifest = {"recording": recording.id, "source": recording.path, "start": window.start,
                        "end": window.end, "stage_ts": window.stage_ts, "settings": self.config.model_dump()}
            seconds = await asyncio.to_thread(_made, made, out, manifest)
            if seconds is None:
                async with self.render_slots():
                    await asyncio.to_thread(out.parent.mkdir, parents=True, exist_ok=True)
                    seconds, cover = await asyncio.to_thread(
                        cut_clip, recording.path, out, window.start, window.end, shape, captions,
                        fps=recording.fps, video_kbps=self.config.video_kbps, **self.scenes(recording, shape))
                if cover is not None:
                    await asyncio.to_thread(cover.save, out.with_suffix(".jpg"), "JPEG", quality=85)
                await asyncio.to_thread(_write_captions, out.with_suffix(".vtt"), captions)
                await asyncio.to_thread(made.write_text, json.dumps({**manifest, "seconds": seconds}), "utf-8")
            said = " ".join(c.value for c in captions)
            cover_path = out.with_suffix(".jpg")
            pieces.append(ContentPiece(
                VARIANT_NAMES[n], request.product.name, f"{said} {request.link}".strip(),
                data={"videos": {self.config.size: str(out)},
                      "cover": str(cover_path) if cover_path.exists() else "",  # noqa: ASYNC240 - a stat
                      "captions": str(out.with_suffix(".vtt")), "seconds": round(seconds, 2),
                      "clip": {"recording": recording.id, "source": recording.path, "room": recording.room,
                               "start": window.start, "end": window.end, "stage_ts": window.stage_ts}}))
        return pieces


    def scenes(self, recording: Any, shape: ClipShape) -> dict[str, Any]:
        """What the cut needs of the recorded room's scene (as configured now): the top of its caption band at the
        recording's size (the crop stays above it) and the scene at the clip's size (it draws the captions);
        the default scene when the room's cannot draw the clip's shape."""
        from hub.errors import BackendError
        from hub.media.rooms import build_scene

        found: dict[str, Any] = {"caption_top": None, "scene": None}
        try:
            box = build_scene(self.hub, recording.room, size=tuple(recording.size)).caption_box
            found["caption_top"] = box.y if box is not None else None
        except (ValueError, BackendError):
            pass
        for room in (recording.room, None):
            try:
                found["scene"] = build_scene(self.hub, room, size=shape.size)
                break
            except (ValueError, BackendError):
                continue
        return found


def _made(manifest_path: Path, video: Path, manifest: dict) -> float | None:
    """The clip's length if ``video`` was cut for ``manifest`` already, else None."""
    if not (manifest_path.is_file() and video.is_file()):
        return None
    try:
        made = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    seconds = made.pop("seconds", None)
    return float(seconds) if made == json.loads(json.dumps(manifest)) and seconds else None


def _write_captions(path: Path, captions: list) -> None:
    from hub.recordings import to_vtt

    path.write_text(to_vtt(captions), encoding="utf-8")
