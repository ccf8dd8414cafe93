"""The ``vertical`` scene draws real 9:16 frames: the host large above, card and captions below, the comment
and countdown where they cover neither, at 1080×1920 and 720×1280."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hub.catalog import build_catalog
from hub.errors import BackendError
from hub.media.avatar import idle_state
from hub.media.pictures import FolderPictures
from hub.media.scene import Box, Scene, SceneState
from plugins.avatar_sprite.backend import SpriteAvatar
from plugins.scene_studio.vertical import VerticalScene

STARTER = Path(__file__).resolve().parents[2] / "hub" / "starter"


def _catalog():
    data = json.loads((STARTER / "catalog.json").read_text(encoding="utf-8"))
    return build_catalog(data["shop"], data["products"])


def _state(scene: Scene, host: bool = True) -> SceneState:
    catalog = _catalog()
    picture = SpriteAvatar().frame(idle_state(0.4, mouth=0.6, speaking=True), scene.host_size) if host else None
    return SceneState(host=picture, product=catalog.products[0], pictures=FolderPictures(STARTER),
                      shop_name=catalog.shop.name, caption="这款高山乌龙茶，原价168元，今天直播间只要128元。兰花香，回甘持久。",
                      caption_progress=0.0, comment_author="小鹿爱喝茶", comment_text="主播，这个茶叶保质期多久？",
                      countdown=125.0)


def _inside(box: Box, size: tuple[int, int]) -> bool:
    return 0 <= box.x and 0 <= box.y and box.x1 <= size[0] and box.y1 <= size[1]


def _overlap(a: Box, b: Box) -> bool:
    return a.x < b.x1 and b.x < a.x1 and a.y < b.y1 and b.y < a.y1


@pytest.mark.parametrize("size", [(1080, 1920), (720, 1280)])
def test_the_vertical_scene_lays_card_caption_comment_and_countdown_out_inside_the_frame(size) -> None:
    scene = VerticalScene(size)
    state = _state(scene)
    frame = scene.draw(state)
    assert frame.shape == (size[1], size[0], 3) and frame.dtype == np.uint8
    layout = scene.layout
    host = scene.host_box
    assert _inside(host, size) and host.h > 0.55 * size[1]  # the host stands large ...
    assert host.y1 <= layout.card.y  # ... above the card, which is above the caption band
    assert layout.card.y1 <= layout.caption.y and _inside(layout.card, size) and _inside(layout.caption, size)
    boxes = {"card": layout.card}
    for overlay in scene.overlays(state):
        box = Box(overlay.x, overlay.y, overlay.image.width, overlay.image.height)
        assert _inside(box, size), (overlay.lines, box)
        kind = ("caption" if box.y >= layout.caption.y else "countdown" if box.y < layout.top_bar.y1
                else "comment")
        boxes[kind] = box
    assert set(boxes) == {"card", "caption", "comment", "countdown"}
    for a in boxes:
        for b in boxes:
            assert a == b or not _overlap(boxes[a], boxes[b]), (a, b)
    assert not _overlap(boxes["countdown"], layout.top_bar)
    assert boxes["comment"].y1 <= host.y1  # over the host's lower part, not over the sheet
    assert boxes["comment"].y > host.y + host.h // 2  # below the face


@pytest.mark.parametrize("size", [(1080, 1920), (720, 1280)])
def test_the_host_is_visible_in_the_upper_part(size) -> None:
    scene = VerticalScene(size)
    with_host = scene.draw(_state(scene)).astype(int)
    without = scene.draw(_state(scene, host=False)).astype(int)
    changed = np.abs(with_host - without).max(axis=2) > 30
    rows = np.nonzero(changed.any(axis=1))[0]
    assert changed.mean() > 0.15  # a large host
    assert rows.max() <= scene.host_box.y1 and rows.min() < size[1] * 0.3  # all of her above the sheet


def test_the_vertical_scene_refuses_a_landscape_frame_and_has_a_transparent_twin() -> None:
    with pytest.raises(ValueError, match="portrait"):
        VerticalScene((1280, 720))
    scene = VerticalScene()
    assert scene.size == (1080, 1920) == VerticalScene.preferred_size
    twin = scene.transparent_twin()
    assert isinstance(twin, VerticalScene) and twin.transparent and twin.size == scene.size
    layer = twin.draw(_state(twin, host=False))
    assert layer.shape == (1920, 1080, 4) and layer[..., 3].min() == 0 and layer[..., 3].max() == 255
    assert scene.caption_image("hello") is not None and scene.caption_box is not None


def test_the_base_checks_what_a_scene_draws() -> None:
    class Broken(Scene):
        name = "broken"
        host_box = Box(0, 0, 10, 10)

        def render(self, scene: SceneState) -> np.ndarray:
            return np.zeros((4, 4, 3), np.uint8)

    with pytest.raises(BackendError, match=r"scene 'broken' drew \(4, 4, 3\) uint8, not \(180, 320, 3\)"):
        Broken((320, 180)).draw(SceneState())
