"""The avatar base class, idle animation and the default sprite host, measured from its pixels."""

from __future__ import annotations

import numpy as np
import pytest

from hub.errors import BackendError
from hub.media.avatar import AvatarBackend, HostState, blink_at, breath_at, idle_state
from hub.media.mouth_meter import dark_fraction, mouth_layout_for, mouth_openness_from_frame
from plugins.avatar_sprite.backend import SpriteAvatar

SIZE = (554, 692)


@pytest.fixture(scope="module")
def host() -> SpriteAvatar:
    return SpriteAvatar()


def test_frames_are_read_only_rgba_of_the_size_asked(host):
    frame = host.frame(HostState(mouth=0.5), SIZE)
    assert frame.shape == (692, 554, 4) and frame.dtype == np.uint8
    assert not frame.flags.writeable
    assert frame[..., 3].max() == 255 and frame[0, 0, 3] == 0  # opaque host, transparent around her
    small = host.frame(HostState(), (200, 250))
    assert small.shape == (250, 200, 4)


def test_identical_snapped_states_come_from_the_cache(host):
    first = host.frame(HostState(t=1.0, mouth=0.61, blink=0.1, breath=0.05), SIZE)
    hits = host.hits
    again = host.frame(HostState(t=9.0, mouth=0.59, blink=0.2, breath=-0.05), SIZE)
    assert again is first and host.hits == hits + 1
    other = host.frame(HostState(mouth=1.0), SIZE)
    assert other is not first


def test_mouth_openness_measured_from_pixels_rises_with_every_level(host):
    layout = mouth_layout_for(host, SIZE)
    assert layout is not None and layout.open > layout.closed
    levels = np.linspace(0, 1, host.mouth_levels)
    for breath in (-1.0, 0.0, 1.0):  # the box covers the mouth wherever breathing moves it
        measured = [mouth_openness_from_frame(host.frame(HostState(mouth=m, breath=breath), SIZE), layout)
                    for m in levels]
        assert measured[0] == pytest.approx(0.0, abs=0.02) and measured[-1] == pytest.approx(1.0, abs=0.02)
        assert all(b > a + 0.05 for a, b in zip(measured, measured[1:], strict=False)), measured


def test_blink_changes_the_eyes_and_nothing_else(host):
    open_eyes = host.frame(HostState(blink=0.0), SIZE).astype(int)
    shut = host.frame(HostState(blink=1.0), SIZE).astype(int)
    ys, xs = np.nonzero(np.abs(open_eyes - shut).max(axis=2) > 0)
    assert len(ys) > 500
    mouth = host.mouth_box(SIZE)
    assert ys.max() < mouth[1], "the blink region lies above the mouth"
    assert 0.2 * SIZE[1] < ys.mean() < 0.5 * SIZE[1]  # where the eyes are, in the upper face


def test_breathing_moves_the_host_a_few_pixels(host):
    low = host.frame(HostState(breath=-1.0), SIZE)
    high = host.frame(HostState(breath=1.0), SIZE)
    top_low = np.nonzero(low[..., 3].max(axis=1))[0][0]
    top_high = np.nonzero(high[..., 3].max(axis=1))[0][0]
    assert 2 <= top_low - top_high <= 8
    assert high[-1, SIZE[0] // 2, 3] == 255  # risen, yet the body still reaches the bottom edge


def test_blinks_are_natural_and_deterministic():
    ts = np.arange(0, 120, 0.005)
    values = np.array([blink_at(t, seed=3) for t in ts])
    assert np.array_equal(values, [blink_at(t, seed=3) for t in ts])
    assert not np.array_equal(values, [blink_at(t, seed=4) for t in ts])
    closed = values > 0
    starts = ts[1:][closed[1:] & ~closed[:-1]]
    ends = ts[1:][~closed[1:] & closed[:-1]]
    lengths = ends[: len(starts)] - starts[: len(ends)]
    assert 15 <= len(starts) <= 70  # every 2-6 s (and a few double blinks) over two minutes
    assert np.all((lengths > 0.10) & (lengths < 0.19)), lengths
    gaps = np.diff(starts)
    assert gaps.max() <= 6.2 and np.median(gaps) >= 1.5
    assert values.max() > 0.9  # the eyes do close fully at the middle of a blink


def test_breath_is_a_slow_sine_and_idle_state_combines_them():
    values = [breath_at(t / 10) for t in range(200)]
    assert min(values) == pytest.approx(-1, abs=0.01) and max(values) == pytest.approx(1, abs=0.01)
    state = idle_state(2.5, mouth=0.4, speaking=True, seed=1)
    assert state == HostState(t=2.5, mouth=0.4, blink=blink_at(2.5, 1), breath=breath_at(2.5), speaking=True)


class _Broken(AvatarBackend):
    name = "broken"

    def _draw(self, state, size):
        return np.zeros((size[1], size[0], 3), np.uint8)  # RGB, not RGBA


class _Counting(AvatarBackend):
    name = "counting"
    mouth_levels = 3

    def __init__(self):
        super().__init__()
        self.drawn: list[HostState] = []

    def _draw(self, state, size):
        self.drawn.append(state)
        out = np.zeros((size[1], size[0], 4), np.uint8)
        out[..., 0] = round(state.mouth * 255)
        return out


def test_a_backend_drawing_the_wrong_shape_fails_clearly():
    with pytest.raises(BackendError, match=r"expected \(20, 10, 4\) uint8"):
        _Broken().frame(HostState(), (10, 20))


def test_backends_draw_snapped_states_once_and_prepare_fills_the_cache():
    backend = _Counting()
    backend.frame(HostState(mouth=0.3), (8, 8))
    backend.frame(HostState(mouth=0.7), (8, 8))
    assert [s.mouth for s in backend.drawn] == [0.5]  # 0.3 and 0.7 both snap to 0.5: drawn once
    assert backend.frame(HostState(mouth=0.74), (8, 8))[0, 0, 0] == 128
    backend.prepare((8, 8))
    assert len(backend.drawn) == backend.mouth_levels * backend.blink_levels * backend.breath_levels
    assert all(s.t == 0.0 and not s.speaking for s in backend.drawn)


def test_dark_fraction_counts_only_dark_pixels_in_the_box():
    frame = np.full((10, 10, 3), 255, np.uint8)
    frame[2:4, 2:7] = 10
    assert dark_fraction(frame, (0, 0, 10, 10)) == pytest.approx(0.10)
    assert dark_fraction(frame, (2, 2, 7, 4)) == 1.0
