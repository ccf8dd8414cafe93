"""The studio backdrop behind the host: a warm gradient wall, a soft spotlight, out-of-focus lights and
a blurred shelf, like a small shop's live-room corner. Drawn once per size and theme."""

from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from plugins.scene_studio.layout import Layout
from plugins.scene_studio.theme import Theme


def _gradient(size: tuple[int, int], top: tuple[int, ...], bottom: tuple[int, ...]) -> np.ndarray:
    width, height = size
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    colours = np.asarray(top[:3], np.float32) * (1 - t) + np.asarray(bottom[:3], np.float32) * t
    return np.broadcast_to(colours, (height, width, 3)).copy()


def _spotlight(size: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    """A smooth radial falloff, 1 at ``centre``, 0 beyond ``radius``."""
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    d = np.sqrt((xs - centre[0]) ** 2 + ((ys - centre[1]) * 1.15) ** 2) / radius
    return np.clip(1.0 - d, 0.0, 1.0) ** 1.6


def _shelf(img: Image.Image, layout: Layout) -> None:
    """A shelf with a few jars and boxes, far behind the host, so heavily blurred."""
    width, height = layout.size
    u = layout.unit
    props = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(props)
    shelf_y = round(height * (0.60 if not layout.portrait else 0.30))
    draw.rectangle((0, shelf_y, width, shelf_y + round(14 * u)), fill=(196, 160, 128, 150))
    rng = random.Random(7)
    palette = [(214, 120, 96), (120, 156, 132), (232, 198, 140), (164, 132, 176), (112, 150, 170)]
    x = round(20 * u)
    while x < width:
        w = round(rng.uniform(36, 80) * u)
        h = round(rng.uniform(50, 120) * u)
        colour = palette[rng.randrange(len(palette))] + (120,)
        if rng.random() < 0.5:
            draw.rounded_rectangle((x, shelf_y - h, x + w, shelf_y), radius=round(8 * u), fill=colour)
        else:
            draw.ellipse((x, shelf_y - h, x + w, shelf_y + round(4 * u)), fill=colour)
        x += w + round(rng.uniform(20, 70) * u)
    img.alpha_composite(props)


def _bokeh(img: Image.Image, layout: Layout) -> None:
    width, height = layout.size
    u = layout.unit
    lights = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(lights)
    rng = random.Random(11)
    for _ in range(16):
        r = rng.uniform(18, 60) * u
        cx, cy = rng.uniform(0, width), rng.uniform(0, height * 0.55)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 246, 226, rng.randint(28, 70)))
    img.alpha_composite(lights)


def draw_backdrop(layout: Layout, theme: Theme) -> Image.Image:
    """The opaque RGBA backdrop for ``layout``."""
    size = layout.size
    base = _gradient(size, theme.color("background_top"), theme.color("background_bottom"))
    host = layout.host
    spot = theme.color("spotlight")
    glow = _spotlight(size, (host.x + host.w / 2, host.y + host.h * 0.30), max(size) * 0.55)
    glow = glow[..., None] * (spot[3] / 255.0)
    base = base * (1 - glow) + np.asarray(spot[:3], np.float32) * glow
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB").convert("RGBA")
    _shelf(img, layout)
    _bokeh(img, layout)
    # Far behind the host, all out of focus (blurring the opaque picture keeps colours clean).
    img = img.filter(ImageFilter.GaussianBlur(8 * layout.unit))
    # A gentle vignette keeps the eye in the middle.
    width, height = size
    vignette = _spotlight(size, (width / 2, height / 2), max(size) * 0.85)
    shade = (1.0 - vignette) * 0.16
    pixels = np.asarray(img, np.float32)
    pixels[..., :3] *= (1.0 - shade)[..., None]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGBA")
