"""The text overlays that change during a show: captions, the viewer comment being answered, the
countdown badge, and the shop's top bar.

Each is drawn once into a small RGBA :class:`Overlay` (a picture and where it goes) and cached by the
compositor under the text it shows, so a caption that stays up for three seconds is drawn once, not 75
times. Comment text comes from viewers: it is cleaned and cut by :func:`clean_display_text` and drawn
as plain text, never interpreted.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw

from hub.media.fonts import load_font
from hub.media.textlayout import clean_display_text, ellipsize, fit_lines, page_of, wrap_text
from plugins.scene_studio.layout import Layout
from plugins.scene_studio.theme import Theme

CAPTION_LINES = 2
COMMENT_LINES = 2


@dataclass(frozen=True, slots=True)
class Overlay:
    """A small RGBA picture and its top-left position on the frame."""

    image: Image.Image
    x: int
    y: int
    lines: tuple[str, ...] = ()


def caption_lines(text: str, layout: Layout, theme: Theme) -> list[str]:
    """``text`` wrapped to the caption band (all lines; the compositor shows two at a time)."""
    font = load_font(layout.px(32), True, theme.font_bold)
    max_w = layout.caption.w - 2 * layout.px(28)
    return wrap_text(clean_display_text(text, limit=400), font, max_w)


def caption_page(lines: list[str], progress: float | None = None) -> list[str]:
    """The two lines shown now: long captions page forward as ``progress`` (0..1) goes on."""
    return page_of(lines, CAPTION_LINES, progress)


def draw_caption(lines: list[str], layout: Layout, theme: Theme) -> Overlay | None:
    """A rounded translucent band at the bottom, centred, holding ``lines``."""
    if not lines:
        return None
    font = load_font(layout.px(32), True, theme.font_bold)
    pad_x, pad_y, line_h = layout.px(28), layout.px(12), layout.px(44)
    width = round(max(font.getlength(line) for line in lines)) + 2 * pad_x
    height = line_h * len(lines) + 2 * pad_y
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=layout.px(18),
                           fill=theme.color("caption_background"))
    for i, line in enumerate(lines):
        draw.text((width / 2, pad_y + line_h * i + line_h / 2), line, font=font, fill=theme.color("caption_text"),
                  anchor="mm")
    box = layout.caption
    return Overlay(img, box.x + (box.w - width) // 2, box.y1 - height, tuple(lines))


def draw_comment(author: str, text: str, layout: Layout, theme: Theme) -> Overlay | None:
    """A speech bubble: the viewer's name in colour, then up to two lines of their comment."""
    author = clean_display_text(author, limit=40)
    text = clean_display_text(text, limit=160)
    if not text:
        return None
    box = layout.comment
    name_font = load_font(layout.px(20), True, theme.font_bold)
    body_font = load_font(layout.px(24), False, theme.font)
    pad = layout.px(16)
    max_w = box.w - 2 * pad
    name = ellipsize(author, name_font, max_w) if author else ""
    lines = fit_lines(text, body_font, max_w, COMMENT_LINES)
    width = round(max([name_font.getlength(name)] + [body_font.getlength(line) for line in lines])) + 2 * pad
    width = max(width, layout.px(120))
    name_h = layout.px(28) if name else 0
    line_h = layout.px(34)
    tail = layout.px(12)
    height = pad + name_h + line_h * len(lines) + pad - layout.px(4)
    img = Image.new("RGBA", (width, height + tail), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    fill = theme.color("comment_background")
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=layout.px(16), fill=fill)
    draw.polygon([(layout.px(26), height - 1), (layout.px(48), height - 1), (layout.px(22), height + tail - 1)],
                 fill=fill)
    y = pad - layout.px(2)
    if name:
        draw.text((pad, y), name, font=name_font, fill=theme.color("comment_author"))
        y += name_h
    for line in lines:
        draw.text((pad, y), line, font=body_font, fill=theme.color("comment_text"))
        y += line_h
    return Overlay(img, box.x, box.y, tuple(([name] if name else []) + lines))


def countdown_text(seconds: float, locale: str) -> str:
    whole = max(0, int(seconds + 0.999))  # 0.2 s left still shows 00:01
    minutes, secs = divmod(whole, 60)
    clock = f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}" if minutes >= 60 else f"{minutes:02d}:{secs:02d}"
    return f"限时 {clock}" if locale.lower().startswith("zh") else f"Ends in {clock}"


def draw_countdown(text: str, layout: Layout, theme: Theme) -> Overlay:
    """A pill in the accent colour, right-aligned at the top."""
    font = load_font(layout.px(24), True, theme.font_bold)
    height = layout.countdown.h
    width = round(font.getlength(text)) + 2 * layout.px(20)
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=height // 2, fill=theme.color("accent"))
    draw.text((width / 2, height / 2), text, font=font, fill=theme.color("accent_text"), anchor="mm")
    return Overlay(img, layout.countdown.x - width, layout.countdown.y, (text,))


def draw_top_bar(canvas: Image.Image, shop_name: str, layout: Layout, theme: Theme) -> None:
    """The LIVE pill and the shop's name, drawn into the static layer."""
    box = layout.top_bar
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    x = box.x
    if theme.show_live_badge:
        font = load_font(layout.px(20), True, theme.font_bold)
        w = round(font.getlength("LIVE")) + layout.px(44)
        draw.rounded_rectangle((x, box.y, x + w, box.y + box.h), radius=box.h // 2, fill=theme.color("accent"))
        r = layout.px(5)
        cy = box.y + box.h // 2
        draw.ellipse((x + layout.px(14), cy - r, x + layout.px(14) + 2 * r, cy + r), fill=(255, 255, 255, 255))
        draw.text((x + layout.px(30), cy), "LIVE", font=font, fill=theme.color("accent_text"), anchor="lm")
        x += w + layout.px(12)
    name = clean_display_text(shop_name, limit=60)
    if name:
        font = load_font(layout.px(22), True, theme.font_bold)
        name = ellipsize(name, font, box.x1 - x - layout.px(28))
        w = round(font.getlength(name)) + layout.px(32)
        draw.rounded_rectangle((x, box.y, x + w, box.y + box.h), radius=box.h // 2, fill=(255, 255, 255, 215))
        draw.text((x + layout.px(16), box.y + box.h // 2), name, font=font, fill=theme.color("card_text"),
                  anchor="lm")
    canvas.alpha_composite(layer)
