"""A talking-head service stand-in (``livehub standin talking_head``): the HTTP contract of
:mod:`connectors.talking_head.client`, with synthetic frames.

``POST /v1/speak`` answers after :attr:`TalkingHeadStandin.delay_s` (the service's delay: a model warming up, a
GPU queue) and then streams one JPEG per video frame of the sentence, at :attr:`speed` times real time. Each frame
is a drawn face whose mouth opens with the loudness of that frame's audio, so a test can find speech onsets in the
video and compare them with the sound. ``GET /v1/idle`` streams a short loop of the face listening. A ``token``
makes every request need ``Authorization: Bearer <token>`` (401 otherwise); the control API's outage and
rate-limit faults apply (503, 429 with ``Retry-After``). Every request is recorded with its arrival time and the
time its first frame left (:attr:`TalkingHeadStandin.rendered`).
"""

from __future__ import annotations

import asyncio
import io
import secrets
import time
from typing import Any

import numpy as np
from aiohttp import web
from PIL import Image, ImageDraw

from connectors.talking_head.client import MIME_FRAMES, TalkingHeadError, encode_part, read_wav
from hub.events import Event
from hub.standin import Standin

SKIN, BACKDROP, MOUTH, EYES = (224, 182, 150), (40, 44, 60), (90, 20, 30), (30, 30, 30)
IDLE_SECONDS = 2.0
MAX_SIDE = 2048


