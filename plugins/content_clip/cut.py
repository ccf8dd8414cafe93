"""Cut a window out of a recording into a vertical clip with burned-in captions (plain synchronous code: the
generator runs it in a worker thread).

The cut is frame-accurate: the source is sought to the keyframe before the window and decoded from there,
frames before the start are dropped and every kept frame is encoded again (an MP4 cut at a keyframe would
start up to a GOP early). The picture is the recording **above its caption band** (the live scene's own
captions, which a narrow crop would cut in half: the generator asks the room's scene where that band is,
``Scene.caption_box``), cropped to the clip's shape around ``center`` (a share of the recording's width: 0.4
is where the landscape scene stands the host) and scaled; under it a panel holds the captions of what the
host said in the window, drawn by the room's scene at the clip's size (``Scene.caption_image``), paged as
they are said.
Audio is the recording's, resampled to the timeline's 48 kHz mono, cut at the same sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hub.media.frames import SAMPLE_RATE, MediaFrame, samples_per_frame
from hub.recordings import Cue

PANEL_COLOR = (18, 16, 22)


@dataclass(frozen=True, slots=True)
class ClipShape:
    """The clip's size, the share of its height the caption panel takes, and where the crop is centred."""

    size: tuple[int, int]
    panel: float = 0.19
    center: float = 0.4

    def video_box(self) -> tuple[int, int]:
        width, height = self.size
        return width, height - self.panel_height()

    def panel_height(self) -> int:
        return 0 if self.panel <= 0 else max(2, round(self.size[1] * self.panel) // 2 * 2)


def crop_box(source: tuple[int, int], shape: ClipShape, caption_top: int | None = None) -> tuple[int, int, int, int]:
    """The part of a ``source``-sized frame the clip shows: above ``caption_top`` (the top of the scene's
    caption band; None: the whole height), the clip's video shape, centred on ``shape.center`` of the width
    (kept inside the frame)."""
    width, height = source
    video_w, video_h = shape.video_box()
    crop_h = min(height, caption_top if caption_top is not None and caption_top > 0 else height)
    crop_w = min(width, round(crop_h * video_w / video_h))
    if crop_w == width:  # a source narrower than the clip's shape: full width, less height
        crop_h = min(crop_h, round(width * video_h / video_w))
    left = round(width * shape.center - crop_w / 2)
    left = min(max(0, left), width - crop_w)
    return left, 0, left + crop_w, crop_h


class CaptionPanel:
    """The panel under the picture with the caption of the moment, drawn by ``scene`` (a
    :class:`hub.media.scene.Scene` of the clip's size, which caches each page it draws; None: no caption)."""

    def __init__(self, shape: ClipShape, cues: list[Cue], scene: Any = None) -> None:
        self.shape, self.cues, self.scene = shape, cues, scene

    def cue_at(self, t: float) -> Cue | None:
        return next((c for c in self.cues if c.start <= t < c.end), None)

    def draw(self, canvas: Any, t: float) -> None:
        """Draw the panel (and the caption shown at ``t`` clip seconds) on the PIL ``canvas``."""
        from PIL import ImageDraw

        width, height = self.shape.size
        top = height - self.shape.panel_height()
        ImageDraw.Draw(canvas).rectangle((0, top, width, height), fill=PANEL_COLOR)
        cue = self.cue_at(t)
        if cue is None or self.scene is None:
            return
        image = self.scene.caption_image(cue.value, (t - cue.start) / max(0.001, cue.end - cue.start))
        if image is not None:
            x = (width - image.width) // 2
            y = top + max(0, (height - top - image.height) // 2)
            canvas.paste(image, (x, y), image)


def read_audio(source: str, start: float, end: float) -> np.ndarray:
    """The recording's audio from ``start`` to ``end`` seconds as 48 kHz mono int16 (silence where it has
    none)."""
    import av

    want = round((end - start) * SAMPLE_RATE)
    out = np.zeros(want, dtype=np.int16)
    with av.open(source) as container:
        if not container.streams.audio:
            return out
        stream = container.streams.audio[0]
        container.seek(max(0, int((start - 1.0) / stream.time_base)), stream=stream)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            if frame.time > end:
                break
            at = round((frame.time - start) * SAMPLE_RATE)
            for chunk in resampler.resample(frame):
                samples = chunk.to_ndarray().reshape(-1)
                lo, hi = max(0, at), min(want, at + samples.size)
                if hi > lo:
                    out[lo:hi] = samples[lo - at:hi - at]
                at += samples.size
    return out


def cut_clip(source: str, out: Path, start: float, end: float, shape: ClipShape, captions: list[Cue], *,
             fps: int, video_kbps: int = 2500, cover_at: float = 1.0, caption_top: int | None = None,
             scene: Any = None) -> tuple[float, Any]:
    """Write ``start``..``end`` of ``source`` to ``out`` (MP4, H.264 + AAC, faststart) as a clip of
    ``shape``; ``captions`` in clip time, drawn by ``scene`` (see :class:`CaptionPanel`); the picture is
    cropped above ``caption_top`` (see :func:`crop_box`). Returns (seconds written, the cover picture at
    ``cover_at`` or None)."""
    import av
    from PIL import Image

    from hub.media.encoder import AVEncoder, EncoderSettings

    audio = read_audio(source, start, end)
    spf = samples_per_frame(fps)
    panel = CaptionPanel(shape, captions, scene)
    video_w, video_h = shape.video_box()
    settings = EncoderSettings(fps=fps, size=shape.size, video_bitrate=video_kbps * 1000, tune=None, cbr=False)
    encoder = AVEncoder(str(out), "mp4", settings, {"movflags": "+faststart"})
    written, cover, last = 0, None, -1
    try:
        with av.open(source) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            container.seek(max(0, int(start / stream.time_base)), stream=stream)
            box = crop_box((stream.codec_context.width, stream.codec_context.height), shape, caption_top)
            total = round((end - start) * fps)
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                index = round((frame.time - start) * fps)
                if index < 0 or index <= last:
                    continue
                if index >= total:
                    break
                picture = frame.to_image().crop(box).resize((video_w, video_h), Image.Resampling.BILINEAR)
                for at in range(last + 1, index + 1):  # a frame the recording lost (or the first ones):
                    canvas = Image.new("RGB", shape.size, PANEL_COLOR)  # the next picture, its own sound
                    canvas.paste(picture, (0, 0))
                    panel.draw(canvas, at / fps)
                    if cover is None and at >= cover_at * fps:
                        cover = canvas.copy()
                    encoder.write(MediaFrame(index=at, pts=at / fps, video=np.asarray(canvas),
                                             audio=audio[at * spf:(at + 1) * spf]))
                written, last = written + 1, index
    finally:
        encoder.close()
    return (last + 1) / fps if written else 0.0, cover
