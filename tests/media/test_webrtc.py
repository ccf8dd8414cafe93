"""WebRTC signalling and streaming, with an aiortc client standing in for a browser (Chromium is in
test_browser.py): the token, public rooms, frames and audio received, sessions closed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from hub.media.rooms import close_room, open_room
from hub.testing import wait_for
from plugins.output_webrtc.routes import room_output

from .conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sdp"}


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


async def offer() -> tuple[RTCPeerConnection, dict]:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    tracks: dict = {}
    pc.on("track", lambda track: tracks.__setitem__(track.kind, track))
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, tracks


async def test_a_client_receives_the_room_and_closes_its_session(web_hub, client) -> None:
    media = await open_room(web_hub, "main")
    pc, tracks = await offer()
    try:
        url = f"{web_hub.web.url}/api/v1/rooms/main/webrtc"
        async with client.post(url, data=pc.localDescription.sdp, headers=AUTH) as response:
            assert response.status == 201, await response.text()
            assert response.content_type == "application/sdp"
            session = response.headers["Location"]
            answer = await response.text()
        assert session.startswith("/api/v1/rooms/main/webrtc/")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await wait_for(lambda: {"video", "audio"} <= set(tracks), timeout=10)
        pictures = [await asyncio.wait_for(tracks["video"].recv(), 15) for _ in range(10)]
        assert {(p.width, p.height) for p in pictures} == {(640, 360)}
        line = media.timeline.say("大家好，欢迎来到直播间。")
        loud = 0.0
        while not line.done.done() or loud == 0.0:
            sound = await asyncio.wait_for(tracks["audio"].recv(), 15)
            assert sound.sample_rate == 48000
            loud = max(loud, float(np.abs(sound.to_ndarray()).max()))
        assert loud > 1000  # the host's voice came through
        output = room_output(web_hub, "main")
        assert len(output.viewers) == 1
        async with client.delete(f"{web_hub.web.url}{session}", headers=AUTH) as response:
            assert response.status == 204
        assert output.viewers == {}
        async with client.delete(f"{web_hub.web.url}{session}", headers=AUTH) as response:
            assert response.status == 404
    finally:
        await pc.close()
        await close_room(web_hub, "main")


async def test_signalling_refuses_what_it_must(web_hub, client) -> None:
    await open_room(web_hub, "main")
    pc, _ = await offer()
    base = web_hub.web.url
    try:
        sdp = pc.localDescription.sdp
        async with client.post(f"{base}/api/v1/rooms/main/webrtc", data=sdp,
                               headers={"Content-Type": "application/sdp"}) as response:
            assert response.status == 401  # no token
        async with client.post(f"{base}/live/main/webrtc", data=sdp, headers=AUTH) as response:
            assert response.status == 404  # main is not a public room
        async with client.post(f"{base}/api/v1/rooms/elsewhere/webrtc", data=sdp, headers=AUTH) as response:
            assert response.status == 404 and "not on air" in (await response.json())["error"]
        async with client.post(f"{base}/api/v1/rooms/main/webrtc", data="hello", headers=AUTH) as response:
            assert response.status == 400
    finally:
        await pc.close()
        await close_room(web_hub, "main")


async def test_a_public_room_needs_no_token(web_hub, client) -> None:
    await open_room(web_hub, "public")
    pc, tracks = await offer()
    try:
        async with client.post(f"{web_hub.web.url}/live/public/webrtc", data=pc.localDescription.sdp,
                               headers={"Content-Type": "application/sdp"}) as response:
            assert response.status == 201
            session, answer = response.headers["Location"], await response.text()
        assert session.startswith("/live/public/webrtc/")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await wait_for(lambda: "video" in tracks, timeout=10)
        assert (await asyncio.wait_for(tracks["video"].recv(), 15)).width == 640
        async with client.delete(f"{web_hub.web.url}{session}") as response:
            assert response.status == 204
    finally:
        await pc.close()
        await close_room(web_hub, "public")