def mouth_levels(audio: np.ndarray, sample_rate: int, fps: int) -> np.ndarray:
    """How open the mouth is in each video frame (0..1): the frame's RMS over the sentence's loudest frame's."""
    step = max(1, round(sample_rate / fps))
    count = max(1, -(-len(audio) // step))
    padded = np.zeros(count * step, dtype=np.float64)
    padded[:len(audio)] = audio
    rms = np.sqrt(np.mean(padded.reshape(count, step) ** 2, axis=1))
    peak = float(rms.max()) if len(rms) else 0.0
    if peak <= 0:
        return np.zeros(count)
    levels = rms / peak
    return np.where(levels < 0.08, 0.0, levels)  # breath and hiss keep the mouth shut


class FaceDrawer:
    """Draws the synthetic host at one size: a face, eyes, a mouth open ``level`` (0..1)."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size
        width, height = size
        base = Image.new("RGB", size, BACKDROP)
        draw = ImageDraw.Draw(base)
        draw.ellipse((width * 0.2, height * 0.1, width * 0.8, height * 0.9), fill=SKIN)
        for x in (0.38, 0.62):
            draw.ellipse((width * (x - 0.04), height * 0.36, width * (x + 0.04), height * 0.42), fill=EYES)
        self.base = base
        self.mouth = (width * 0.4, height * 0.64, width * 0.6)  # x0, y centre, x1

    def jpeg(self, level: float) -> bytes:
        picture = self.base.copy()
        x0, centre, x1 = self.mouth
        half = max(1.0, self.size[1] * 0.09 * float(level))
        ImageDraw.Draw(picture).ellipse((x0, centre - half, x1, centre + half), fill=MOUTH)
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=85)
        return out.getvalue()


class TalkingHeadStandin(Standin):
    system = "talking_head"
    room_bound = False

    def __init__(self, *, delay_s: float = 0.3, speed: float = 4.0, token: str = "", **kw: Any) -> None:
        super().__init__(**kw)
        self.delay_s = delay_s  # before the first frame of each sentence
        self.speed = speed  # frames sent per frame of real time (0: as fast as drawn)
        self.token = token
        self.rendered: list[dict[str, Any]] = []  # per sentence: id, arrival, first frame sent, frames, levels
        self._drawers: dict[tuple[int, int], FaceDrawer] = {}

    def connector_settings(self) -> dict[str, Any]:
        return {"url": self.url, **({"token": self.token} if self.token else {})}

    def connector_table(self, name: str | None = None, *, room: str = "main") -> str:
        """No connector table: a talking head is an avatar backend, configured under ``[backends.avatar]``."""
        lines = ["[backends.avatar]", 'default = "talking_head"', "", "[backends.avatar.talking_head]",
                 f'url = "{self.url}"']
        if self.token:
            lines.append('token = {env = "TALKING_HEAD_TOKEN"}')
        return "\n".join(lines) + "\n"

    def env(self) -> dict[str, str]:
        return {"TALKING_HEAD_TOKEN": self.token} if self.token else {}

    async def deliver(self, event: Event) -> Any:
        raise ValueError("a talking-head service carries no viewer events")

    def notes(self) -> list[str]:
        return [f"a talking-head service: first frame after {self.delay_s:g} s, "
                f"{'as fast as drawn' if not self.speed else f'{self.speed:g}× real time'}"]

    def state(self) -> dict[str, Any]:
        return {**super().state(), "sentences": len(self.rendered),
                "frames": sum(r["frames"] for r in self.rendered)}

    def drawer(self, size: tuple[int, int]) -> FaceDrawer:
        found = self._drawers.get(size)
        if found is None:
            found = self._drawers[size] = FaceDrawer(size)
        return found

    # -- the API ----------------------------------------------------------------------------------------

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/v1/health", self._health)
        router.add_post("/v1/speak", self._speak)
        router.add_get("/v1/idle", self._idle)

    def _refused(self, request: web.Request) -> web.Response | None:
        if self.outage_left() > 0:
            return self.outage_response(request)  # type: ignore[return-value]
        if self.token and request.headers.get("Authorization", "") != f"Bearer {self.token}":
            return web.json_response({"error": "invalid token"}, status=401)
        if self.take_rate_limit():
            return web.json_response({"error": "too many requests"}, status=429, headers={"Retry-After": "1"})
        return None

    async def _health(self, request: web.Request) -> web.Response:
        return self._refused(request) or web.json_response({"status": "ok", "model": "standin-face"})

    def _video_params(self, request: web.Request) -> tuple[int, tuple[int, int]]:
        try:
            fps = int(request.query.get("fps", "25"))
            size = (int(request.query["width"]), int(request.query["height"]))
        except (KeyError, ValueError):
            raise web.HTTPBadRequest(text="fps, width and height must be integers") from None
        if not 1 <= fps <= 60 or not all(8 <= side <= MAX_SIDE for side in size):
            raise web.HTTPBadRequest(text="fps 1..60, sides 8..2048")
        return fps, size

    async def _speak(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()
        if (refused := self._refused(request)) is not None:
            return refused
        fps, size = self._video_params(request)
        try:
            audio, rate = read_wav(await request.read())
        except TalkingHeadError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        levels = mouth_levels(audio, rate, fps)
        entry = {"sentence": request.query.get("sentence", ""), "arrived": arrived, "first_sent": None,
                 "frames": 0, "levels": levels.tolist(), "fps": fps, "size": size}
        self.rendered.append(entry)
        await asyncio.sleep(self.delay_s)
        drawer = self.drawer(size)
        return await self._stream(request, [lambda level=level: drawer.jpeg(level) for level in levels], fps, entry)

    async def _idle(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._refused(request)) is not None:
            return refused
        fps, size = self._video_params(request)
        drawer = self.drawer(size)
        frames = [lambda: drawer.jpeg(0.0)] * max(1, round(IDLE_SECONDS * fps))
        return await self._stream(request, frames, fps, None)

    async def _stream(self, request: web.Request, frames: list[Any], fps: int,
                      entry: dict[str, Any] | None) -> web.StreamResponse:
        boundary = f"frame-{secrets.token_hex(6)}"
        response = web.StreamResponse(headers={"Content-Type": f"{MIME_FRAMES}; boundary={boundary}"})
        await response.prepare(request)
        start = time.monotonic()
        for index, make in enumerate(frames):
            if self.speed and (wait := start + index / (fps * self.speed) - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            await response.write(encode_part(boundary, index, make()))
            if entry is not None:
                entry["frames"] += 1
                entry["first_sent"] = entry["first_sent"] or time.monotonic()
        await response.write(f"--{boundary}--\r\n".encode())
        await response.write_eof()
        return response
