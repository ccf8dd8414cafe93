"""Finding a font that can draw Chinese: captions, product names and comments are often CJK.

The search prefers a CJK font (Noto Sans CJK SC from Debian's ``fonts-noto-cjk``, then other common CJK
fonts), falls back to DejaVu Sans, and finally to Pillow's built-in font, so a scene always draws
something; without a CJK font Chinese shows as boxes and one warning is logged. ``has_glyph`` tells a
real glyph from the "missing glyph" box, which the tests use to prove Chinese really renders.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageFont

log = logging.getLogger("livehub.media.fonts")

FontT = ImageFont.FreeTypeFont | ImageFont.ImageFont

# (file name, preferred face-name fragment inside a collection). Searched under FONT_DIRS.
CJK_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("NotoSansCJK-{w}.ttc", "SC"),
    ("NotoSansCJKsc-{w}.otf", ""),
    ("NotoSansSC-{w}.otf", ""),
    ("SourceHanSansSC-{w}.otf", ""),
    ("wqy-microhei.ttc", ""),
    ("wqy-zenhei.ttc", ""),
    ("DroidSansFallbackFull.ttf", ""),
    ("PingFang.ttc", "SC"),
    ("msyh.ttc", ""),
)
LATIN_CANDIDATES: tuple[tuple[str, str], ...] = (("DejaVuSans{b}.ttf", ""), ("LiberationSans-{w}.ttf", ""))
FONT_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".fonts",
    Path("/System/Library/Fonts"),
    Path("/Library/Fonts"),
    Path("C:/Windows/Fonts"),
)
MISSING_PROBE = "\U000f0000"  # a private-use code point no font maps: always drawn as the missing box
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


@dataclass(frozen=True, slots=True)
class FontFile:
    """A font file and the face index inside it (collections hold several faces)."""

    path: Path
    index: int = 0
    cjk: bool = False


@functools.lru_cache(maxsize=1)
def _font_files() -> dict[str, Path]:
    """Every font file under the usual folders, by lower-case file name (first one wins)."""
    found: dict[str, Path] = {}
    for folder in FONT_DIRS:
        try:
            if not folder.is_dir():
                continue
            for file in folder.rglob("*"):
                if file.suffix.lower() in (".ttf", ".ttc", ".otf"):
                    found.setdefault(file.name.lower(), file)
        except OSError:
            continue
    return found


def _face_index(path: Path, prefer: str) -> int:
    """The index of the face whose name contains ``prefer`` (e.g. "SC" in a Noto CJK collection)."""
    if not prefer:
        return 0
    for index in range(16):
        try:
            family, _ = ImageFont.truetype(str(path), 12, index=index).getname()
        except OSError:
            break
        if re.search(rf"\b{prefer}\b", family or ""):
            return index
    return 0


@functools.lru_cache(maxsize=8)
def find_font(bold: bool = False) -> FontFile | None:
    """The best installed font: a CJK one if any, else a Latin one, else None (use Pillow's own)."""
    files = _font_files()
    weight = "Bold" if bold else "Regular"
    for candidates, cjk in ((CJK_CANDIDATES, True), (LATIN_CANDIDATES, False)):
        for pattern, prefer in candidates:
            name = pattern.format(w=weight, b="-Bold" if bold else "").lower()
            path = files.get(name)
            if path is None and bold:  # no bold cut: the regular one is better than none
                path = files.get(pattern.format(w="Regular", b="").lower())
            if path is not None:
                if not cjk:
                    log.warning("no CJK font installed (install fonts-noto-cjk): Chinese text shows as boxes")
                return FontFile(path, _face_index(path, prefer), cjk)
    log.warning("no TrueType font found: using Pillow's built-in font")
    return None


@functools.lru_cache(maxsize=64)
def load_font(size: int, bold: bool = False, path: str | None = None) -> FontT:
    """A font of ``size`` pixels: ``path`` (a theme's own font) if given and loadable, else the best found."""
    size = max(6, int(size))
    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            log.warning("cannot load font %s: using the default font", path)
    found = find_font(bold)
    if found is not None:
        try:
            return ImageFont.truetype(str(found.path), size, index=found.index)
        except OSError:
            log.warning("cannot load font %s", found.path)
    return ImageFont.load_default(size)


def _ink(font: FontT, text: str) -> Image.Image:
    box = font.getbbox(text)
    img = Image.new("L", (max(1, int(box[2]) + 2), max(1, int(box[3]) + 2)), 0)
    from PIL import ImageDraw

    ImageDraw.Draw(img).text((0, 0), text, font=font, fill=255)
    return img


def has_glyph(font: FontT, char: str) -> bool:
    """True if ``font`` draws ``char`` as a real glyph: some ink, and not the missing-glyph box."""
    drawn = _ink(font, char)
    if drawn.getbbox() is None:
        return False
    missing = _ink(font, MISSING_PROBE)
    if drawn.size != missing.size:
        return True
    return ImageChops.difference(drawn, missing).getbbox() is not None


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
