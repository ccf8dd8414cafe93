"""Draw the built-in default host (our own art) into ``assets/default/``.

Run ``python -m plugins.avatar_sprite.make_default_host`` to regenerate the PNGs; they are committed, so
the hub never draws them at runtime. The host is drawn at twice the output size and downsampled, which
anti-aliases every edge. Each variant (mouth shape 0..5, eyes closed) is drawn as a whole picture and
only the region where it differs from the base is kept, so the overlays join the base without seams.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

W, H = 800, 1000  # output size; drawing happens at SCALE times this
SCALE = 2
MOUTH_LEVELS = 6
OUT_DIR = Path(__file__).parent / "assets" / "default"

SKIN = (251, 219, 196)
SKIN_SHADE = (232, 180, 152)
HAIR = (56, 38, 34)
HAIR_LIGHT = (104, 72, 60)
UNIFORM = (30, 118, 110)
UNIFORM_DARK = (21, 90, 84)
SHIRT = (250, 248, 242)
LIPS = (214, 104, 108)
LIP_LINE = (168, 78, 82)
MOUTH_IN = (92, 28, 38)
TONGUE = (226, 112, 118)
TEETH = (255, 253, 248)
IRIS = (92, 58, 40)
LASH = (40, 26, 24)
BROW = (84, 58, 48)
BADGE = (246, 196, 84)

Point = tuple[float, float]


def px(points: Sequence[Point]) -> list[Point]:
    """Output coordinates to drawing coordinates."""
    return [(x * SCALE, y * SCALE) for x, y in points]


def bezier(p0: Point, p1: Point, p2: Point, p3: Point, n: int = 32) -> list[Point]:
    t = np.linspace(0.0, 1.0, n)[:, None]
    pts = ((1 - t) ** 3) * p0 + 3 * ((1 - t) ** 2) * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3
    return [(float(x), float(y)) for x, y in pts]


def path(*segments: tuple[Point, Point, Point, Point]) -> list[Point]:
    """Join cubic segments into one outline."""
    out: list[Point] = []
    for seg in segments:
        out.extend(bezier(*seg))
    return out


def layer() -> Image.Image:
    return Image.new("RGBA", (W * SCALE, H * SCALE), (0, 0, 0, 0))


def mask() -> Image.Image:
    return Image.new("L", (W * SCALE, H * SCALE), 0)


def fill(img: Image.Image, points: Sequence[Point], color: tuple[int, ...]) -> None:
    ImageDraw.Draw(img).polygon(px(points), fill=color)


def ellipse(img: Image.Image, cx: float, cy: float, rx: float, ry: float, color: tuple[int, ...]) -> None:
    ImageDraw.Draw(img).ellipse([(cx - rx) * SCALE, (cy - ry) * SCALE, (cx + rx) * SCALE, (cy + ry) * SCALE],
                                fill=color)


def stroke(img: Image.Image, points: Sequence[Point], color: tuple[int, ...], width: float) -> None:
    """A line with round caps and joints."""
    draw = ImageDraw.Draw(img)
    pts = px(points)
    w = max(1, round(width * SCALE))
    draw.line(pts, fill=color, width=w, joint="curve")
    r = w / 2
    for x, y in (pts[0], pts[-1]):
        draw.ellipse([x - r, y - r, x + r, y + r], fill=color)


def soft(img: Image.Image, shape: Image.Image, color: tuple[int, int, int], alpha: float, blur: float,
         clip: Image.Image | None = None) -> None:
    """Paint ``color`` through a blurred ``shape`` mask (optionally clipped): soft shading and blush."""
    m = shape.filter(ImageFilter.GaussianBlur(blur * SCALE))
    if clip is not None:
        m = ImageChops.multiply(m, clip)
    paint = Image.new("RGBA", img.size, color + (0,))
    paint.putalpha(m.point(lambda v: int(v * alpha)))
    img.alpha_composite(paint)


def face_outline() -> list[Point]:
    cx, cy, rx, ry = 400.0, 352.0, 146.0, 178.0
    pts = []
    for i in range(160):
        t = 2 * math.pi * i / 160
        s = math.sin(t)
        narrow = 1.0 - 0.30 * max(0.0, s) ** 2.2  # the jaw tapers to a soft chin
        pts.append((cx + rx * math.cos(t) * narrow, cy + ry * s * (1.02 if s > 0 else 1.0)))
    return pts


def body(img: Image.Image) -> None:
    # Back hair: a rounded bob behind the head.
    fill(img, path(((400, 150), (210, 150), (205, 330), (222, 545)),
                   ((222, 545), (260, 575), (320, 560), (330, 520)),
                   ((330, 520), (470, 520), (470, 520), (470, 520)),
                   ((470, 520), (480, 560), (540, 575), (578, 545)),
                   ((578, 545), (595, 330), (590, 150), (400, 150))), HAIR)
    # Neck with the shadow the chin casts.
    fill(img, [(352, 470), (448, 470), (452, 640), (348, 640)], SKIN)
    shadow = mask()
    ImageDraw.Draw(shadow).polygon(px([(330, 520), (470, 520), (460, 585), (340, 585)]), fill=255)
    neck = mask()
    ImageDraw.Draw(neck).polygon(px([(352, 470), (448, 470), (452, 640), (348, 640)]), fill=255)
    soft(img, shadow, SKIN_SHADE, 0.9, 10, neck)
    # Shoulders and uniform.
    torso = path(((400, 600), (300, 600), (150, 618), (110, 690)),
                 ((110, 690), (80, 760), (70, 900), (64, 1010)),
                 ((64, 1010), (300, 1010), (500, 1010), (736, 1010)),
                 ((736, 1010), (730, 900), (720, 760), (690, 690)),
                 ((690, 690), (650, 618), (500, 600), (400, 600)))
    fill(img, torso, UNIFORM)
    # White shirt in a V under the uniform, with a collar.
    fill(img, [(336, 606), (464, 606), (400, 760)], SHIRT)
    fill(img, [(348, 598), (400, 650), (376, 700), (318, 628)], SHIRT)
    fill(img, [(452, 598), (400, 650), (424, 700), (482, 628)], SHIRT)
    stroke(img, [(348, 598), (400, 650), (452, 598)], (220, 216, 206), 3)
    stroke(img, [(400, 650), (376, 700), (318, 628)], (220, 216, 206), 2.5)
    stroke(img, [(400, 650), (424, 700), (482, 628)], (220, 216, 206), 2.5)
    # Lapels and a seam give the uniform some shape.
    stroke(img, [(336, 612), (400, 770), (464, 612)], UNIFORM_DARK, 6)
    torso_m = mask()
    ImageDraw.Draw(torso_m).polygon(px(torso), fill=255)
    sides = mask()
    ImageDraw.Draw(sides).rectangle(px([(0, 600), (150, 1000)]), fill=255)
    ImageDraw.Draw(sides).rectangle(px([(650, 600), (800, 1000)]), fill=255)
    soft(img, sides, UNIFORM_DARK, 0.8, 40, torso_m)
    stroke(img, bezier((196, 700), (206, 780), (204, 880), (200, 1000)), UNIFORM_DARK, 3)
    stroke(img, bezier((604, 700), (594, 780), (596, 880), (600, 1000)), UNIFORM_DARK, 3)
    # Name badge.
    badge = [(488, 760), (592, 760), (592, 800), (488, 800)]
    ImageDraw.Draw(img).rounded_rectangle(px([badge[0], badge[2]]), radius=10 * SCALE, fill=BADGE)
    ellipse(img, 510, 780, 10, 10, (255, 255, 255, 255))
    stroke(img, [(528, 774), (576, 774)], (255, 250, 236), 5)
    stroke(img, [(528, 788), (562, 788)], (255, 250, 236), 4)


def face(img: Image.Image) -> Image.Image:
    """Draw the face and return its mask (for shading clipped to the skin)."""
    outline = face_outline()
    fill(img, outline, SKIN)
    face_m = mask()
    ImageDraw.Draw(face_m).polygon(px(outline), fill=255)
    # Blush.
    blush = mask()
    ImageDraw.Draw(blush).ellipse(px([(300, 440), (362, 476)]), fill=255)
    ImageDraw.Draw(blush).ellipse(px([(438, 440), (500, 476)]), fill=255)
    soft(img, blush, (246, 150, 150), 0.55, 9, face_m)
    # Nose: a soft shadow and a small tip line.
    nose = mask()
    ImageDraw.Draw(nose).ellipse(px([(388, 420), (406, 452)]), fill=255)
    soft(img, nose, SKIN_SHADE, 0.5, 5, face_m)
    stroke(img, bezier((392, 452), (397, 457), (404, 457), (409, 451)), (214, 150, 128), 3)
    # Brows.
    for side in (-1, 1):
        cx = 400 + side * 62
        stroke(img, bezier((cx - side * 34, 318), (cx - side * 12, 304), (cx + side * 14, 302),
                           (cx + side * 34, 312)), BROW, 7)
    return face_m


def front_hair(img: Image.Image, face_m: Image.Image) -> None:
    bangs = path(((246, 372), (222, 236), (296, 162), (404, 160)),
                 ((404, 160), (516, 158), (588, 236), (556, 372)),
                 ((556, 372), (548, 320), (532, 282), (508, 252)),
                 ((508, 252), (470, 292), (400, 306), (326, 300)),
                 ((326, 300), (360, 286), (372, 262), (374, 236)),
                 ((374, 236), (330, 270), (296, 300), (276, 336)),
                 ((276, 336), (266, 360), (256, 372), (246, 372)))
    # The shadow the bangs cast on the forehead, then the bangs themselves.
    shade = mask()
    ImageDraw.Draw(shade).polygon(px([(x, y + 14) for x, y in bangs]), fill=255)
    soft(img, shade, SKIN_SHADE, 0.55, 8, face_m)
    fill(img, bangs, HAIR)
    for side in (-1, 1):  # side locks framing the face down to the jaw
        x0 = 400 + side * 154
        fill(img, path(((x0 - side * 4, 270), (x0 - side * 24, 380), (x0 - side * 20, 470),
                        (x0 - side * 6, 548)),
                       ((x0 - side * 6, 548), (x0 + side * 8, 520), (x0 + side * 12, 420),
                        (x0 + side * 8, 270)),
                       ((x0 + side * 8, 270), (x0 + side * 4, 262), (x0 + side * 0, 262),
                        (x0 - side * 4, 270))), HAIR)
    # A soft sheen across the crown.
    sheen = mask()
    ImageDraw.Draw(sheen).line(px(bezier((300, 214), (340, 186), (410, 176), (470, 184))), fill=255,
                               width=14 * SCALE)
    soft(img, sheen, HAIR_LIGHT, 0.8, 5)


def eyes(img: Image.Image, closed: bool) -> None:
    for side in (-1, 1):
        cx, cy = 400 + side * 62, 378
        if closed:
            # A relaxed closed lid: a downward arc with a short outer lash.
            stroke(img, bezier((cx - 28, cy - 2), (cx - 12, cy + 14), (cx + 12, cy + 14), (cx + 28, cy - 2)),
                   LASH, 5)
            stroke(img, [(cx + side * 27, cy - 1), (cx + side * 36, cy - 6)], LASH, 4)
            continue
        white = path(((cx - 30, cy), (cx - 20, cy - 22), (cx + 20, cy - 22), (cx + 30, cy)),
                     ((cx + 30, cy), (cx + 20, cy + 16), (cx - 20, cy + 16), (cx - 30, cy)))
        fill(img, white, (255, 255, 255))
        ellipse(img, cx, cy - 1, 16, 18, IRIS)
        ellipse(img, cx, cy - 1, 8, 9, (30, 18, 16))
        ellipse(img, cx + 6, cy - 8, 5, 5, (255, 255, 255))
        ellipse(img, cx - 6, cy + 7, 2.5, 2.5, (255, 255, 255, 220))
        # Upper lid line thicker than the lower one, with a small flick outwards.
        stroke(img, bezier((cx - 32, cy + 1), (cx - 20, cy - 24), (cx + 20, cy - 24), (cx + 32, cy + 1)),
               LASH, 6)
        stroke(img, [(cx + side * 31, cy), (cx + side * 39, cy - 7)], LASH, 4)
        stroke(img, bezier((cx - 24, cy + 10), (cx - 10, cy + 18), (cx + 10, cy + 18), (cx + 24, cy + 10)),
               (200, 150, 130), 2)


def mouth(img: Image.Image, level: int) -> None:
    """Mouth shape ``level`` (0 closed smile .. MOUTH_LEVELS - 1 wide open)."""
    cx, cy = 400.0, 494.0
    if level == 0:
        stroke(img, bezier((cx - 30, cy - 4), (cx - 12, cy + 10), (cx + 12, cy + 10), (cx + 30, cy - 4)),
               LIP_LINE, 5)
        return
    k = level / (MOUTH_LEVELS - 1)
    half = 26 + 8 * k
    top = cy - 4 - 4 * k
    depth = 6 + 44 * k
    inner = path(((cx - half, top), (cx - half * 0.5, top - 6), (cx + half * 0.5, top - 6), (cx + half, top)),
                 ((cx + half, top), (cx + half * 0.7, top + depth), (cx - half * 0.7, top + depth),
                  (cx - half, top)))
    lips = path(((cx - half - 5, top), (cx - half * 0.5, top - 11), (cx + half * 0.5, top - 11),
                 (cx + half + 5, top)),
                ((cx + half + 5, top), (cx + half * 0.75, top + depth + 9), (cx - half * 0.75, top + depth + 9),
                 (cx - half - 5, top)))
    fill(img, lips, LIPS)
    fill(img, inner, MOUTH_IN)
    clip = mask()
    ImageDraw.Draw(clip).polygon(px(inner), fill=255)
    detail = layer()
    if level >= 1:  # upper teeth
        ImageDraw.Draw(detail).rectangle(px([(cx - half, top - 8), (cx + half, top + 1 + 3 * k)]), fill=TEETH)
    if level >= MOUTH_LEVELS - 2:  # the tongue at the bottom
        ImageDraw.Draw(detail).ellipse(px([(cx - half * 0.6, top + depth * 0.54), (cx + half * 0.6,
                                                                                    top + depth * 1.3)]),
                                       fill=TONGUE)
    img.paste(detail, (0, 0), ImageChops.multiply(detail.getchannel("A"), clip))


def draw_host(mouth_level: int = 0, eyes_closed: bool = False) -> Image.Image:
    img = layer()
    body(img)
    face_m = face(img)
    eyes(img, eyes_closed)
    mouth(img, mouth_level)
    front_hair(img, face_m)
    return img.resize((W, H), Image.Resampling.LANCZOS)


def overlay(variant: Image.Image, base: Image.Image, pad: int = 4) -> Image.Image:
    """``variant`` where it differs from ``base`` (bounding box plus ``pad``), transparent elsewhere."""
    diff = np.abs(np.asarray(variant, np.int16) - np.asarray(base, np.int16)).max(axis=2)
    ys, xs = np.nonzero(diff > 0)
    out = Image.new("RGBA", base.size, (0, 0, 0, 0))
    if len(xs):
        box = (max(0, xs.min() - pad), max(0, ys.min() - pad), min(W, xs.max() + pad + 1),
               min(H, ys.max() + pad + 1))
        out.paste(variant.crop(box), box[:2])
    return out


def main(out_dir: Path = OUT_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    base = draw_host(0, False)
    written = [out_dir / "base.png"]
    base.save(written[0], optimize=True)
    for level in range(MOUTH_LEVELS):
        target = out_dir / f"mouth_{level}.png"
        overlay(draw_host(level, False), base).save(target, optimize=True)
        written.append(target)
    target = out_dir / "blink.png"
    overlay(draw_host(0, True), base).save(target, optimize=True)
    written.append(target)
    return written


if __name__ == "__main__":
    for written_path in main():
        print(written_path)
