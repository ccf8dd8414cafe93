"""Where everything goes on the studio scene's frame, for landscape (1280×720) and portrait (720×1280) at
any size (the ``vertical`` scene has a layout of its own, :mod:`plugins.scene_studio.vertical`).

Positions are designed on a 720-pixel short side and scaled, so 1920×1080 or 540×960 keep the same
look. The host stands on the frame's bottom edge; the card sits right of the host in landscape and
over the host's lower right in portrait, like a platform's product pop-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.media.scene import Box

__all__ = ["HOST_ASPECT", "Box", "Layout", "make_layout"]

HOST_ASPECT = 0.8  # width / height of the host box (the default host is drawn 800×1000)


@dataclass(frozen=True, slots=True)
class Layout:
    """Boxes of one frame size. ``unit`` is the scale factor from the 720-pixel design. The host box may
    reach past the frame's left edge (portrait); the compositor clips it."""

    size: tuple[int, int]
    unit: float
    portrait: bool
    host: Box
    card: Box
    caption: Box          # the band the caption is centred in (max width, bottom edge)
    comment: Box          # top-left corner and max width of the comment bubble
    top_bar: Box          # LIVE badge and shop name
    countdown: Box        # top-right anchor of the countdown badge

    def px(self, value: float) -> int:
        """A design length (on the 720-pixel short side) in this frame's pixels."""
        return max(1, round(value * self.unit))


def make_layout(size: tuple[int, int]) -> Layout:
    width, height = size
    if width < 160 or height < 160:
        raise ValueError(f"frame size too small: {width}x{height}")
    portrait = height > width
    unit = (width if portrait else height) / 720

    def s(v: float) -> int:
        return round(v * unit)

    if not portrait:
        host_h = min(height - s(28), s(692))
        host_w = round(host_h * HOST_ASPECT)
        host_cx = round(width * 0.40)
        host = Box(host_cx - host_w // 2, height - host_h, host_w, host_h)
        card_w = min(s(440), width - host.x1 - s(24))
        card = Box(width - s(28) - card_w, s(84), card_w, s(492))
        caption = Box(s(40), height - s(24) - s(112), width - 2 * s(40), s(112))
        comment = Box(s(28), s(84), max(s(200), host.x + round(host_w * 0.26) - s(40)), s(140))
        countdown = Box(width - s(28), s(24), 0, s(44))
    else:
        # The host stands left of centre, so the card pops up beside her face, not over it.
        host_w = width
        host_h = round(host_w / HOST_ASPECT)
        host = Box(round(width * 0.38) - host_w // 2, height - host_h, host_w, host_h)
        card_w = s(276)
        card = Box(width - s(20) - card_w, height - s(160) - s(400), card_w, s(400))
        caption = Box(s(24), height - s(24) - s(124), width - 2 * s(24), s(124))
        comment = Box(s(24), s(88), width - 2 * s(24) - s(120), s(140))
        countdown = Box(width - s(24), s(24), 0, s(44))
    margin = s(28 if not portrait else 24)
    top_bar = Box(margin, s(24), width - 2 * margin - s(190), s(44))  # room for the countdown
    return Layout(size=(width, height), unit=unit, portrait=portrait, host=host, card=card, caption=caption,
                  comment=comment, top_bar=top_bar, countdown=countdown)
