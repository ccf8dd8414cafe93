"""The ``studio`` scene (the compositor): one video frame from the scene state (host, product card, captions,
comment, countdown), a small shop's live-room corner.

Everything that does not change from frame to frame is drawn once and cached: the backdrop with the
top bar (and the card, where it does not overlap the host) is the static layer; captions, comment and
countdown are small overlays cached by their text; the host over the static layer is cached per host
picture (the avatar returns the same read-only array for the same mouth/blink/breath). A frame is then
a copy of the static layer and a few pastes. ``transparent=True`` draws no backdrop and returns RGBA,
for the OBS overlay page.

:class:`Compositor` has three hooks a scene with another look overrides (:mod:`plugins.scene_studio.vertical`):
``_layout`` (where everything goes), ``_draw_backdrop`` (the opaque background) and ``_draw_card`` (the
product card).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import numpy as np
from PIL import Image

from hub.catalog import Product
from hub.media.frames import DEFAULT_FPS
from hub.media.scene import Scene, SceneState
from plugins.scene_studio.backdrop import draw_backdrop
from plugins.scene_studio.captions import (
    Overlay,
    caption_lines,
    caption_page,
    countdown_text,
    draw_caption,
    draw_comment,
    draw_countdown,
    draw_top_bar,
)
from plugins.scene_studio.card import draw_card
from plugins.scene_studio.layout import Box, Layout, make_layout
from plugins.scene_studio.theme import Theme

__all__ = ["Compositor", "SceneState"]

HOST_CACHE = 128
OVERLAY_CACHE = 64
STATIC_CACHE = 4  # static layers (backdrop, top bar, card) kept: switching back to a product costs nothing


def _picture_key(scene: SceneState) -> Any:
    if scene.pictures is None or scene.product is None:
        return None
    return scene.pictures.key(scene.product)


def _product_key(product: Product | None) -> tuple[Any, ...] | None:
    if product is None:
        return None
    return (product.sku, product.link, product.name, product.price, product.promo_price, product.stock,
            product.image)


def _overlaps(a: Box, b: Box) -> bool:
    return a.x < b.x1 and b.x < a.x1 and a.y < b.y1 and b.y < a.y1


class Compositor(Scene):
    """The studio scene: draws frames of ``size`` (width, height); see the module docstring for the caching.

    Not thread-safe: one thread draws with a compositor at a time (the timeline's drawing thread).
    ``average_ms`` reports the drawing time so far."""

    name = "studio"
    preferred_size = (1280, 720)

    def __init__(self, size: tuple[int, int] | None = None, fps: int = DEFAULT_FPS, theme: Theme | None = None,
                 *, transparent: bool = False) -> None:
        super().__init__(size, fps, transparent=transparent)
        self.theme = theme or Theme()
        self.layout: Layout = self._layout(self.size)
        self.host_box, self.caption_box = self.layout.host, self.layout.caption
        self._card_on_top = _overlaps(self.layout.card, self.layout.host)
        self._mode = "RGBA" if transparent else "RGB"
        self._canvas = Image.new(self._mode, self.size)
        self._backdrop: Image.Image | None = None
        self._static_key: tuple[Any, ...] | None = None
        self._static: Image.Image | None = None
        self._card: Overlay | None = None
        self._statics: OrderedDict[tuple[Any, ...], tuple[Image.Image, Overlay | None]] = OrderedDict()
        self._hosts: OrderedDict[int, tuple[np.ndarray, Image.Image]] = OrderedDict()
        self._overlays: OrderedDict[tuple[Any, ...], Overlay | None] = OrderedDict()
        self._wrapped: dict[str, list[str]] = {}

    # -- the look (a scene with another look overrides these) ---------------------------------------

    def _layout(self, size: tuple[int, int]) -> Layout:
        return make_layout(size)

    def _draw_backdrop(self) -> Image.Image:
        return draw_backdrop(self.layout, self.theme)

    def _draw_card(self, target: Image.Image, scene: SceneState) -> None:
        assert scene.product is not None
        draw_card(target, self.layout.card, self.layout.unit, self.theme, scene.product, pictures=scene.pictures,
                  currency=scene.currency, locale=scene.locale)

    # -- the scene interface ----------------------------------------------------------------------

    def transparent_twin(self) -> Compositor:
        return type(self)(self.size, self.fps, self.theme, transparent=True)

    def shown(self, scene: SceneState) -> Hashable:
        product = scene.product.model_dump_json() if scene.product is not None else None
        return (product, scene.shop_name, tuple((o.x, o.y, o.lines) for o in self.overlays(scene)))

    def caption_image(self, text: str, progress: float | None = None) -> Image.Image | None:
        overlay = self._caption(text, progress)
        return overlay.image if overlay is not None else None

    # -- layers -----------------------------------------------------------------------------------

    def _static_layer(self, scene: SceneState) -> Image.Image:
        key = (scene.shop_name, _product_key(scene.product), _picture_key(scene), scene.currency, scene.locale)
        if key == self._static_key and self._static is not None:
            return self._static
        self._static, self._card = self._built_static(key, scene)
        self._static_key = key
        self._hosts.clear()
        return self._static

    def _built_static(self, key: tuple[Any, ...], scene: SceneState) -> tuple[Image.Image, Overlay | None]:
        """The static layer and card overlay of ``key`` (drawn, or from the cache of recent ones)."""
        if key in self._statics:
            self._statics.move_to_end(key)
            return self._statics[key]
        if self._backdrop is None:
            self._backdrop = (Image.new("RGBA", self.size, (0, 0, 0, 0)) if self.transparent
                              else self._draw_backdrop())
        static = self._backdrop.copy()
        draw_top_bar(static, scene.shop_name, self.layout, self.theme)
        card = None
        if scene.product is not None:
            target = static
            if self._card_on_top:
                target = Image.new("RGBA", self.size, (0, 0, 0, 0))
            self._draw_card(target, scene)
            if self._card_on_top:
                box = target.getbbox() or (0, 0, 1, 1)
                card = Overlay(target.crop(box), box[0], box[1])
        built = (static if self.transparent else static.convert("RGB"), card)
        self._statics[key] = built
        while len(self._statics) > STATIC_CACHE:
            self._statics.popitem(last=False)
        return built

    def prepare(self, scene: SceneState) -> None:
        """Draw ahead what ``scene`` will need (its static layer, caption and comment overlays) without
        showing it: the first frame of a line then costs no more than any other. Call it from the
        drawing thread (the compositor is not thread-safe)."""
        key = (scene.shop_name, _product_key(scene.product), _picture_key(scene), scene.currency, scene.locale)
        self._built_static(key, scene)
        self.overlays(scene)

    def _host_layer(self, host: np.ndarray) -> Image.Image:
        """The host over the static layer's host box (opaque) or the host itself (transparent)."""
        cacheable = not host.flags.writeable
        if cacheable:
            hit = self._hosts.get(id(host))
            if hit is not None and hit[0] is host:
                self._hosts.move_to_end(id(host))
                return hit[1]
        box = self.layout.host
        picture = Image.fromarray(np.ascontiguousarray(host), "RGBA")
        if picture.size != box.size:
            raise ValueError(f"host picture is {picture.size}, the compositor's host box is {box.size}")
        if not self.transparent:
            assert self._static is not None
            region = self._static.crop(box.corners())
            region.paste(picture, (0, 0), picture)
            picture = region
        if cacheable:  # keep the array alive with its entry, so its id cannot be reused meanwhile
            self._hosts[id(host)] = (host, picture)
            while len(self._hosts) > HOST_CACHE:
                self._hosts.popitem(last=False)
        return picture

    def _overlay(self, key: tuple[Any, ...], make: Any) -> Overlay | None:
        if key in self._overlays:
            self._overlays.move_to_end(key)
            return self._overlays[key]
        overlay = make()
        self._overlays[key] = overlay
        while len(self._overlays) > OVERLAY_CACHE:
            self._overlays.popitem(last=False)
        return overlay

    def _paste(self, overlay: Overlay | None) -> None:
        if overlay is None:
            return
        if self.transparent:
            self._canvas.alpha_composite(overlay.image, (overlay.x, overlay.y))
        else:
            self._canvas.paste(overlay.image, (overlay.x, overlay.y), overlay.image)

    def overlays(self, scene: SceneState) -> list[Overlay]:
        """The overlays ``scene`` shows over the host, bottom to top (cached by their text)."""
        layout, theme = self.layout, self.theme
        found: list[Overlay | None] = [self._card]
        if scene.comment_text:
            found.append(self._overlay(("comment", scene.comment_author, scene.comment_text),
                                       lambda: draw_comment(scene.comment_author, scene.comment_text, layout,
                                                            theme)))
        if scene.caption:
            found.append(self._caption(scene.caption, scene.caption_progress))
        if scene.countdown is not None:
            text = countdown_text(scene.countdown, scene.locale)
            found.append(self._overlay(("countdown", text), lambda: draw_countdown(text, layout, theme)))
        return [o for o in found if o is not None]

    def _caption(self, text: str, progress: float | None) -> Overlay | None:
        """The caption band's page of ``text`` at ``progress`` (wrapping and drawing cached)."""
        wrapped = self._wrapped.get(text)
        if wrapped is None:
            if len(self._wrapped) >= OVERLAY_CACHE:
                self._wrapped.clear()
            wrapped = self._wrapped[text] = caption_lines(text, self.layout, self.theme)
        lines = tuple(caption_page(wrapped, progress))
        return self._overlay(("caption", lines), lambda: draw_caption(list(lines), self.layout, self.theme))

    # -- drawing ----------------------------------------------------------------------------------

    def render(self, scene: SceneState) -> np.ndarray:
        """The frame for ``scene``: ``(height, width, 3)`` RGB uint8, or ``(height, width, 4)`` RGBA if
        transparent. The returned array is a fresh copy; the caller may keep it."""
        static = self._static_layer(scene)
        self._canvas.paste(static)
        if scene.host is not None:
            host = self._host_layer(scene.host)
            if self.transparent:
                self._canvas.alpha_composite(host, (self.host_box.x, self.host_box.y))
            else:
                self._canvas.paste(host, (self.host_box.x, self.host_box.y))
        for overlay in self.overlays(scene):
            self._paste(overlay)
        return np.array(self._canvas)
