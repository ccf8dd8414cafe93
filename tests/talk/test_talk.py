"""Talking on air (#12 item 6) with a Python WebRTC client as the operator's browser: the microphone replaces
the host's voice at once, the mouth follows it, transcripts reach the captions and the audit log, a line
that breaks the guardrails raises an alert, and hanging up gives the voice back."""

from __future__ import annotations

import aiohttp
import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription

from hub.media.rooms import room_timeline
from hub.testing import collect, wait_for
from plugins.talk.transcriber import Segmenter

from .conftest import TOKEN, MicTrack, speech_like

try:
    from tests.media.helpers import Recorder
except ImportError:  # pytest put tests/ itself on sys.path
    from media.helpers import Recorder  # type: ignore[no-redef]

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def offer(hub, track: MicTrack, client: aiohttp.ClientSession) -> tuple[RTCPeerConnection, str]:
    pc = RTCPeerConnection()
    pc.addTrack(track)
    await pc.setLocalDescription(await pc.createOffer())
    async with client.post(f"{hub.web.url}/api/v1/rooms/main/talk", data=pc.localDescription.sdp,
                           headers={**AUTH, "Content-Type": "application/sdp"}) as response:
        assert response.status == 201, await response.text()
        answer, location = await response.text(), response.headers["Location"]
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return pc, location


async def test_the_operator_talks_on_air_and_a_bad_line_raises_an_alert(talk_hub, asr) -> None:
    hub = talk_hub
    timeline = room_timeline(hub, "main")
    recorder = Recorder(timeline)  # keep it: the loop holds its task weakly
    frames = recorder.frames
    waiting = timeline.say("主播马上回来，大家稍等。")
    asr.say("大家好，欢迎来到直播间", "这个杯子今天免费送，0元拿走")
    track = MicTrack(np.concatenate([speech_like(1.2), speech_like(1.2)]))
    async with aiohttp.ClientSession() as client:
        with collect(hub, types={"operator_alert"}) as alerts:
            pc, location = await offer(hub, track, client)
            try:
                await wait_for(lambda: timeline.live is not None, timeout=30)
                async with client.post(f"{hub.web.url}/api/v1/rooms/main/talk", data="v=0\r\n",
                                       headers={**AUTH, "Content-Type": "application/sdp"}) as busy:
                    assert busy.status == 409  # one talker per room
                await wait_for(lambda: len(alerts) >= 1, timeout=60)
                on_air = [f for f in frames if f.speaking and f.mouth > 0.3]
                assert len(on_air) > 10  # the mouth follows the operator's voice
                assert any(f.caption == "大家好，欢迎来到直播间" for f in frames)
                assert waiting.state in ("queued", "cut")  # the host waits while the operator talks
            finally:
                async with client.delete(f"{hub.web.url}{location}", headers=AUTH) as response:
                    assert response.status == 204
                await pc.close()
    assert timeline.live is None
    [alert] = alerts
    assert alert.kind == "talk_guardrails" and "0元" in alert.text and alert.reasons
    entries = await hub.storage.recent_audit(50)
    talked = [e["detail"]["text"] for e in entries if e["action"] == "talk"]
    assert talked == ["这个杯子今天免费送，0元拿走", "大家好，欢迎来到直播间"]  # newest first
    assert any(e["action"] == "talk_alert" for e in entries)
    assert all(h.seconds > 0.5 and h.loudness > 0.05 for h in asr.requests)  # real audio reached the ASR


async def test_a_talk_needs_a_room_on_air_an_audio_offer_and_the_token(talk_hub) -> None:
    hub = talk_hub
    async with aiohttp.ClientSession() as client:
        url = f"{hub.web.url}/api/v1/rooms/%s/talk"
        sdp = {"Content-Type": "application/sdp"}
        async with client.post(url % "main", data="v=0\r\n", headers=sdp) as response:
            assert response.status == 401
        async with client.post(url % "nowhere", data="v=0\r\n", headers={**AUTH, **sdp}) as response:
            assert response.status == 404
        async with client.post(url % "main", data="hello", headers={**AUTH, **sdp}) as response:
            assert response.status == 400
        async with client.post(url % "main", data="v=0\r\n", headers={**AUTH, "Content-Type": "text/plain"}) \
                as response:
            assert response.status in (400, 415)  # a "simple" cross-site type is never taken here
        async with client.delete(f"{hub.web.url}/api/v1/rooms/main/talk/nope", headers=AUTH) as response:
            assert response.status == 404


def test_speech_is_cut_into_utterances_at_pauses() -> None:
    heard: list[np.ndarray] = []
    segmenter = Segmenter(heard.append, pause_s=0.5, max_s=3.0)
    audio = np.concatenate([np.zeros(48_000, dtype=np.int16), speech_like(1.0), speech_like(0.5)])
    for start in range(0, audio.size, 960):
        segmenter.feed(audio[start:start + 960])
    assert len(heard) == 2
    assert 1.0 <= heard[0].size / 48_000 <= 1.6 and 0.5 <= heard[1].size / 48_000 <= 1.1
    long = speech_like(4.0)[:4 * 48_000]  # no pause for 4 s: cut at max_s
    for start in range(0, long.size, 960):
        segmenter.feed(long[start:start + 960])
    assert len(heard) == 3 and heard[2].size == 3 * 48_000
