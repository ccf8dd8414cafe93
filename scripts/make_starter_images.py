"""Draw the sample catalog's product pictures (our own art) into ``hub/starter/images/``.

Run ``python scripts/make_starter_images.py`` to regenerate them; the PNGs are committed and
``livehub init`` copies them next to the sample catalog. Each is drawn at twice its size on a
transparent background with a soft floor shadow, then downsampled for clean edges.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from hub.media.fonts import load_font

W, H = 640, 480
S = 2  # drawing scale
OUT_DIR = Path(__file__).resolve().parent.parent / "hub" / "starter" / "images"


def canvas() -> Image.Image:
    return Image.new("RGBA", (W * S, H * S), (0, 0, 0, 0))


def shadow(img: Image.Image, cx: float, cy: float, rx: float, ry: float, alpha: int = 70) -> None:
    m = Image.new("L", img.size, 0)
    ImageDraw.Draw(m).ellipse(((cx - rx) * S, (cy - ry) * S, (cx + rx) * S, (cy + ry) * S), fill=alpha)
    paint = Image.new("RGBA", img.size, (70, 50, 30, 0))
    paint.putalpha(m.filter(ImageFilter.GaussianBlur(14 * S)))
    img.alpha_composite(paint)


def shade_columns(img: Image.Image, box: tuple[float, float, float, float], strength: float = 0.35) -> None:
    """Cylinder-like shading across ``box``: darker at the sides, a highlight left of centre."""
    x0, y0, x1, y1 = (round(v * S) for v in box)
    px = np.asarray(img, np.float32).copy()
    t = np.linspace(-1.0, 1.0, x1 - x0, dtype=np.float32)
    light = 1.0 - strength * np.abs(t) ** 2.2 + 0.22 * np.exp(-((t + 0.45) ** 2) / 0.02)
    region = px[y0:y1, x0:x1, :3]
    px[y0:y1, x0:x1, :3] = np.clip(region * light[None, :, None], 0, 255)
    img.paste(Image.fromarray(px.astype(np.uint8), "RGBA"))


def finish(img: Image.Image, name: str) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / name
    img.resize((W, H), Image.Resampling.LANCZOS).save(path, optimize=True)
    return path


def leaf(draw: ImageDraw.ImageDraw, cx: float, cy: float, length: float, angle: float,
         colour: tuple[int, ...]) -> None:
    """A tea leaf: two arcs meeting at the tips, with a midrib."""
    pts = []
    for i in range(41):
        u = i / 40
        w = math.sin(math.pi * u) * length * 0.28
        pts.append((u * length - length / 2, -w))
    for i in range(40, -1, -1):
        u = i / 40
        w = math.sin(math.pi * u) * length * 0.28
        pts.append((u * length - length / 2, w))
    ca, sa = math.cos(angle), math.sin(angle)
    poly = [((cx + x * ca - y * sa) * S, (cy + x * sa + y * ca) * S) for x, y in pts]
    draw.polygon(poly, fill=colour)
    a = (cx - length / 2 * ca, cy - length / 2 * sa)
    b = (cx + length / 2 * ca, cy + length / 2 * sa)
    draw.line((a[0] * S, a[1] * S, b[0] * S, b[1] * S), fill=(255, 255, 255, 90), width=2 * S)


def tea() -> Path:
    img = canvas()
    shadow(img, 320, 440, 150, 18)
    d = ImageDraw.Draw(img)
    # Stand-up pouch: a slightly tapered body with a rounded bottom gusset.
    body = [(210, 70), (430, 70), (444, 420), (196, 420)]
    d.polygon([(x * S, y * S) for x, y in body], fill=(38, 92, 62, 255))
    d.rectangle((210 * S, 70 * S, 430 * S, 96 * S), fill=(30, 74, 50, 255))  # sealed top
    for x in range(216, 430, 8):  # crimped seal
        d.line((x * S, 72 * S, x * S, 94 * S), fill=(46, 106, 72, 255), width=2 * S)
    d.line((212 * S, 112 * S, 428 * S, 112 * S), fill=(24, 64, 42, 255), width=2 * S)  # zip
    shade_columns(img, (196, 70, 444, 421), 0.45)
    d = ImageDraw.Draw(img)
    # Cream label with the name.
    d.rounded_rectangle((236 * S, 170 * S, 404 * S, 372 * S), radius=16 * S, fill=(250, 241, 220, 255))
    d.rounded_rectangle((246 * S, 180 * S, 394 * S, 362 * S), radius=12 * S, outline=(196, 160, 92, 255),
                        width=2 * S)
    leaf(d, 320, 214, 60, -0.5, (62, 128, 80, 255))
    big = load_font(46 * S, True)
    d.text((320 * S, 282 * S), "乌龙茶", font=big, fill=(40, 70, 50, 255), anchor="mm")
    small = load_font(17 * S, True)
    d.text((320 * S, 330 * S), "OOLONG · 250g", font=small, fill=(150, 110, 60, 255), anchor="mm")
    # Loose leaves beside the pouch.
    for cx, cy, ang in ((150, 410, 0.4), (178, 432, -0.3), (478, 424, 2.6), (502, 404, 2.1)):
        leaf(d, cx, cy, 44, ang, (70, 120, 64, 255))
    return finish(img, "tea.png")


def mug() -> Path:
    img = canvas()
    shadow(img, 320, 444, 120, 16)
    d = ImageDraw.Draw(img)
    sage, sand = (150, 180, 156, 255), (226, 208, 176, 255)
    d.rounded_rectangle((236 * S, 126 * S, 404 * S, 440 * S), radius=28 * S, fill=sage)  # body
    d.rectangle((236 * S, 300 * S, 404 * S, 350 * S), fill=sand)  # a sleeve band
    shade_columns(img, (236, 126, 404, 441), 0.5)
    d = ImageDraw.Draw(img)
    # Lid: a rim and a domed top with a sip slot.
    d.rounded_rectangle((228 * S, 98 * S, 412 * S, 138 * S), radius=14 * S, fill=(64, 66, 70, 255))
    d.rounded_rectangle((244 * S, 70 * S, 396 * S, 108 * S), radius=18 * S, fill=(84, 86, 92, 255))
    shade_columns(img, (228, 70, 412, 139), 0.5)
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((300 * S, 78 * S, 360 * S, 90 * S), radius=6 * S, fill=(40, 40, 44, 255))
    small = load_font(20 * S, True)
    d.text((320 * S, 325 * S), "350 ml", font=small, fill=(120, 96, 66, 255), anchor="mm")
    # Steam, for warmth.
    for i, x in enumerate((286, 320, 354)):
        pts = [((x + 10 * math.sin(t / 9 + i)) * S, (60 - t) * S) for t in range(0, 48, 2)]
        d.line(pts, fill=(255, 255, 255, 170), width=5 * S, joint="curve")
    return finish(img, "mug.png")


def _panel(img: Image.Image, x0: float, x1: float, y0: float, y1: float, colour: tuple[int, int, int],
           phase: float) -> None:
    """One hanging panel of silk: wavy sides and hem, vertical folds shaded across it."""
    left = [(x0 + 7 * math.sin(y / 38 + phase) - 0.05 * (y - y0), y) for y in np.linspace(y0, y1, 40)]
    right = [(x1 + 7 * math.sin(y / 33 + phase + 1) + 0.05 * (y - y0), y) for y in np.linspace(y1, y0, 40)]
    hem = [(x, y1 + 10 * math.sin((x - x0) / 22 + phase)) for x in np.linspace(left[-1][0], right[0][0], 30)]
    m = Image.new("L", img.size, 0)
    ImageDraw.Draw(m).polygon([(x * S, y * S) for x, y in left + hem + right], fill=255)
    xs = np.arange(img.size[0], dtype=np.float32) / S
    fold = 0.80 + 0.20 * np.cos(2 * np.pi * (xs - x0) / 58 + phase)
    sheen = 0.18 * np.exp(-((xs - (x0 + (x1 - x0) * 0.35)) ** 2) / 300)
    rgb = np.clip(np.asarray(colour, np.float32)[None, :] * (fold + sheen)[:, None], 0, 255)
    paint = np.broadcast_to(rgb[None, :, :], (img.size[1], img.size[0], 3)).astype(np.uint8)
    panel = Image.fromarray(np.ascontiguousarray(paint), "RGB").convert("RGBA")
    d = ImageDraw.Draw(panel)
    for row, y in enumerate(range(round(y0) + 30, round(y1), 44)):  # a printed flower pattern
        for x in range(round(x0) + 16 + (row % 2) * 22, round(x1) - 6, 44):
            for k in range(5):
                a = 2 * math.pi * k / 5
                cx, cy = x + 4 * math.cos(a), y + 4 * math.sin(a)
                d.ellipse(((cx - 2.8) * S, (cy - 2.8) * S, (cx + 2.8) * S, (cy + 2.8) * S),
                          fill=(248, 226, 222, 210))
            d.ellipse(((x - 1.9) * S, (y - 1.9) * S, (x + 1.9) * S, (y + 1.9) * S), fill=(236, 188, 96, 255))
    img.paste(panel, (0, 0), m)


def scarf() -> Path:
    img = canvas()
    shadow(img, 320, 444, 170, 16)
    d = ImageDraw.Draw(img)
    # A wooden rod, the scarf hung over it in two panels (the back one darker).
    _panel(img, 236, 436, 96, 380, (150, 46, 70), 2.0)
    _panel(img, 200, 400, 96, 420, (198, 72, 98), 0.0)
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((150 * S, 84 * S, 490 * S, 104 * S), radius=10 * S, fill=(176, 128, 84, 255))
    d.rounded_rectangle((150 * S, 84 * S, 490 * S, 92 * S), radius=6 * S, fill=(204, 158, 110, 255))
    for x in (150, 490):
        d.ellipse(((x - 14) * S, 80 * S, (x + 14) * S, 108 * S), fill=(150, 104, 66, 255))
    return finish(img, "scarf.png")


def main() -> list[Path]:
    return [tea(), mug(), scarf()]


if __name__ == "__main__":
    for written in main():
        print(written)
