"""The product card's strings and pixels, line breaking, display cleaning and Chinese glyphs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hub.catalog import LocaleText, Product
from hub.media.fonts import MISSING_PROBE, find_font, has_glyph, load_font
from hub.media.pictures import FolderPictures
from hub.media.textlayout import NO_LINE_START, clean_display_text, fit_lines, wrap_text
from plugins.scene_studio.captions import caption_lines, caption_page, countdown_text, draw_caption
from plugins.scene_studio.card import card_text, draw_card, format_price
from plugins.scene_studio.layout import make_layout
from plugins.scene_studio.theme import Theme

STARTER = Path(__file__).resolve().parents[2] / "hub" / "starter"
TEA = dict(sku="TEA-001", link=1, name="高山乌龙茶 250g", price="168.00", promo_price="128.00", stock=300,
           image="images/tea.png", selling_points=["高山茶园，手工采摘"])
needs_cjk = pytest.mark.skipif(not (find_font() and find_font().cjk),
                               reason="no CJK font installed (apt-get install fonts-noto-cjk)")


def tea(**changes) -> Product:
    return Product.model_validate({**TEA, **changes})


def test_card_text_has_the_promotion_price_and_the_struck_original():
    text = card_text(tea(), "CNY", "zh-CN")
    assert (text.price, text.original, text.discount) == ("¥128.00", "¥168.00", "-24%")
    assert (text.link, text.stock, text.name, text.highlight) == ("1号链接", "库存 300", "高山乌龙茶 250g",
                                                                  "高山茶园，手工采摘")
    english = card_text(tea(), "CNY", "en")
    assert (english.link, english.stock) == ("Link 1", "300 in stock")
    plain = card_text(tea(promo_price=None), "USD", "en")
    assert (plain.price, plain.original, plain.discount) == ("$168.00", None, None)
    assert card_text(tea(stock=0), "CNY", "zh-CN").stock == "已售罄"
    assert card_text(tea(promo_price="200.00")).original is None  # a "promotion" above the price is ignored


def test_prices_are_formatted_exactly_from_decimals():
    assert format_price(Decimal("1280"), "CNY") == "¥1,280.00"
    assert format_price(Decimal("0.125"), "USD") == "$0.13"
    assert format_price(Decimal("1999"), "JPY") == "¥1,999"
    assert format_price(Decimal("12.5"), "chf") == "12.50 CHF"


def _card_pixels(product: Product, catalog_dir: Path | None = STARTER) -> np.ndarray:
    layout = make_layout((1280, 720))
    canvas = Image.new("RGBA", layout.size, (240, 230, 220, 255))
    draw_card(canvas, layout.card, layout.unit, Theme(), product, pictures=FolderPictures(catalog_dir))
    box = layout.card
    return np.asarray(canvas)[box.y:box.y1, box.x:box.x1].astype(int)


def test_the_card_pixels_change_where_the_price_is_when_the_price_changes():
    before = _card_pixels(tea())
    assert np.array_equal(before, _card_pixels(tea()))  # drawing is deterministic
    after = _card_pixels(tea(promo_price="99.00"))
    rows = np.nonzero(np.abs(before - after).max(axis=(1, 2)) > 40)[0]
    assert len(rows) > 10
    h = before.shape[0]
    assert 0.5 * h < rows.min() and rows.max() < 0.85 * h  # the price row, below the image and name
    red = (np.abs(after[..., 0] - 224) < 30) & (after[..., 1] < 110) & (after[..., 2] < 110)
    assert red.sum() > 300  # the promotion price is drawn in the accent red


def test_the_card_shows_the_product_image_or_a_placeholder():
    with_image = _card_pixels(tea())
    missing = _card_pixels(tea(image="images/nope.png"))
    layout = make_layout((1280, 720))
    top = slice(30, round(layout.card.h * 0.45))
    assert np.abs(with_image[top] - missing[top]).max() > 100
    green = (with_image[top][..., 1] > with_image[top][..., 0] + 30)
    assert green.sum() > 2000  # the tea packet is green


def test_wrapping_breaks_chinese_anywhere_but_before_closing_punctuation():
    font = load_font(30)
    text = "大家好，欢迎来到直播间！今天给大家推荐的是高山乌龙茶，原价168元，现在只要128元。"
    for width in (150, 233, 320, 400):
        lines = wrap_text(text, font, width)
        assert "".join(lines) == text
        assert all(font.getlength(line) <= width for line in lines)
        assert not any(line[0] in NO_LINE_START for line in lines)


def test_wrapping_keeps_latin_words_whole_and_splits_only_overlong_ones():
    font = load_font(30)
    lines = wrap_text("Keeps tea hot for six hours Pneumonoultramicroscopic", font, 260)
    assert "Keeps tea hot for" in " ".join(lines) and all(font.getlength(line) <= 260 for line in lines)
    assert "".join(lines).replace(" ", "") == "Keepsteahotforsixhours" + "Pneumonoultramicroscopic"
    assert [w for line in lines for w in line.split()][:5] == ["Keeps", "tea", "hot", "for", "six"]


def test_fit_lines_cuts_with_an_ellipsis_and_captions_page_with_progress():
    font = load_font(30)
    lines = fit_lines("这是一条很长很长的观众评论，" * 6, font, 300, 2)
    assert len(lines) == 2 and lines[1].endswith("…")
    layout, theme = make_layout((1280, 720)), Theme()
    long = "这是一句很长的解说词，" * 20
    wrapped = caption_lines(long, layout, theme)
    assert len(wrapped) > 2
    assert caption_page(wrapped, 0.0) == wrapped[:2]
    assert caption_page(wrapped, 1.0) == wrapped[(len(wrapped) - 1) // 2 * 2:][:2]
    assert caption_page(wrapped[:2], 0.9) == wrapped[:2]


def test_viewer_text_is_cleaned_for_display():
    assert clean_display_text("hi\u202egnp.exe\n\x00 there\u200b") == "hignp.exe there"
    assert len(clean_display_text("长" * 500, limit=50)) == 50
    assert countdown_text(299.2, "zh-CN") == "限时 05:00" and countdown_text(59, "en") == "Ends in 00:59"
    assert countdown_text(3725, "en") == "Ends in 1:02:05" and countdown_text(-3, "en") == "Ends in 00:00"


@needs_cjk
def test_chinese_captions_render_real_glyphs_not_boxes():
    font = load_font(32, True)
    assert has_glyph(font, "茶") and has_glyph(font, "A") and not has_glyph(font, MISSING_PROBE)
    layout = make_layout((1280, 720))
    overlay = draw_caption(["乌龙茶"], layout, Theme())
    tofu = draw_caption([MISSING_PROBE * 3], layout, Theme())
    ink = np.asarray(overlay.image)[..., :3].min(axis=2) > 200  # white text on the dark band
    tofu_ink = np.asarray(tofu.image)[..., :3].min(axis=2) > 200
    assert ink.sum() > 300
    assert abs(int(ink.sum()) - int(tofu_ink.sum())) > 0.1 * tofu_ink.sum()  # not three boxes
    # Glyph by glyph: none of the three characters is drawn as the missing-glyph box.
    for ch in "乌龙茶":
        assert has_glyph(font, ch), ch


def test_a_latin_only_font_is_recognised_as_missing_chinese():
    from PIL import ImageFont

    dejavu = next(Path("/usr/share/fonts").rglob("DejaVuSans.ttf"), None)
    if dejavu is None:
        pytest.skip("DejaVu Sans not installed")
    font = ImageFont.truetype(str(dejavu), 32)
    assert has_glyph(font, "A") and not has_glyph(font, "茶")


@pytest.fixture
def no_fonts(monkeypatch, tmp_path):
    """A machine with no font files at all: the caches are emptied before and after."""
    from hub.media import fonts

    def clear():
        fonts._font_files.cache_clear()
        fonts.find_font.cache_clear()
        fonts.load_font.cache_clear()

    monkeypatch.setattr(fonts, "FONT_DIRS", (tmp_path,))
    clear()
    yield
    clear()


def test_without_any_font_file_everything_still_draws(no_fonts):
    from hub.media.scene import SceneState
    from plugins.scene_studio.compositor import Compositor

    assert find_font() is None
    compositor = Compositor((640, 360))
    frame = compositor.draw(SceneState(product=tea(), pictures=FolderPictures(STARTER), caption="Hello 你好", shop_name="Shop",
                                       comment_author="a", comment_text="hi", countdown=5))
    assert frame.shape == (360, 640, 3)


def test_the_card_names_the_product_in_the_rooms_language_when_the_shop_translates_it():
    product = tea().model_copy(update={"texts": {"en": LocaleText(name="Longjing green tea")}})
    assert card_text(product, "CNY", "en-US").name == "Longjing green tea"
    assert card_text(product, "CNY", "zh-CN").name == tea().name
