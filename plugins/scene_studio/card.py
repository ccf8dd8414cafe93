"""The product card: image, link number, name, price with the promotion highlighted, stock.

:func:`card_text` decides every string the card shows, from the catalog's :class:`~hub.catalog.Product`
(prices are Decimals, formatted exactly, never through floats); :func:`draw_card` only draws them. The
tests check the strings here and the pixels there, as no OCR is at hand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

from hub.catalog import Product
from hub.media.fonts import load_font
from hub.media.pictures import Pictures
from hub.media.textlayout import clean_display_text, ellipsize, fit_lines
from plugins.scene_studio.layout import Box
from plugins.scene_studio.theme import Theme

log = logging.getLogger("livehub.media.card")

# currency code -> (symbol, decimals)
CURRENCIES: dict[str, tuple[str, int]] = {
    "CNY": ("¥", 2), "RMB": ("¥", 2), "USD": ("$", 2), "EUR": ("€", 2), "GBP": ("£", 2), "JPY": ("¥", 0),
    "HKD": ("HK$", 2), "TWD": ("NT$", 0), "KRW": ("₩", 0), "SGD": ("S$", 2), "AUD": ("A$", 2),
}


def format_price(amount: Decimal, currency: str) -> str:
    """``Decimal("128")`` in CNY is ``"¥128.00"``; unknown currencies are written ``"128.00 XYZ"``."""
    code = currency.upper()
    symbol, decimals = CURRENCIES.get(code, ("", 2))
    quantum = Decimal(1).scaleb(-decimals)
    text = f"{amount.quantize(quantum, rounding=ROUND_HALF_UP):,.{decimals}f}"
    return f"{symbol}{text}" if symbol else f"{text} {code}"


@dataclass(frozen=True, slots=True)
class CardText:
    """Every string the card draws. ``original`` is the struck-through price (None without a promotion)."""

    link: str
    name: str
    price: str
    original: str | None
    discount: str | None
    stock: str
    sold_out: bool
    highlight: str | None = None  # the first selling point, if the card has room


def card_text(product: Product, currency: str = "CNY", locale: str = "zh-CN") -> CardText:
    zh = locale.lower().startswith("zh")
    promo = product.promo_price is not None and product.promo_price < product.price
    current = product.current_price if promo else product.price
    discount = None
    if promo and product.price > 0:
        off = ((product.price - current) / product.price * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        discount = f"-{off}%" if off > 0 else None
    if product.stock <= 0:
        stock = "已售罄" if zh else "Sold out"
    else:
        stock = f"库存 {product.stock}" if zh else f"{product.stock} in stock"
    return CardText(
        link=f"{product.link}号链接" if zh else f"Link {product.link}",
        name=clean_display_text(product.text(locale).name, limit=80),  # the shop's translation, if any
        price=format_price(current, currency),
        original=format_price(product.price, currency) if promo else None,
        discount=discount,
        stock=stock,
        sold_out=product.stock <= 0,
        highlight=clean_display_text(product.selling_points[0], limit=60) if product.selling_points else None,
    )


def paste_clipped(canvas: Image.Image, layer: Image.Image, x: int, y: int) -> None:
    """``canvas.alpha_composite(layer, (x, y))`` for a layer that may reach past the canvas edges."""
    left, top = max(0, -x), max(0, -y)
    right, bottom = min(layer.width, canvas.width - x), min(layer.height, canvas.height - y)
    if right > left and bottom > top:
        canvas.alpha_composite(layer.crop((left, top, right, bottom)), (x + left, y + top))


def draw_shadow(layer: Image.Image, box: Box, radius: int, blur: int) -> None:
    shadow = Image.new("RGBA", layer.size, (60, 40, 20, 0))
    mask = Image.new("L", layer.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((box.x, box.y + blur // 2, box.x1, box.y1 + blur // 2),
                                           radius=radius, fill=60)
    shadow.putalpha(mask.filter(ImageFilter.GaussianBlur(blur)))
    layer.alpha_composite(shadow)


def draw_card(canvas: Image.Image, at: Box, unit: float, theme: Theme, product: Product, *,
              pictures: Pictures | None = None, currency: str = "CNY", locale: str = "zh-CN") -> CardText:
    """Draw the card for ``product`` into ``canvas`` (RGBA) at ``at``; return the strings drawn.

    The card is drawn on a layer just larger than itself (its shadow's reach), not the whole frame."""
    margin = max(1, round(44 * unit))
    layer = Image.new("RGBA", (at.w + 2 * margin, at.h + 2 * margin), (0, 0, 0, 0))
    text = _draw_card(layer, Box(margin, margin, at.w, at.h), unit, theme, product, pictures, currency,
                      locale)
    paste_clipped(canvas, layer, at.x - margin, at.y - margin)
    return text


def draw_picture_and_link(layer: Image.Image, draw: ImageDraw.ImageDraw, image_box: Box, product: Product,
                          pictures: Pictures | None, text: CardText, theme: Theme, s: Any, *, offset: int,
                          letter: float = 96) -> None:
    """The card's picture well: the product's picture fitted in ``image_box`` (or its first letter as a tidy
    placeholder), and the link number over the top-left corner. ``s`` scales design pixels."""
    draw.rounded_rectangle(image_box.corners(), radius=s(14), fill=(243, 236, 228, 255))
    picture = pictures.get(product) if pictures is not None else None
    if picture is not None:
        fit = picture.copy()
        fit.thumbnail((image_box.w - s(16), image_box.h - s(16)), Image.Resampling.LANCZOS)
        layer.alpha_composite(fit, (image_box.x + (image_box.w - fit.width) // 2,
                                    image_box.y + (image_box.h - fit.height) // 2))
    else:
        big = load_font(s(letter), True, theme.font_bold)
        draw.text((image_box.x + image_box.w / 2, image_box.y + image_box.h / 2), text.name[:1], font=big,
                  fill=theme.color("muted_text"), anchor="mm")
    small_bold = load_font(s(20), True, theme.font_bold)
    lx, ly = image_box.x + offset, image_box.y + offset
    lw = small_bold.getlength(text.link) + s(24)
    draw.rounded_rectangle((lx, ly, lx + lw, ly + s(34)), radius=s(17), fill=theme.color("badge"))
    draw.text((lx + lw / 2, ly + s(17)), text.link, font=small_bold, fill=(255, 255, 255, 255), anchor="mm")


def _draw_card(canvas: Image.Image, box: Box, unit: float, theme: Theme, product: Product,
               pictures: Pictures | None, currency: str, locale: str) -> CardText:
    text = card_text(product, currency, locale)

    def s(v: float) -> int:
        return max(1, round(v * unit))

    pad, radius = s(20), s(22)
    draw_shadow(canvas, box, radius, s(14))
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    draw.rounded_rectangle(box.corners(), radius=radius, fill=theme.color("card"))
    inner_w = box.w - 2 * pad
    image_box = Box(box.x + pad, box.y + pad, inner_w, round(box.h * 0.47))
    draw_picture_and_link(layer, draw, image_box, product, pictures, text, theme, s, offset=s(10))
    # Name: up to two lines.
    name_font = load_font(s(28), True, theme.font_bold)
    y = image_box.y1 + s(16)
    for line in fit_lines(text.name, name_font, inner_w, 2):
        draw.text((box.x + pad, y), line, font=name_font, fill=theme.color("card_text"))
        y += s(38)
    # Price: the current price large in the accent colour, the original struck through.
    old_font = load_font(s(24), False, theme.font)
    old_w = old_font.getlength(text.original) + s(14) if text.original else 0
    for size in (50, 44, 38, 32):  # shrink the price until the struck original fits beside it
        price_font = load_font(s(size), True, theme.font_bold)
        if price_font.getlength(text.price) + old_w <= inner_w:
            break
    py = y + s(58)
    draw.text((box.x + pad, py), text.price, font=price_font, fill=theme.color("accent"), anchor="ls")
    x = box.x + pad + price_font.getlength(text.price) + s(14)
    if text.original:
        draw.text((x, py), text.original, font=old_font, fill=theme.color("muted_text"), anchor="ls")
        ow = old_font.getlength(text.original)
        strike_y = py - s(8)
        draw.line((x - s(2), strike_y, x + ow + s(2), strike_y), fill=theme.color("muted_text"), width=s(2))
        x += ow + s(12)
    if text.discount and x + s(70) < box.x1 - pad:
        tag = load_font(s(20), True, theme.font_bold)
        tw = tag.getlength(text.discount) + s(16)
        draw.rounded_rectangle((x, py - s(30), x + tw, py - s(2)), radius=s(6), fill=theme.color("accent"))
        draw.text((x + tw / 2, py - s(16)), text.discount, font=tag, fill=theme.color("accent_text"),
                  anchor="mm")
    # Stock, on the card's bottom edge, and the first selling point above it if there is room.
    stock_font = load_font(s(22), False, theme.font)
    sy = box.y1 - pad - s(22)
    if text.highlight and sy - s(40) > py + s(16):
        note = load_font(s(20), False, theme.font)
        draw.text((box.x + pad, sy - s(40)), ellipsize("✓ " + text.highlight, note, inner_w), font=note,
                  fill=theme.color("muted_text"), anchor="lm")
    dot = theme.color("accent") if text.sold_out else theme.color("badge")
    draw.ellipse((box.x + pad, sy - s(6), box.x + pad + s(12), sy + s(6)), fill=dot)
    stock = ellipsize(text.stock, stock_font, inner_w - s(24))
    draw.text((box.x + pad + s(22), sy), stock, font=stock_font, fill=theme.color("card_text"), anchor="lm")
    canvas.alpha_composite(layer)
    return text
