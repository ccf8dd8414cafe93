"""#17's acceptance for live clips: a show is recorded by default; a live clip cut from the recording is 15–60 s,
starts within 1 s of the product's stage change, is vertical, has audio and burned-in captions (ffprobe and a
frame check against the recording), and goes out through a campaign like any item."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hub.recordings import find_recordings
from hub.testing import running_hub, wait_for
from plugins.content_clip.cut import ClipShape, crop_box
from plugins.content_clip.windows import stage_changes
from plugins.scene_studio.compositor import Compositor
from tests.campaigns.test_campaigns import call, write_catalog

pytestmark = pytest.mark.slow

SHOW = {"name": "clips", "room": "main", "round_gap_s": 0.5, "idle_fill_s": 60, "segments": [
    {"sku": "TEA-001", "minutes": 0.1, "lines": ["Longjing tea, picked before Qingming."]},
    {"sku": "CUP-002", "minutes": 0.3, "lines": ["This ceramic cup keeps tea hot for hours.",
                                                 "Every cup is shaped by hand.", "Link two is the cup."]}]}
CLIP_SIZE = (180, 320)


def ffprobe(path: str) -> dict[str, Any]:
    binary = shutil.which("ffprobe")
    assert binary, "ffprobe is needed (apt-get install ffmpeg)"
    result = subprocess.run([binary, "-v", "error", "-show_streams", "-show_format", "-of", "json", path],
                            capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout)


def frames_at(path: str, times: list[float]) -> list[np.ndarray]:
    """The RGB pictures shown at ``times`` (seconds) in ``path``."""
    import av

    out: list[np.ndarray] = []
    with av.open(path) as container:
        stream = container.streams.video[0]
        wanted = iter(sorted(times))
        want = next(wanted, None)
        for frame in container.decode(stream):
            while want is not None and frame.time is not None and frame.time + 0.5 / float(stream.average_rate) >= want:
                out.append(frame.to_ndarray(format="rgb24"))
                want = next(wanted, None)
            if want is None:
                break
    return out


def loudness(path: str) -> float:
    """RMS of the file's audio (int16 scale)."""
    import av

    with av.open(path) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        chunks = [c.to_ndarray().reshape(-1) for f in container.decode(audio=0) for c in resampler.resample(f)]
    samples = np.concatenate(chunks).astype(np.float64)
    return float(np.sqrt(np.mean(samples ** 2)))


