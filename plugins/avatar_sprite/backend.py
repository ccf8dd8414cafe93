"""The ``sprite`` avatar: a host drawn from an image set, the merchant's own or the built-in one.

An image set is a folder of PNGs of one size: ``base.png`` (the host, mouth closed, eyes open),
``mouth_0.png`` .. ``mouth_N.png`` (closed to wide open) and, optionally, ``blink.png`` (eyes shut).
Mouth and blink images are laid over the base, so they may be whole pictures or transparent except
where they differ. The host is fitted into the box the scene gives (bottom-aligned, centred) and
rises and sinks a few pixels with each breath.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from hub.errors import BackendError
from hub.media.avatar import AvatarBackend, HostState

DEFAULT_IMAGES = Path(__file__).parent / "assets" / "default"
MOUTH_FILE = re.compile(r"^mouth_(\d+)\.png$")


class SpriteSettings(BaseModel):
    """``[backends.avatar.sprite]``."""

    model_config = ConfigDict(extra="forbid")

    images: str | None = Field(None, description="folder with base.png, mouth_0..N.png and blink.png; "
                                                  "relative to livehub.toml; empty: the built-in host")
    breath: float = Field(0.004, ge=0, le=0.05, description="breathing movement, as a share of host height")


@dataclass(slots=True)
class ImageSet:
    base: Image.Image
    mouths: list[Image.Image]
    blink: Image.Image | None
    mouth_box: tuple[int, int, int, int]  # native pixels; where mouth pictures differ from each other


def _open(path: Path) -> Image.Image:
    try:
        with Image.open(path) as img:
            return img.convert("RGBA")
    except (OSError, ValueError) as exc:
        raise BackendError(f"sprite: cannot read {path}: {exc}", backend="sprite") from None


def load_image_set(folder: Path) -> ImageSet:
    """Read and check an image set; a problem raises :class:`BackendError` naming the file."""
    if not folder.is_dir():
        raise BackendError(f"sprite: image folder not found: {folder}", backend="sprite")
    if not (folder / "base.png").is_file():
        raise BackendError(f"sprite: {folder} has no base.png", backend="sprite")
    base = _open(folder / "base.png")
    numbers = sorted(int(m.group(1)) for p in folder.iterdir() if (m := MOUTH_FILE.match(p.name)))
    if not numbers:
        raise BackendError(f"sprite: {folder} has no mouth_0.png (mouth shapes mouth_0..mouth_N)",
                           backend="sprite")
    if numbers != list(range(len(numbers))):
        raise BackendError(f"sprite: mouth images in {folder} must be numbered 0..N without gaps "
                           f"(found {numbers})", backend="sprite")
    mouths = [_open(folder / f"mouth_{n}.png") for n in numbers]
    blink = _open(folder / "blink.png") if (folder / "blink.png").is_file() else None
    for name, img in [(f"mouth_{i}.png", m) for i, m in enumerate(mouths)] + [("blink.png", blink)]:
        if img is not None and img.size != base.size:
            raise BackendError(f"sprite: {folder / name} is {img.size[0]}x{img.size[1]}, base.png is "
                               f"{base.size[0]}x{base.size[1]}; all images must have one size", backend="sprite")
    return ImageSet(base, mouths, blink, _mouth_box(base, mouths))


def _mouth_box(base: Image.Image, mouths: list[Image.Image]) -> tuple[int, int, int, int]:
    """The bounding box of every pixel that differs between the mouth shapes (laid over the base)."""
    first = np.asarray(Image.alpha_composite(base, mouths[0]), np.int16)
    changed = np.zeros(first.shape[:2], bool)
    for mouth in mouths[1:]:
        changed |= np.abs(np.asarray(Image.alpha_composite(base, mouth), np.int16) - first).max(axis=2) > 8
    ys, xs = np.nonzero(changed)
    if not len(xs):
        return (0, 0, 0, 0)
    return (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)


@dataclass(slots=True)
class _Scaled:
    """An image set resized for one host box: the base, and for every (mouth, blink) the resized
    region where the variants differ, to paste over the base as is (no blending, so no seams)."""

    base: Image.Image
    patches: dict[tuple[int, bool], Image.Image]
    patch_at: tuple[int, int]
    offset: tuple[int, int]  # where the scaled picture's top-left sits in the host box
    scale: float


def _diff_box(a: Image.Image, b: Image.Image) -> tuple[int, int, int, int] | None:
    changed = np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).max(axis=2) > 0
    ys, xs = np.nonzero(changed)
    if not len(xs):
        return None
    return (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)


class SpriteAvatar(AvatarBackend):
    """A host from an image set (the merchant's own, or the built-in default host)."""

    name = "sprite"

    def __init__(self, images: Path | None = None, *, breath: float = 0.004) -> None:
        super().__init__()
        self.folder = Path(images) if images else DEFAULT_IMAGES
        self.images = load_image_set(self.folder)
        self.mouth_levels = len(self.images.mouths)
        self.blink_levels = 2 if self.images.blink is not None else 1
        self.breath = breath
        self._scaled: dict[tuple[int, int], _Scaled] = {}

    def _variants(self) -> dict[tuple[int, bool], Image.Image]:
        """Every (mouth level, eyes shut) picture at full size."""
        out: dict[tuple[int, bool], Image.Image] = {}
        for level, mouth in enumerate(self.images.mouths):
            picture = Image.alpha_composite(self.images.base, mouth)
            out[(level, False)] = picture
            if self.images.blink is not None:
                out[(level, True)] = Image.alpha_composite(picture, self.images.blink)
        return out

    def _scale(self, size: tuple[int, int]) -> _Scaled:
        cached = self._scaled.get(size)
        if cached is not None:
            return cached
        width, height = size
        bw, bh = self.images.base.size
        scale = min(width / bw, height / bh)
        target = (max(1, round(bw * scale)), max(1, round(bh * scale)))
        variants = self._variants()
        base = self.images.base
        boxes = [b for v in variants.values() if (b := _diff_box(v, base)) is not None]
        # The changing region, in scaled pixels, widened past the resampling filter's reach so the
        # patch edges fall where every variant is identical to the base.
        margin = 4
        if boxes:
            x0 = max(0, int(min(b[0] for b in boxes) * scale) - margin)
            y0 = max(0, int(min(b[1] for b in boxes) * scale) - margin)
            x1 = min(target[0], int(np.ceil(max(b[2] for b in boxes) * scale)) + margin)
            y1 = min(target[1], int(np.ceil(max(b[3] for b in boxes) * scale)) + margin)
        else:
            x0 = y0 = 0
            x1, y1 = 1, 1
        sx, sy = bw / target[0], bh / target[1]
        source_box = (x0 * sx, y0 * sy, x1 * sx, y1 * sy)
        patches = {key: v.resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS, box=source_box)
                   for key, v in variants.items()}
        scaled = _Scaled(
            base=base.resize(target, Image.Resampling.LANCZOS),
            patches=patches,
            patch_at=(x0, y0),
            offset=((width - target[0]) // 2, height - target[1]),
            scale=scale,
        )
        self._scaled[size] = scaled
        return scaled

    def _shift(self, breath: float, height: int) -> int:
        """Pixels the host rises (positive) at ``breath``."""
        return round(breath * self.breath * height)

    def _draw(self, state: HostState, size: tuple[int, int]) -> np.ndarray:
        scaled = self._scale(size)
        picture = scaled.base.copy()
        level = round(state.mouth * (self.mouth_levels - 1))
        shut = self.images.blink is not None and state.blink >= 0.5
        picture.paste(scaled.patches[(level, shut)], scaled.patch_at)
        pixels = np.asarray(picture)
        rise = self._shift(state.breath, size[1])
        out = np.zeros((size[1], size[0], 4), np.uint8)
        ox, oy = scaled.offset
        top = oy - rise
        src0 = max(0, -top)
        dst0 = max(0, top)
        rows = min(pixels.shape[0] - src0, size[1] - dst0)
        out[dst0:dst0 + rows, ox:ox + pixels.shape[1]] = pixels[src0:src0 + rows]
        if dst0 + rows < size[1] and rows > 0:  # risen: continue the body's bottom edge downwards
            out[dst0 + rows:, ox:ox + pixels.shape[1]] = pixels[src0 + rows - 1]
        return out

    def mouth_box(self, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
        x0, y0, x1, y1 = self.images.mouth_box
        if x1 <= x0:
            return None
        scaled = self._scale(size)
        ox, oy = scaled.offset
        s = scaled.scale
        reach = int(np.ceil(3 * max(1.0, s)))  # how far the resampling filter spreads an edge
        travel = abs(self._shift(1.0, size[1]))
        return (ox + int(x0 * s) - reach, oy + int(y0 * s) - travel - reach,
                ox + int(np.ceil(x1 * s)) + reach, oy + int(np.ceil(y1 * s)) + travel + reach)


def create_sprite(config: SpriteSettings | None, hub: Any = None) -> SpriteAvatar:
    """The BackendSpec factory: ``images`` is resolved against the folder of livehub.toml."""
    settings = config or SpriteSettings()
    folder: Path | None = None
    if settings.images:
        folder = Path(settings.images).expanduser()
        config_path = getattr(getattr(hub, "config", None), "path", None)
        if not folder.is_absolute() and config_path is not None:
            folder = Path(config_path).parent / folder
    return SpriteAvatar(folder, breath=settings.breath)
