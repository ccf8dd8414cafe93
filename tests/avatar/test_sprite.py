"""The sprite backend with a merchant's own image set, its checks, and its plugin registration."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image, ImageDraw

from hub.errors import BackendError
from hub.media.avatar import HostState
from hub.media.mouth_meter import mouth_layout_for, mouth_openness_from_frame
from plugins.avatar_sprite import livehub_register_backends
from plugins.avatar_sprite.backend import DEFAULT_IMAGES, SpriteAvatar, SpriteSettings, create_sprite

SKIN = (240, 200, 170, 255)


def write_set(folder: Path, mouths: int = 3, size: tuple[int, int] = (200, 250), blink: bool = True) -> Path:
    """A tiny merchant image set: a skin-coloured figure, mouths as growing black ovals, blink as a yellow bar."""
    folder.mkdir(parents=True, exist_ok=True)
    base = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(base).rectangle((40, 20, 160, 250), fill=SKIN)
    base.save(folder / "base.png")
    for n in range(mouths):
        mouth = Image.new("RGBA", size, (0, 0, 0, 0))
        half = 4 + 10 * n
        ImageDraw.Draw(mouth).ellipse((100 - 20, 150 - half, 100 + 20, 150 + half), fill=(0, 0, 0, 255))
        if n == 0:
            ImageDraw.Draw(mouth).rectangle((80, 149, 120, 151), fill=(0, 0, 0, 255))
        mouth.save(folder / f"mouth_{n}.png")
    if blink:
        lids = Image.new("RGBA", size, (0, 0, 0, 0))
        ImageDraw.Draw(lids).rectangle((60, 80, 140, 90), fill=(250, 220, 0, 255))
        lids.save(folder / "blink.png")
    return folder


def test_the_merchants_own_images_load_from_settings_relative_to_the_config(tmp_path):
    write_set(tmp_path / "my_host", mouths=3)
    hub = SimpleNamespace(config=SimpleNamespace(path=tmp_path / "livehub.toml"))
    avatar = create_sprite(SpriteSettings(images="my_host"), hub)
    assert avatar.folder == tmp_path / "my_host"
    assert avatar.mouth_levels == 3 and avatar.blink_levels == 2
    frame = avatar.frame(HostState(), (200, 250))
    assert tuple(frame[200, 50]) == SKIN  # the merchant's picture, at its own size, is what is drawn
    shut = avatar.frame(HostState(blink=1.0), (200, 250))
    assert tuple(shut[85, 100, :3]) == (250, 220, 0)
    layout = mouth_layout_for(avatar, (200, 250))
    measured = [mouth_openness_from_frame(avatar.frame(HostState(mouth=m), (200, 250)), layout)
                for m in (0.0, 0.5, 1.0)]
    assert measured[0] < measured[1] < measured[2]


def test_an_image_set_is_fitted_into_the_host_box_bottom_aligned(tmp_path):
    avatar = SpriteAvatar(write_set(tmp_path / "set"))
    frame = avatar.frame(HostState(), (400, 250))  # a wider box than the pictures
    opaque_columns = np.nonzero(frame[..., 3].max(axis=0))[0]
    assert opaque_columns.min() > 100 and opaque_columns.max() < 300  # centred
    assert frame[-1, 200, 3] == 255


def test_no_blink_image_means_the_eyes_never_close(tmp_path):
    avatar = SpriteAvatar(write_set(tmp_path / "set", blink=False))
    assert avatar.blink_levels == 1
    assert np.array_equal(avatar.frame(HostState(blink=1.0), (200, 250)), avatar.frame(HostState(), (200, 250)))


@pytest.mark.parametrize("breakage, message", [
    (lambda d: (d / "base.png").unlink(), "has no base.png"),
    (lambda d: [(d / f"mouth_{n}.png").unlink() for n in range(3)], "has no mouth_0.png"),
    (lambda d: (d / "mouth_1.png").unlink(), "numbered 0..N without gaps"),
    (lambda d: Image.new("RGBA", (10, 10)).save(d / "blink.png"), "all images must have one size"),
    (lambda d: (d / "mouth_2.png").write_bytes(b"not a png"), "cannot read"),
])
def test_a_broken_image_set_fails_naming_the_problem(tmp_path, breakage, message):
    folder = write_set(tmp_path / "set")
    breakage(folder)
    with pytest.raises(BackendError, match=message):
        SpriteAvatar(folder)


def test_a_missing_folder_fails_clearly(tmp_path):
    with pytest.raises(BackendError, match="image folder not found"):
        create_sprite(SpriteSettings(images=str(tmp_path / "nowhere")))


def test_the_built_in_host_is_the_default_and_ships_its_pictures():
    avatar = create_sprite(None)
    assert avatar.folder == DEFAULT_IMAGES
    assert avatar.mouth_levels == 6 and avatar.blink_levels == 2
    names = {p.name for p in DEFAULT_IMAGES.glob("*.png")}
    assert names == {"base.png", "blink.png"} | {f"mouth_{n}.png" for n in range(6)}


def test_the_plugin_registers_the_sprite_avatar_backend():
    [spec] = livehub_register_backends()
    assert (spec.kind, spec.name) == ("avatar", "sprite")
    assert spec.config_model is SpriteSettings
    assert isinstance(spec.factory(SpriteSettings(), None), SpriteAvatar)
    with pytest.raises(ValueError):
        SpriteSettings(imagez="x")
