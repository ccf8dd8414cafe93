"""The VTube Studio model's mouth follows the host's speech: a real espeak line's mouth track, streamed by the
bridge at 25 fps and paced by the clock (never ahead of its frames), and the MouthOpen values the stand-in recorded
follow the audio's loudness envelope (correlation above 0.6, as for the sprite's mouth); cues run hotkeys."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from connectors.vtube_studio.connector import TokenFile, VtsBridge
from connectors.vtube_studio.standin import VtsStandin
from hub.media.lipsync import mouth_track
from hub.media.pcm import frame_rms
from tests.vtube_studio.conftest import client_of

FPS = 25


async def test_the_models_mouth_follows_the_speech_on_time(vts: VtsStandin, espeak, tmp_path: Path) -> None:
    utterance = await espeak.synthesize("Hello everyone. This green tea is fresh, and today it costs only nine "
                                        "dollars.", locale="en")
    track = mouth_track(utterance, FPS)
    bridge = VtsBridge(lambda: client_of(vts), TokenFile(tmp_path / "token"),
                       cues={"product": "Smile", "thanks": "Thanks"})
    try:
        await bridge.ensure()
        assert await bridge.cue("product") and not await bridge.cue("unmapped")
        sent = await bridge.speak(track, FPS)
        assert sent >= len(track) - 2  # a frame or two may be skipped if the machine stalls; never a drift
        received = vts.values("MouthOpen")
        times = np.array([t for t, _ in received[:-1]]) - received[0][0]
        values = np.array([v for _, v in received[:-1]])
        # paced by the clock, not sent at once: no frame arrived before it was due (lateness is the machine's,
        # measured by the benchmarks, not here)
        due = np.arange(len(values)) / FPS
        assert np.all(times >= due[: len(times)] - 0.5 / FPS)
        rms = frame_rms(utterance.audio, FPS)[: len(values)]
        assert float(np.corrcoef(values, rms)[0, 1]) > 0.6
        assert received[-1][1] == 0.0  # shut after the line
        assert [h for _, h in vts.triggered] == [h["hotkeyID"] for h in vts.hotkeys if h["name"] == "Smile"]
    finally:
        await bridge.close()
