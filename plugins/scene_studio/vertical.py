"""The ``vertical`` scene: a 9:16 frame for phone-first platforms (1080×1920 by default, 720×1280 too).

The host stands large in the upper part of the frame, on the top edge of a sheet that fills the lower
part; on the sheet the product card is a wide strip (picture left, name, price and stock right) and the
caption band is under it, so neither ever covers the host's face. The viewer comment floats over the
host's lower left, just above the sheet; the LIVE badge and shop name run along the top, the countdown
sits top right. Positions are designed on a 720-pixel width and scaled.

It is the studio scene (:class:`~plugins.scene_studio.compositor.Compositor`: same caching, theme, caption,
comment and countdown drawing) with its own layout, backdrop and card.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from hub.catalog import Product
from hub.media.fonts import load_font
from hub.media.pictures import Pictures
from hub.media.scene import Box, SceneState
from hub.media.textlayout import ellipsize, fit_lines
from plugins.scene_studio.backdrop import draw_backdrop
from plugins.scene_studio.card import CardText, card_text, draw_picture_and_link, draw_shadow, paste_clipped
from plugins.scene_studio.compositor import Compositor
from plugins.scene_studio.layout import HOST_ASPECT, Layout
from plugins.scene_studio.theme import Theme

SHEET = 476     # design height of the lower sheet (card and caption band)
CARD_H = 236


def vertical_layout(size: tuple[int, int]) -> Layout:
    """Where everything goes on a portrait frame of ``size`` (ValueError for a landscape or too small one)."""
    width, height = size
    if height <= width:
        raise ValueError(f"the vertical scene draws portrait frames (taller than wide), not {width}x{height}")
    unit = width / 720
    if width < 160 or height < round(760 * unit):
        raise ValueError(f"frame size too small or too wide for the vertical scene: {width}x{height}")

    def s(v: float) -> int:
        return round(v * unit)

    margin = s(24)
    sheet_y = height - s(SHEET)
    host_h = sheet_y - s(40)
    host_w = min(round(host_h * HOST_ASPECT), width)
    host = Box((width - host_w) // 2, sheet_y - host_h, host_w, host_h)
    card = Box(margin, sheet_y + s(20), width - 2 * margin, s(CARD_H))
    caption = Box(margin, card.y1 + s(16), width - 2 * margin, height - margin - card.y1 - s(16))
    comment = Box(margin, sheet_y - s(24) - s(150), s(420), s(150))
    countdown = Box(width - margin, s(24), 0, s(44))
    top_bar = Box(margin, s(24), width - 2 * margin - s(190), s(44))
    return Layout(size=(width, height), unit=unit, portrait=True, host=host, card=card, caption=caption,
                  comment=comment, top_bar=top_bar, countdown=countdown)


def draw_vertical_backdrop(layout: Layout, theme: Theme) -> Image.Image:
    """The studio backdrop behind the host, and the sheet the card and captions sit on."""
    img = draw_backdrop(layout, theme)
    width, height = layout.size
    top = layout.host.y1
    base = np.asarray(theme.color("background_bottom")[:3], np.float32)
    sheet = tuple(int(v) for v in np.clip(base * 0.86, 0, 255)) + (255,)
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, top, width, height + layout.px(40)), radius=layout.px(28), fill=sheet)
    draw.line((layout.px(300), top + layout.px(10), width - layout.px(300), top + layout.px(10)),
              fill=(255, 255, 255, 120), width=layout.px(6))  # a sheet's handle
    return img


def draw_wide_card(canvas: Image.Image, at: Box, unit: float, theme: Theme, product: Product, *,
                   pictures: Pictures | None = None, currency: str = "CNY", locale: str = "zh-CN") -> CardText:
    """The product card as a wide strip: picture on the left, link number over it, then name (two lines),
    price with the promotion highlighted, and stock on the right. Returns the strings drawn."""
    text = card_text(product, currency, locale)

    def s(v: float) -> int:
        return max(1, round(v * unit))

    margin = s(44)
    layer = Image.new("RGBA", (at.w + 2 * margin, at.h + 2 * margin), (0, 0, 0, 0))
    box = Box(margin, margin, at.w, at.h)
    pad, radius = s(20), s(22)
    draw_shadow(layer, box, radius, s(14))
    top = Image.new("RGBA", layer.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(top)
    draw.rounded_rectangle(box.corners(), radius=radius, fill=theme.color("card"))
    side = box.h - 2 * pad
    image_box = Box(box.x + pad, box.y + pad, side, side)
    draw_picture_and_link(top, draw, image_box, product, pictures, text, theme, s, offset=s(8), letter=84)
    x0 = image_box.x1 + s(20)
    inner_w = box.x1 - pad - x0
    name_font = load_font(s(28), True, theme.font_bold)
    y = box.y + pad
    for line in fit_lines(text.name, name_font, inner_w, 2):
        draw.text((x0, y), line, font=name_font, fill=theme.color("card_text"))
        y += s(38)
    old_font = load_font(s(24), False, theme.font)
    old_w = old_font.getlength(text.original) + s(14) if text.original else 0
    for size in (48, 42, 36, 30):
        price_font = load_font(s(size), True, theme.font_bold)
        if price_font.getlength(text.price) + old_w <= inner_w:
            break
    py = max(y + s(50), box.y + pad + s(128))
    draw.text((x0, py), text.price, font=price_font, fill=theme.color("accent"), anchor="ls")
    x = x0 + price_font.getlength(text.price) + s(14)
    if text.original:
        draw.text((x, py), text.original, font=old_font, fill=theme.color("muted_text"), anchor="ls")
        ow = old_font.getlength(text.original)
        draw.line((x - s(2), py - s(8), x + ow + s(2), py - s(8)), fill=theme.color("muted_text"), width=s(2))
        x += ow + s(12)
    if text.discount and x + s(70) < box.x1 - pad:
        tag = load_font(s(20), True, theme.font_bold)
        tw = tag.getlength(text.discount) + s(16)
        draw.rounded_rectangle((x, py - s(30), x + tw, py - s(2)), radius=s(6), fill=theme.color("accent"))
        draw.text((x + tw / 2, py - s(16)), text.discount, font=tag, fill=theme.color("accent_text"), anchor="mm")
    stock_font = load_font(s(22), False, theme.font)
    sy = box.y1 - pad - s(12)
    dot = theme.color("accent") if text.sold_out else theme.color("badge")
    draw.ellipse((x0, sy - s(6), x0 + s(12), sy + s(6)), fill=dot)
    stock = ellipsize(text.stock, stock_font, inner_w - s(24))
    draw.text((x0 + s(22), sy), stock, font=stock_font, fill=theme.color("card_text"), anchor="lm")
    layer.alpha_composite(top)
    paste_clipped(canvas, layer, at.x - margin, at.y - margin)
    return text


class VerticalScene(Compositor):
    """The ``vertical`` scene (see the module docstring); same interface and caching as the studio scene."""

    name = "vertical"
    preferred_size = (1080, 1920)

    def _layout(self, size: tuple[int, int]) -> Layout:
        return vertical_layout(size)

    def _draw_backdrop(self) -> Image.Image:
        return draw_vertical_backdrop(self.layout, self.theme)

    def _draw_card(self, target: Image.Image, scene: SceneState) -> None:
        assert scene.product is not None
        draw_wide_card(target, self.layout.card, self.layout.unit, self.theme, scene.product,
                       pictures=scene.pictures, currency=scene.currency, locale=scene.locale)
