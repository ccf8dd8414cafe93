"""Measuring how open the host's mouth is from rendered pixels, to prove lip-sync end to end.

The inside of an open mouth is the darkest thing in the mouth box; its share of the box grows with the
opening. :func:`mouth_layout_for` finds the box and calibrates "closed" and "wide open" on the avatar's
own pictures; :func:`mouth_openness_from_frame` then reads any composited frame (or a decoded video
frame) and returns 0..1, which tests correlate with the speech's loudness envelope.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from hub.media.avatar import AvatarBackend, HostState

DARK_LUMA = 80  # below this (0..255) a pixel counts as mouth interior


@dataclass(frozen=True, slots=True)
class MouthLayout:
    """The mouth box in frame pixels (x0, y0, x1, y1) and the dark share when closed and wide open."""

    box: tuple[int, int, int, int]
    closed: float
    open: float
    threshold: int = DARK_LUMA

    def shifted(self, dx: int, dy: int) -> MouthLayout:
        x0, y0, x1, y1 = self.box
        return replace(self, box=(x0 + dx, y0 + dy, x1 + dx, y1 + dy))


def dark_fraction(frame: np.ndarray, box: tuple[int, int, int, int], threshold: int = DARK_LUMA) -> float:
    """Share of pixels in ``box`` darker than ``threshold`` (frame RGB or RGBA, uint8)."""
    x0, y0, x1, y1 = box
    region = frame[max(0, y0):y1, max(0, x0):x1, :3].astype(np.float32)
    if region.size == 0:
        return 0.0
    luma = region[..., 0] * 0.299 + region[..., 1] * 0.587 + region[..., 2] * 0.114
    return float(np.count_nonzero(luma < threshold)) / luma.size


def mouth_openness_from_frame(frame: np.ndarray, layout: MouthLayout) -> float:
    """How open the mouth in ``frame`` is: 0 as when closed .. 1 as when wide open (clipped)."""
    span = layout.open - layout.closed
    if span <= 0:
        return 0.0
    value = (dark_fraction(frame, layout.box, layout.threshold) - layout.closed) / span
    return float(min(max(value, 0.0), 1.0))


def mouth_layout_for(avatar: AvatarBackend, size: tuple[int, int],
                     offset: tuple[int, int] = (0, 0)) -> MouthLayout | None:
    """The avatar's mouth box at ``size``, moved by ``offset`` (where the host sits on the frame), with
    closed/open calibrated on its own pictures; None if the backend does not report a mouth box."""
    box = avatar.mouth_box(size)
    if box is None:
        return None
    closed = dark_fraction(_opaque(avatar.frame(HostState(mouth=0.0), size)), box)
    wide = dark_fraction(_opaque(avatar.frame(HostState(mouth=1.0), size)), box)
    return MouthLayout(box=box, closed=closed, open=wide).shifted(*offset)


def _opaque(rgba: np.ndarray) -> np.ndarray:
    """The picture over white, so transparent pixels never count as dark."""
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    return (rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
