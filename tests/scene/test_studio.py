"""The compositor: frame format, what it draws where, caching, the transparent variant, and lip-sync
measured on whole frames."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hub.catalog import Product
from hub.media.avatar import HostState, idle_state
from hub.media.mouth_meter import mouth_openness_from_frame
from hub.media.pictures import FolderPictures
from hub.media.scene import SceneState
from plugins.avatar_sprite.backend import SpriteAvatar
from plugins.scene_studio.compositor import Compositor

STARTER = Path(__file__).resolve().parents[2] / "hub" / "starter"
TEA = Product.model_validate(dict(sku="TEA-001", link=1, name="高山乌龙茶 250g", price="168.00",
                                  promo_price="128.00", stock=300, image="images/tea.png"))


@pytest.fixture(scope="module")
def avatar() -> SpriteAvatar:
    return SpriteAvatar()


@pytest.fixture(scope="module")
def compositor() -> Compositor:
    return Compositor((1280, 720), 25)


def scene(avatar, compositor, **kw) -> SceneState:
    host = avatar.frame(kw.pop("state", HostState()), compositor.host_size)
    defaults = dict(host=host, product=TEA, pictures=FolderPictures(STARTER), shop_name="晨光好物",
                    caption="今天直播间只要128元！")
    return SceneState(**{**defaults, **kw})


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 0


def test_frames_are_rgb_uint8_of_the_configured_size(avatar, compositor):
    frame = compositor.draw(scene(avatar, compositor))
    assert frame.shape == (720, 1280, 3) and frame.dtype == np.uint8
    assert frame.flags.writeable and frame.flags.c_contiguous
    again = compositor.draw(scene(avatar, compositor))
    assert np.array_equal(frame, again) and frame is not again  # a fresh copy each frame
    portrait = Compositor((720, 1280))
    assert portrait.draw(scene(avatar, portrait)).shape == (1280, 720, 3)
    empty = compositor.draw(SceneState())
    assert empty.shape == (720, 1280, 3) and empty.std() > 1  # the backdrop alone still looks like a studio


def test_a_new_mouth_changes_only_the_mouth(avatar, compositor):
    closed = compositor.draw(scene(avatar, compositor, state=HostState(mouth=0.0)))
    wide = compositor.draw(scene(avatar, compositor, state=HostState(mouth=1.0)))
    ys, xs = np.nonzero(changed(closed, wide))
    x0, y0, x1, y1 = compositor.mouth_layout(avatar).box
    assert len(ys) > 100
    assert x0 <= xs.min() and xs.max() < x1 and y0 <= ys.min() and ys.max() < y1


def test_the_card_region_changes_with_the_price_and_nothing_else_does(avatar, compositor):
    before = compositor.draw(scene(avatar, compositor))
    cheaper = TEA.model_copy(update={"promo_price": TEA.promo_price - 30})
    after = compositor.draw(scene(avatar, compositor, product=cheaper))
    ys, xs = np.nonzero(changed(before, after))
    card = compositor.layout.card
    assert len(ys) > 200
    assert card.x <= xs.min() and xs.max() < card.x1 and card.y <= ys.min() and ys.max() < card.y1


def test_comment_caption_and_countdown_appear_where_the_layout_puts_them(avatar, compositor):
    bare = compositor.draw(scene(avatar, compositor, caption=""))
    full = compositor.draw(scene(avatar, compositor, comment_author="小鹿", comment_text="能便宜点吗？",
                                 countdown=90))
    diff = changed(bare, full)
    layout = compositor.layout
    comment, caption = layout.comment, layout.caption
    assert diff[comment.y:comment.y + 60, comment.x:comment.x + 100].mean() > 0.5  # the bubble
    assert diff[caption.y:caption.y1, caption.x:caption.x1].mean() > 0.1  # the caption band
    assert diff[layout.countdown.y:layout.countdown.y1, layout.countdown.x - 100:layout.countdown.x].mean() > 0.5
    assert not diff[layout.card.y + 40:layout.card.y1 - 40, layout.card.x + 20:layout.card.x1 - 20].any()


def test_viewer_text_cannot_break_the_frame(avatar, compositor):
    hostile = "\u202e" + "🔥" * 50 + "\n\x1b[31m" + "长" * 5000
    frame = compositor.draw(scene(avatar, compositor, comment_author="<b>x</b>" * 100, comment_text=hostile))
    assert frame.shape == (720, 1280, 3)
    box = compositor.layout.comment
    [bubble] = [o for o in compositor.overlays(scene(avatar, compositor, comment_author="a", comment_text=hostile))
                if (o.x, o.y) == (box.x, box.y)]
    assert bubble.image.width <= compositor.layout.comment.w and len(bubble.lines) <= 3


def test_long_captions_page_forward_as_they_are_spoken(avatar, compositor):
    text = "这是一段很长的介绍，" * 12
    start = compositor.overlays(scene(avatar, compositor, caption=text, caption_progress=0.05))[-1]
    end = compositor.overlays(scene(avatar, compositor, caption=text, caption_progress=0.98))[-1]
    assert len(start.lines) == 2 and start.lines != end.lines


def test_the_transparent_variant_has_only_the_host_and_overlays(avatar):
    overlay = Compositor((1280, 720), transparent=True)
    frame = overlay.draw(scene(avatar, overlay))
    assert frame.shape == (720, 1280, 4) and frame.dtype == np.uint8
    alpha = frame[..., 3]
    assert alpha[5, 640] == 0 and alpha[400, 700] == 0  # no backdrop between things
    host = overlay.layout.host
    assert alpha[host.y1 - 5, host.x + host.w // 2] == 255  # the host's body
    card = overlay.layout.card
    assert alpha[card.y + card.h // 2, card.x + card.w // 2] > 200


def test_static_layers_and_host_composites_are_cached(avatar, compositor):
    state = scene(avatar, compositor, state=HostState(mouth=0.4))
    compositor.draw(state)
    static, hosts = compositor._static, len(compositor._hosts)
    compositor.draw(scene(avatar, compositor, state=HostState(mouth=0.4)))
    assert compositor._static is static and len(compositor._hosts) == hosts


def test_prepare_draws_ahead_without_showing_and_the_frame_is_the_same(avatar):
    plain, ahead = Compositor((1280, 720), 25), Compositor((1280, 720), 25)
    before = scene(avatar, ahead, product=None, caption="")
    line_start = scene(avatar, ahead, caption="新的一句话，先画好。", comment_author="阿明",
                       comment_text="1号多少钱？")
    shown = ahead.draw(before)
    ahead.prepare(line_start)  # the card, caption and comment of the next line: drawn, not shown
    assert ahead._static_key[1] is None and np.array_equal(ahead.draw(before), shown)  # still no card
    drawn, overlays = len(ahead._statics), len(ahead._overlays)
    frame = ahead.draw(line_start)
    assert len(ahead._statics) == drawn and len(ahead._overlays) == overlays  # nothing new to draw
    assert np.array_equal(frame, plain.draw(line_start))


def test_switching_back_to_a_recent_product_reuses_its_static_layer(avatar, compositor):
    mug = TEA.model_copy(update={"sku": "MUG-002", "name": "保温杯", "image": None})
    compositor.draw(scene(avatar, compositor))
    tea_layer = compositor._static
    compositor.draw(scene(avatar, compositor, product=mug))
    compositor.draw(scene(avatar, compositor))
    assert compositor._static is tea_layer


def test_lip_sync_measured_on_frames_follows_the_speech_envelope(avatar, compositor):
    """The measurement the render test uses: a speech-like envelope drives the mouth; the openness read
    back from the finished frames correlates with it."""
    layout = compositor.mouth_layout(avatar)
    envelope = [max(0.0, math.sin(i * 0.45) * 0.6 + math.sin(i * 0.17) * 0.4) for i in range(75)]
    measured = []
    for i, level in enumerate(envelope):
        frame = compositor.draw(scene(avatar, compositor, state=idle_state(i / 25, mouth=level, seed=5)))
        measured.append(mouth_openness_from_frame(frame, layout))
    assert np.corrcoef(envelope, measured)[0, 1] > 0.9
    silent = compositor.draw(scene(avatar, compositor, state=idle_state(0.3, mouth=0.0)))
    assert mouth_openness_from_frame(silent, layout) < 0.05