async def test_a_recorded_show_gives_a_vertical_captioned_clip_cut_at_the_stage_change(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.json"
    write_catalog(catalog, "168.00")
    config = {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "locale": "en"},
              "web": {"enabled": True, "port": 0},
              "connectors": {"shop": {"type": "catalog_file", "path": str(catalog)}, "crm": {"type": "builtin_crm"}},
              "rooms": {"main": {"size": "320x180", "locale": "en", "voices": ["espeak"]}},
              "plugins": {"show_runner": {"record_path": str(tmp_path / "recordings" / "{room}-{start}.mp4")},
                          "triage": {"chat_enabled": False}},
              "backends": {"voice": {"default": "espeak"}, "llm": {"default": "catalog"},
                           "content": {"live_clip": {"size": "x".join(map(str, CLIP_SIZE)),
                                                     "folder": str(tmp_path / "media")}},
                           "channel": {"bundle": {"folder": str(tmp_path / "bundles")}}}}
    async with running_hub(config=config) as hub:
        await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
        assert (await call(hub, "POST", "/shows", SHOW))[0] in (200, 201)
        assert (await call(hub, "POST", "/rooms/main/show/start", {"show": "clips"}))[0] == 201
        # the show runs its 24 seconds in real time, recorded by default; then its file is complete
        await wait_for(lambda: _complete(hub), timeout=90, interval=0.5)
        [recording] = await find_recordings(hub)
        assert recording.seconds > 20 and Path(recording.path).with_suffix(".vtt").read_text().startswith("WEBVTT")
        stage = next(s for s in await stage_changes(hub, since=0) if s.sku == "CUP-002")
        first_card = next(c.start for c in recording.cards if c.value == "CUP-002")  # seen on screen

        await call(hub, "PUT", "/campaigns/clips", {"products": ["CUP-002", "TEA-001"], "kinds": ["live_clip"],
                                                    "channels": ["bundle"], "approval": "auto", "variants": 1,
                                                    "link": "https://shop.example/p/{sku}"})
        run = (await call(hub, "POST", "/campaigns/clips/run"))[1]
        assert run["status"] == "done", run
        items = (await call(hub, "GET", "/campaign-items?campaign=clips"))[1]["items"]
        assert sorted(i["sku"] for i in items) == ["CUP-002", "TEA-001"] and {i["state"] for i in items} == {
            "approved"}, items
        sent = (await call(hub, "POST", "/campaigns/clips/send"))[1]
        assert sent["sent"] == 2, sent
        again = (await call(hub, "POST", "/campaigns/clips/run"))[1]  # the same recordings: nothing cut again
        assert again["counts"]["reused"] == 2 and again["counts"]["generated"] == 0, again

    cup = next(i for i in items if i["sku"] == "CUP-002")["content"]
    tea = next(i for i in items if i["sku"] == "TEA-001")["content"]
    clip, video = cup["clip"], cup["videos"]["x".join(map(str, CLIP_SIZE))]
    # cut where the product went on stage: the event's time mapped into the file, and the card on screen
    assert abs(clip["start"] - recording.offset(stage.ts)) <= 1.0
    assert abs(clip["start"] - first_card) <= 1.0, (clip, first_card)
    for content in (cup, tea):
        info = ffprobe(content["videos"]["x".join(map(str, CLIP_SIZE))])
        streams = {s["codec_type"]: s for s in info["streams"]}
        assert 15.0 <= float(info["format"]["duration"]) <= 60.5, info["format"]
        assert (streams["video"]["width"], streams["video"]["height"]) == CLIP_SIZE  # vertical
        assert streams["audio"]["codec_name"] == "aac"
    assert 15.0 <= tea["seconds"] and tea["clip"]["end"] > tea["clip"]["start"] + 14.9  # 6 s on stage, run on
    assert loudness(video) > 200  # the host is heard, not silence
    assert "cup keeps tea hot" in cup["body"] and Path(cup["captions"]).read_text().count("-->") >= 2  # noqa: ASYNC240

    # the frame check: each picture is the recording's crop at the same moment, with the caption burned in under it
    shape = ClipShape(CLIP_SIZE)
    box = crop_box(recording.size, shape, Compositor(recording.size).caption_box.y)  # the room's (studio) scene
    video_w, video_h = shape.video_box()
    captions = [c for c in recording.captions_between(clip["start"], clip["end"]) if c.end - c.start > 0.6]
    times = [0.0, *[(c.start + c.end) / 2 for c in captions[:3]]]
    clip_frames = frames_at(video, times)
    source_frames = frames_at(recording.path, [clip["start"] + t for t in times])
    assert len(clip_frames) == len(source_frames) == len(times)
    from PIL import Image

    for t, mine, theirs in zip(times, clip_frames, source_frames, strict=True):
        expected = np.asarray(Image.fromarray(theirs).crop(box).resize((video_w, video_h), Image.Resampling.BILINEAR))
        difference = np.abs(mine[:video_h].astype(int) - expected.astype(int)).mean()
        assert difference < 12, (t, difference)  # the same picture (the encoders' losses only)
        panel = mine[video_h:]
        if t > 0:
            assert (panel.max(axis=2) > 200).sum() > 40, t  # white caption text drawn in the panel
    assert captions, "the host spoke during the clip"
    bundle = tmp_path / "bundles" / "clips"
    assert any(p.suffix == ".mp4" for p in bundle.rglob("*")) and any(p.suffix == ".vtt" for p in bundle.rglob("*"))


async def _complete(hub: Any) -> bool:
    return bool(await find_recordings(hub))
