"""The OBS overlay feed: host poses, scene pictures and per-frame state with the frame's audio."""

from __future__ import annotations

import base64
import io
import json
import struct

import aiohttp
import numpy as np
from PIL import Image

from hub.catalog import build_catalog
from hub.media.rooms import close_room, open_room, room_timeline

from .conftest import TOKEN

HEADER = struct.Struct("<Ifff")


def decode(data_url: str) -> Image.Image:
    assert data_url.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))


async def test_the_feed_carries_poses_scene_and_audio(web_hub) -> None:
    catalog = build_catalog({"name": "晨光好物"}, [{"sku": "TEA-001", "link": 1, "name": "乌龙茶", "price": "128"}])
    media = await open_room(web_hub, "main", catalog=lambda: catalog)
    url = f"{web_hub.web.url}/overlay/main/ws?token={TOKEN}"
    try:
        async with aiohttp.ClientSession() as client, client.ws_connect(url) as ws:
            hello = json.loads((await ws.receive(timeout=20)).data)
            assert hello["type"] == "hello" and hello["size"] == [640, 360] and hello["fps"] == 25
            assert set(hello["poses"]) == {f"{m}-{b}" for m in range(hello["mouth_levels"]) for b in (0, 1)}
            pose = decode(hello["poses"]["0-0"])
            assert pose.mode == "RGBA" and pose.size == (hello["host"]["w"], hello["host"]["h"])
            alpha = np.asarray(pose)[..., 3]
            assert alpha.min() == 0 and alpha.max() == 255  # the host, on a transparent background
            line = media.timeline.say("大家好，看看这款乌龙茶。", sku="TEA-001")
            scenes, states, indexes = [], [], []
            while not line.done.done() or len(states) < 10:
                message = await ws.receive(timeout=20)
                if message.type == aiohttp.WSMsgType.TEXT:
                    scenes.append(json.loads(message.data))
                    continue
                assert len(message.data) == HEADER.size + 1920 * 2
                index, mouth, blink, breath = HEADER.unpack_from(message.data)
                pcm = np.frombuffer(message.data, dtype="<i2", offset=HEADER.size)
                indexes.append(index)
                states.append((mouth, float(np.abs(pcm).max())))
            assert indexes == list(range(indexes[0], indexes[0] + len(indexes)))
            assert max(m for m, _ in states) > 0.3 and max(peak for _, peak in states) > 1000
            speaking_scenes = [s for s in scenes if s["type"] == "scene" and s["image"]]
            assert speaking_scenes, "a caption and the product card were shown"
            picture = np.asarray(decode(speaking_scenes[-1]["image"]))
            assert picture.shape == (360, 640, 4)
            assert 0 < (picture[..., 3] > 0).mean() < 0.6  # card and caption over a transparent frame
    finally:
        await close_room(web_hub, "main")


async def test_the_feed_needs_the_token_and_a_room_on_air(web_hub) -> None:
    async with aiohttp.ClientSession() as client:
        async with client.get(f"{web_hub.web.url}/overlay/main") as response:
            assert response.status == 200 and "<html" in await response.text()
        try:
            async with client.ws_connect(f"{web_hub.web.url}/overlay/main/ws"):
                raise AssertionError("connected without the token")
        except aiohttp.WSServerHandshakeError as exc:
            assert exc.status == 401
        async with client.ws_connect(f"{web_hub.web.url}/overlay/main/ws?token={TOKEN}") as ws:
            assert json.loads((await ws.receive(timeout=10)).data) == {"type": "offair"}
    assert room_timeline(web_hub, "main") is None


async def test_an_overlay_alone_costs_no_video_drawing(web_hub) -> None:
    media = await open_room(web_hub, "main")
    drawn = media.timeline.drawer.scene
    try:
        async with aiohttp.ClientSession() as client, \
                client.ws_connect(f"{web_hub.web.url}/overlay/main/ws?token={TOKEN}") as ws:
            await ws.receive(timeout=20)  # hello
            before = drawn.frames
            for _ in range(30):
                await ws.receive(timeout=20)
            assert drawn.frames == before
    finally:
        await close_room(web_hub, "main")
