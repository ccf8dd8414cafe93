"""The overlay's WebSocket feed: everything the page needs to draw the host, scene and voice itself.

A video stream cannot carry transparency, so the page composes the picture:

* ``hello`` (JSON, once): frame size and fps, where the host stands, and the host's poses as PNGs (every
  mouth shape, eyes open and shut), drawn by the room's avatar backend: any backend works;
* ``scene`` (JSON, when it changes): the frame index from which it shows and one transparent PNG of
  everything but the host (top bar, product card, caption, comment, countdown), drawn by the room's scene
  in transparent mode (its ``transparent_twin``), so it looks exactly like the streamed video;
* one binary message per frame: ``<uint32 index><float32 mouth><float32 blink><float32 breath>`` and the
  frame's 1920 samples of 48 kHz int16 PCM (little-endian).

The page schedules each frame's audio on its AudioContext clock and shows the frame's pose at the same
instant, so the mouth is in sync with the voice by construction, as in the video. The feed needs no
video frames, so a room watched only through overlays costs no video drawing or encoding.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
from aiohttp import WSMsgType, web
from PIL import Image

from hub.media.avatar import HostState
from hub.media.rooms import room_timeline
from hub.web import HUB_KEY
from hub.web.pages import Page

PAGE = Path(__file__).with_name("overlay.html")
# OBS opens it as a top-level browser source: no framing; it loads nothing but its own WebSocket, and
# draws PNG data URLs; the voice plays through an AudioContext, not a media element.
OVERLAY_PAGE = Page(PAGE, img="data:", media="'none'", connect="'self'", frame_ancestors="'none'")
HEADER = struct.Struct("<Ifff")
OFF_AIR_CLOSE = 4404


def png_data_url(pixels: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels), "RGBA").save(buffer, "PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def host_poses(avatar: Any, size: tuple[int, int]) -> dict[str, str]:
    """``{"<mouth level>-<blink 0|1>": PNG data URL}`` for every mouth shape, eyes open and shut."""
    levels = max(2, int(getattr(avatar, "mouth_levels", 6)))
    return {f"{level}-{blink}": png_data_url(avatar.frame(HostState(mouth=level / (levels - 1), blink=blink), size))
            for level in range(levels) for blink in (0, 1)}


class OverlayFeed:
    """One overlay connection's view of a room: the room's scene drawn transparent, and the last layer sent."""

    def __init__(self, timeline: Any) -> None:
        self.timeline = timeline
        self.layer = timeline.drawer.scene.transparent_twin()
        self._key: Any = None

    def hello(self) -> dict[str, Any]:
        box = self.layer.host_box
        avatar = self.timeline.drawer.avatar
        return {"type": "hello", "room": self.timeline.room, "fps": self.timeline.fps,
                "size": list(self.timeline.size), "host": {"x": box.x, "y": box.y, "w": box.w, "h": box.h},
                "mouth_levels": max(2, int(getattr(avatar, "mouth_levels", 6))),
                "breath_px": round(box.h * float(getattr(avatar, "breath", 0.004))),
                "poses": host_poses(avatar, box.size)}

    def scene(self, frame: Any) -> dict[str, Any] | None:
        """A ``scene`` message when what surrounds the host changed at ``frame``, else None."""
        scene = self.timeline.drawer.scene_state(frame, None)
        key = self.layer.shown(scene)
        if key == self._key:
            return None
        self._key = key
        picture = self.layer.draw(scene)
        image = png_data_url(picture) if picture[..., 3].any() else None
        return {"type": "scene", "index": frame.index, "image": image}

    @staticmethod
    def packet(frame: Any) -> bytes:
        audio = np.asarray(frame.audio, dtype="<i2")
        return HEADER.pack(frame.index, frame.mouth, frame.blink, frame.breath) + audio.tobytes()


async def overlay_page(request: web.Request) -> web.StreamResponse:
    return OVERLAY_PAGE.response()


async def overlay_socket(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB_KEY]
    ws = web.WebSocketResponse(heartbeat=20, max_msg_size=64 * 1024)
    await ws.prepare(request)
    if hub.web is not None:
        hub.web.track_websocket(ws)
    timeline = room_timeline(hub, request.match_info["room"])
    if timeline is None:
        await ws.send_json({"type": "offair"})
        await ws.close(code=OFF_AIR_CLOSE, message=b"room not on air")
        return ws
    feed = OverlayFeed(timeline)
    frames = timeline.frames(50, video=False)
    reader = hub.create_task(_drain(ws), name=f"overlay:{timeline.room}:reader:{id(ws):x}")
    try:
        await ws.send_str(json.dumps(await asyncio.to_thread(feed.hello), ensure_ascii=False))
        async for frame in frames:
            if ws.closed or reader.done():
                break
            scene = await asyncio.to_thread(feed.scene, frame)
            if scene is not None:
                await ws.send_str(json.dumps(scene))
            await ws.send_bytes(feed.packet(frame))
        if not ws.closed:
            await ws.send_json({"type": "offair"})
    except (ConnectionResetError, RuntimeError):  # the page went away mid-send
        pass
    finally:
        frames.close()
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await ws.close()
    return ws


async def _drain(ws: web.WebSocketResponse) -> None:
    """Read (and ignore) what the page sends, so close frames and pings are handled."""
    async for message in ws:
        if message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
            break
