"""The compositor's look: colours and fonts, validated like any other setting.

A room (or ``livehub render``) may override any field, e.g. ``accent = "#d43c2f"``; colours are
``#rrggbb`` or ``#rrggbbaa``.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, field_validator

RGBA = tuple[int, int, int, int]
_HEX = re.compile(r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def rgba(value: str) -> RGBA:
    """``#rrggbb`` or ``#rrggbbaa`` as an (r, g, b, a) tuple."""
    if not _HEX.match(value):
        raise ValueError(f"not a colour (#rrggbb or #rrggbbaa): {value!r}")
    digits = value[1:] + ("ff" if len(value) == 7 else "")
    r, g, b, a = (int(digits[i:i + 2], 16) for i in range(0, 8, 2))
    return (r, g, b, a)


class Theme(BaseModel):
    """Colours and fonts of the stream layout."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    background_top: str = "#f6ece2"
    background_bottom: str = "#e9d6c6"
    spotlight: str = "#fff8efcc"
    accent: str = "#e0412f"          # promotion price, LIVE pill, countdown
    accent_text: str = "#ffffff"
    card: str = "#fffdf9f5"
    card_text: str = "#2b2521"
    muted_text: str = "#8c8178"
    caption_background: str = "#201a16b8"
    caption_text: str = "#ffffff"
    comment_background: str = "#ffffffe6"
    comment_author: str = "#c2582b"
    comment_text: str = "#2b2521"
    badge: str = "#1e766e"           # link number, stock
    font: str | None = None          # a font file of your own (must cover the text you show)
    font_bold: str | None = None
    show_live_badge: bool = True

    @field_validator("background_top", "background_bottom", "spotlight", "accent", "accent_text", "card",
                     "card_text", "muted_text", "caption_background", "caption_text", "comment_background",
                     "comment_author", "comment_text", "badge")
    @classmethod
    def _colour(cls, value: str) -> str:
        rgba(value)
        return value

    def color(self, name: str) -> RGBA:
        """A colour field as an (r, g, b, a) tuple."""
        return rgba(getattr(self, name))
