"""The pitch video generator: the product's spoken pitch (prompt template ``pitch.j2``, reviewed by the
guardrails *before* it is spoken: a line they block is never rendered) said by the host on the core's media
pipeline — voice, avatar, product card, captions — and encoded to MP4 (H.264 + AAC, faststart) once per size,
with a JPEG cover from the frame one second in. Files go to ``<folder>/<campaign>/``; a video whose words
are unchanged is not rendered again (the items of one product for several channels share it).

Renders are CPU work: at most ``workers`` run at a time in the hub (a semaphore shared by every campaign), and
each yields to the event loop between frames, so a big campaign never starves a live room.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.outbound import SAFE_NAME, VARIANT_NAMES, ContentGenerator, ContentPiece, ContentRequest
from hub.prompts import prompt_library
from hub.review import ReviewContext, review_output


class PitchVideoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sizes: list[str] = Field(default_factory=lambda: ["1080x1920", "1280x720"], min_length=1,
                             description="the videos made per item, WIDTHxHEIGHT (vertical first)")
    fps: int = Field(25, ge=5, le=60)
    video_kbps: int = Field(2500, ge=200, le=20_000)
    folder: str = Field("media", description="where videos go (relative: to the config file's folder)")
    workers: int = Field(1, ge=1, le=8, description="renders at a time in the hub")
    variants: int = Field(1, ge=1, le=4, description="videos per product (each variant a different pitch)")


class PitchVideoGenerator(ContentGenerator):
    name = "pitch_video"
    kind = "pitch_video"
    timeout_s = 1800.0
    config: PitchVideoSettings

    async def generate(self, request: ContentRequest) -> list[ContentPiece]:
        product, shop = request.product, request.shop
        library = prompt_library(self.hub)
        pieces = []
        for n in range(min(request.variants, self.config.variants)):
            text = library.render("pitch.j2", request.locale, product=product, shop=shop,
                                  currency=getattr(shop, "currency", "CNY")).strip()
            context = ReviewContext(channel="voice", kind="pitch", locale=request.locale, source="campaign",
                                    catalog=self.hub.catalog(), stage_sku=product.sku, skus=[product.sku])
            outcome = await review_output(self.hub, text, context)
            if outcome.text is None:  # never rendered: the item is blocked with the reasons
                pieces.append(ContentPiece(VARIANT_NAMES[n], product.name, text, data={"blocked": outcome.reasons}))
                continue
            videos, cover, seconds = {}, "", 0.0
            for size in self.config.sizes:
                width, height = (int(v) for v in size.lower().split("x"))
                name = f"{SAFE_NAME.sub('_', product.sku)}-{VARIANT_NAMES[n]}-{size}.mp4"
                out = self.media_folder(request.campaign) / name
                said = out.with_suffix(".txt")  # the words of the video: the same words, the same video
                if await asyncio.to_thread(_same, said, out, outcome.text):
                    seconds = float(said.read_text(encoding="utf-8").split("\n", 1)[0])  # noqa: ASYNC240
                else:
                    async with self.render_slots():
                        seconds, still = await self._render(outcome.text, product.sku, request.locale,
                                                            (width, height), out)
                    if still is not None:
                        await asyncio.to_thread(still.save, out.with_suffix(".jpg"), "JPEG", quality=85)
                    await asyncio.to_thread(said.write_text, f"{seconds}\n{outcome.text}", encoding="utf-8")
                videos[size] = str(out)
                if not cover and out.with_suffix(".jpg").exists():  # noqa: ASYNC240 - a stat
                    cover = str(out.with_suffix(".jpg"))
            pieces.append(ContentPiece(VARIANT_NAMES[n], product.name, f"{outcome.text} {request.link}",
                                       data={"videos": videos, "cover": cover, "seconds": round(seconds, 2)}))
        return pieces

    async def _render(self, text: str, sku: str, locale: str, size: tuple[int, int], out: Path
                      ) -> tuple[float, Any]:
        """Render ``text`` to ``out``; (seconds, the cover picture or None)."""
        from PIL import Image

        from hub.media.encoder import AVEncoder, EncoderSettings, ThreadedEncoder
        from hub.media.playback import Line
        from hub.media.rooms import build_timeline

        catalog = self.hub.catalog()
        timeline = build_timeline(self.hub, "campaign-render", size=size, fps=self.config.fps, locale=locale,
                                  catalog=lambda: catalog)
        settings = EncoderSettings(fps=self.config.fps, size=size, video_bitrate=self.config.video_kbps * 1000,
                                   tune=None, cbr=False)
        await asyncio.to_thread(out.parent.mkdir, parents=True, exist_ok=True)
        frames, still = 0, None
        async with ThreadedEncoder(lambda: AVEncoder(str(out), "mp4", settings, {"movflags": "+faststart"}),
                                   name="pitch-video", write_timeout=60.0) as encoder:
            async for frame in timeline.render([Line(text=text, kind="pitch", sku=sku)]):
                await encoder.write(frame)
                if frames == self.config.fps and frame.video.size:
                    still = Image.fromarray(frame.video)
                frames += 1
                await asyncio.sleep(0)
        return frames / self.config.fps, still


def _same(said: Path, video: Path, text: str) -> bool:
    """Whether ``video`` was made from ``text`` already (channels of one campaign share their videos)."""
    if not (said.is_file() and video.is_file()):
        return False
    return said.read_text(encoding="utf-8").split("\n", 1)[-1] == text
