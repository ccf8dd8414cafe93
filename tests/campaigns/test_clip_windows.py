"""Where live clips are cut: a recording's track (anchors, captions, cards), the mapping of wall-clock times
into the file, and the windows of a product held within 15–60 s."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.media.playback import TimelineFrame
from hub.recordings import Cue, Recording, RecordingTrack, to_vtt
from plugins.content_clip.cut import ClipShape, crop_box
from plugins.content_clip.generator import LiveClipSettings
from plugins.content_clip.windows import Stage, clip_windows
from plugins.scene_studio.compositor import Compositor

NOTHING = np.zeros((0, 0, 3), dtype=np.uint8)


def frame(index: int, made: float, caption: str = "", sku: str | None = None) -> TimelineFrame:
    return TimelineFrame(index=index, pts=index / 25, video=NOTHING, audio=np.zeros(1920, np.int16),
                         caption=caption, sku=sku, made_ts=made)


def recording(seconds: float, *, started: float = 1000.0, anchors: list[tuple[float, float]] | None = None,
              captions: list[Cue] | None = None, room: str = "main", rid: int = 1) -> Recording:
    return Recording(rid, room, f"/r/{rid}.mp4", "complete", started, started + seconds, seconds, 25, (1280, 720),
                     anchors or [(0.0, started), (seconds, started + seconds)], captions or [])


def test_a_track_notes_captions_cards_and_anchors_by_frame_index() -> None:
    track = RecordingTrack(25)
    for i in range(250):  # 10 s; frames 100-124 were lost on the way to the encoder
        if 100 <= i < 125:
            continue
        caption = "Hello there." if 25 <= i < 75 else ("Link two." if 150 <= i < 200 else "")
        track.add(frame(1000 + i, 5000.0 + i / 25, caption, "CUP-002" if i >= 50 else None))
    track.finish()
    assert [(c.start, c.end, c.value) for c in track.captions] == [(1.0, 3.0, "Hello there."),
                                                                   (6.0, 8.0, "Link two.")]
    assert [(c.start, c.end, c.value) for c in track.cards] == [(2.0, 10.0, "CUP-002")]
    assert track.started_ts == 5000.0 and track.seconds == pytest.approx(10.0)
    assert [a for a, _ in track.anchors] == [0.0, 2.0, 5.0, 7.0, 9.0, 10.0]  # lost frames: no anchor there
    vtt = to_vtt(track.captions)
    assert vtt.startswith("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nHello there.\n")


def test_wall_time_maps_into_the_file_through_anchors_even_when_the_timeline_fell_behind() -> None:
    # the timeline was 3 s late between file seconds 10 and 12 (made at wall 1010 and 1015)
    r = recording(20, anchors=[(0.0, 1000.0), (10.0, 1010.0), (12.0, 1015.0), (20.0, 1023.0)])
    assert r.offset(1005.0) == pytest.approx(5.0)
    assert r.offset(1012.5) == pytest.approx(11.0)
    assert r.offset(1019.0) == pytest.approx(16.0)
    assert r.offset(990.0) == 0.0 and r.offset(2000.0) == 20.0


@given(st.lists(st.floats(0.1, 5.0), min_size=1, max_size=30), st.floats(-10, 200))
def test_the_mapping_is_monotonic_and_stays_in_the_file(steps: list[float], probe: float) -> None:
    anchors, at, wall = [], 0.0, 1000.0
    for step in steps:
        anchors.append((at, wall))
        at, wall = at + 2.0, wall + step
    r = recording(at, anchors=anchors)
    a, b = r.offset(1000.0 + probe), r.offset(1000.0 + probe + 1.0)
    assert 0.0 <= a <= b <= r.seconds


def test_a_window_runs_from_the_stage_change_to_the_next_held_within_15_to_60_seconds() -> None:
    spoken = [Cue(30.0 + 10 * i, 38.0 + 10 * i, f"line {i}") for i in range(10)]
    r = recording(300, captions=spoken)
    stages = [Stage(1010.0, "main", "TEA-001"), Stage(1030.0, "main", "CUP-002"), Stage(1036.0, "main", "TEA-001"),
              Stage(1200.0, "main", "CUP-002"), Stage(1295.0, "main", None)]
    cup = clip_windows("CUP-002", stages, [r], min_s=15, max_s=60)
    # newest first: 200 s → 295 s is 95 s long, so it ends at the last caption ending by 260 s (none: at 260)
    assert [(w.start, w.end) for w in cup] == [(200.0, 260.0), (30.0, 45.0)]  # 6 s on stage: run on to 15 s
    tea = clip_windows("TEA-001", stages, [r], min_s=15, max_s=60)
    assert [(w.start, w.end) for w in tea] == [(36.0, 88.0), (10.0, 30.0)]  # 164 s on stage: it ends with
    assert tea[0].end == spoken[5].end  # the last caption that ends within 60 s (no sentence cut in half)


def test_no_window_where_no_recording_ran_or_the_file_ends_too_soon() -> None:
    r = recording(40)
    stages = [Stage(900.0, "main", "TEA-001"), Stage(1030.0, "main", "TEA-001"), Stage(1010.0, "other", "TEA-001")]
    assert clip_windows("TEA-001", stages, [r], min_s=15, max_s=60) == []  # before it, 10 s before its end, elsewhere
    assert clip_windows("TEA-001", [Stage(999.0, "main", "TEA-001")], [r], min_s=15, max_s=60)[0].start == 0.0


def test_the_crop_keeps_the_picture_above_the_scenes_captions_in_the_clips_shape() -> None:
    shape = ClipShape((720, 1280))
    left, top, right, bottom = crop_box((1280, 720), shape, Compositor((1280, 720)).caption_box.y)
    video_w, video_h = shape.video_box()
    assert top == 0 and bottom == 584  # above the landscape scene's caption band
    assert abs((right - left) / bottom - video_w / video_h) < 0.01
    assert abs((left + right) / 2 - 0.4 * 1280) <= 1  # centred on the host
    assert crop_box((720, 1280), ClipShape((720, 1280), center=0.9))[2] == 720  # kept inside the frame


def test_clip_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="max_s"):
        LiveClipSettings(min_s=30, max_s=20)
    with pytest.raises(ValueError, match="size"):
        LiveClipSettings(size="720x")
