"""Offline rendering and recording with the real voice (espeak), host (sprite) and compositor:
``livehub render`` MP4s, lip-sync measured from the pixels, the file output, and urgent lines."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from hub.media.pcm import frame_rms
from hub.media.rooms import build_timeline, close_room, open_room
from hub.testing import collect, running_hub, wait_for
from plugins.avatar_sprite.backend import SpriteAvatar
from plugins.media_cli.offline import pitch_text
from plugins.scene_studio.compositor import Compositor

from .conftest import BUILTINS, built_hub
from .helpers import ffprobe

CATALOG = {"shop": {"name": "晨光好物", "currency": "CNY", "locale": "zh-CN"},
           "products": [{"sku": "TEA-001", "link": 1, "name": "高山乌龙茶", "price": "168.00",
                         "promo_price": "128.00", "stock": 300, "selling_points": ["兰花香，回甘持久"]}]}


def durations(path: Path) -> dict[str, float]:
    info = ffprobe(str(path))
    return {s["codec_type"]: float(s["duration"]) for s in info["streams"]} | \
        {"codecs": sorted(s["codec_name"] for s in info["streams"])}  # type: ignore[dict-item]


def decode(path: Path) -> tuple[list[np.ndarray], np.ndarray]:
    """Every video frame (RGB) and the whole audio track (int16 mono) of ``path``."""
    pictures, sound = [], []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            pictures.append(frame.to_ndarray(format="rgb24"))
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            sound.append((frame.to_ndarray().reshape(-1) * 32767).astype(np.int16))
    return pictures, np.concatenate(sound)


@pytest.mark.slow
def test_render_a_product_pitch_to_mp4(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(CATALOG, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "pitch.mp4"
    result = subprocess.run([sys.executable, "-m", "hub", "render", "--product", "TEA-001", "--catalog",
                             str(catalog), "--out", str(out), "--config", str(tmp_path / "none.toml")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    found = durations(out)
    assert found["codecs"] == ["aac", "h264"]
    assert abs(found["video"] - found["audio"]) < 0.2 and found["video"] > 5

    pictures, sound = decode(out)
    assert pictures[0].shape == (720, 1280, 3)
    layout = Compositor((1280, 720)).mouth_layout(SpriteAvatar())
    assert layout is not None
    from hub.media.mouth_meter import mouth_openness_from_frame

    mouth = np.array([mouth_openness_from_frame(p, layout) for p in pictures])
    level = frame_rms(sound, 25)[: len(mouth)]
    mouth = mouth[: len(level)]
    assert mouth.max() > 0.5 and mouth[:5].max() < 0.1  # it opens while speaking, not in the lead-in
    lags = {lag: np.corrcoef(np.roll(mouth, lag), level)[0, 1] for lag in range(-3, 4)}
    assert lags[0] > 0.5, lags  # the mouth follows the loudness of the speech
    assert abs(max(lags, key=lags.get)) <= 1  # within one frame of the sound

    card = Compositor((1280, 720)).layout.card
    def red(picture: np.ndarray) -> int:  # the price is drawn in the accent red
        region = picture[card.y:card.y1, card.x:card.x1].astype(int)
        return int(((region[..., 0] > 170) & (region[..., 1] < 110) & (region[..., 2] < 110)).sum())
    assert red(pictures[2]) < 50 < red(pictures[len(pictures) // 2])  # the card shows once the pitch starts


def test_the_pitch_comes_from_the_catalog_and_the_template() -> None:
    from hub.catalog import build_catalog

    hub = built_hub()
    catalog = build_catalog(CATALOG["shop"], CATALOG["products"])
    text = pitch_text(hub, catalog.by_sku("TEA-001"), catalog.shop, "zh-CN")
    assert "1号链接" in text and "高山乌龙茶" in text and "128元" in text and "168元" in text
    english = pitch_text(hub, catalog.by_sku("TEA-001"), catalog.shop, "en")
    assert "link 1" in english and "¥128" in english


@pytest.mark.slow
async def test_the_file_output_records_the_room(tmp_path: Path) -> None:
    config = {"rooms": {"main": {"size": "640x360", "outputs": ["file"]}},
              "backends": {"output": {"file": {"path": str(tmp_path / "{room}-{start}.mp4")}}}}
    async with running_hub(config=config, builtins=BUILTINS) as hub:
        with collect(hub, types={"stream_state"}) as states:
            media = await open_room(hub, "main")
            line = media.timeline.say("欢迎来到直播间，今天的好物马上就来。")
            assert await asyncio.wait_for(line.done, 60) == "spoken"
            await close_room(hub, "main")
            await wait_for(lambda: [s.state for s in states][-1:] == ["stopped"], timeout=10)
    assert [s.state for s in states] == ["starting", "live", "stopped"]
    [recording] = await asyncio.to_thread(lambda: list(tmp_path.glob("main-*.mp4")))
    found = await asyncio.to_thread(durations, recording)
    assert found["codecs"] == ["aac", "h264"] and abs(found["video"] - found["audio"]) < 0.2
    assert found["video"] >= line.last_frame / 25 - 0.5


async def test_an_urgent_line_starts_within_300_ms_with_the_real_voice() -> None:
    hub = built_hub()
    timeline = build_timeline(hub, "main", size=(640, 360))
    said: list = []

    def interrupt(frame) -> None:
        if not said and long.first_frame is not None and frame.index >= long.first_frame + 12:
            said.append(timeline.say("紧急插播，三号链接马上开抢！", urgent=True))

    frames: list = []
    subscription = timeline.frames(500, video=False)

    async def record() -> None:
        async for frame in subscription:
            frames.append(frame)
            interrupt(frame)

    recorder = asyncio.get_running_loop().create_task(record(), name="test-recorder")
    await timeline.start()
    try:
        long = timeline.say("大家好，欢迎来到直播间，今天给大家准备了很多好物，我们一个一个慢慢看。")
        urgent = (await wait_for(lambda: said, timeout=30))[0]
        assert await asyncio.wait_for(urgent.done, 30) == "spoken"
        assert long.state == "cut"
        latency = (urgent.first_frame - urgent.queued_frame) / timeline.fps
        assert latency <= 0.3, f"{latency:.2f} s on the timeline's clock"
        between = [f for f in frames if urgent.queued_frame <= f.index < urgent.first_frame]
        assert all(not f.audio.any() for f in between)  # the cut line is not heard after the interrupt
    finally:
        await timeline.stop()
        await recorder


def test_frames_lost_before_the_encoder_become_silence_so_sound_and_picture_stay_in_step(tmp_path: Path) -> None:
    from hub.media.encoder import AVEncoder, EncoderSettings
    from hub.media.frames import MediaFrame

    out = tmp_path / "gap.mp4"
    encoder = AVEncoder(str(out), "mp4", EncoderSettings(size=(320, 180), tune=None, cbr=False))
    picture = np.zeros((180, 320, 3), np.uint8)
    tone = (np.sin(np.arange(1920) / 48000 * 2 * np.pi * 440) * 8000).astype(np.int16)
    for index in [*range(0, 25), *range(50, 75)]:  # one second lost in the fan-out
        encoder.write(MediaFrame(index=index, pts=index / 25, video=picture, audio=tone))
    encoder.close()
    found = durations(out)
    assert found["audio"] == pytest.approx(3.0, abs=0.05) and abs(found["video"] - found["audio"]) < 0.1
    _, sound = decode(out)
    second = sound[48000 + 4800:2 * 48000 - 4800]  # the lost second, away from its edges
    assert np.abs(second).max() < 200 < np.abs(sound[:48000]).max()
