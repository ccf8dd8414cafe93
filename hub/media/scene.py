"""From a frame's state to its picture: the avatar draws the host, the compositor lays out the scene.

:class:`SceneDrawer` is the only place where the timeline meets the avatar backend and the compositor.
It looks the product card up in the catalog at drawing time, so a price changed in the catalog shows on
the next frame. It runs in the timeline's drawing thread, one frame at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from hub.media.avatar import HostState
from hub.media.compositor import SceneState
from hub.media.pictures import Pictures
from hub.media.playback import FrameState

log = logging.getLogger("livehub.media.scene")


class SceneDrawer:
    """Draws frames of ``size`` with ``avatar`` (an AvatarBackend) and ``compositor`` (a Compositor)."""

    def __init__(self, avatar: Any, compositor: Any, size: tuple[int, int],
                 catalog: Callable[[], Any] | None = None, *, pictures: Pictures | None = None,
                 locale: str = "zh-CN") -> None:
        if tuple(compositor.size) != tuple(size):
            raise ValueError(f"the compositor draws {compositor.size}, the timeline wants {size}")
        self.avatar = avatar
        self.compositor = compositor
        self.size = tuple(size)
        self.catalog = catalog
        self.pictures = pictures
        self.locale = locale
        self._missing: set[str] = set()

    def host_state(self, state: FrameState) -> HostState:
        return HostState(t=state.t, mouth=state.mouth, blink=state.blink, breath=state.breath,
                         speaking=state.speaking, sku=state.sku)

    def scene(self, state: FrameState, host: np.ndarray | None) -> SceneState:
        return self._scene(host, state.sku, state.caption, state.caption_progress, state.comment, state.countdown)

    def _scene(self, host: np.ndarray | None, sku: str | None, caption: str, progress: float | None,
               comment: tuple[str, str] | None, countdown: float | None) -> SceneState:
        catalog = self.catalog() if self.catalog is not None else None
        product = None
        if sku and catalog is not None:
            product = catalog.by_sku(sku)
            if product is None and sku not in self._missing:
                self._missing.add(sku)
                log.warning("product card: SKU %r is not in the catalog", sku)
        shop = getattr(catalog, "shop", None)
        author, text = comment or ("", "")
        return SceneState(host=host, product=product, pictures=self.pictures,
                          currency=getattr(shop, "currency", "CNY"), locale=self.locale,
                          caption=caption, caption_progress=progress, comment_author=author, comment_text=text,
                          countdown=countdown, shop_name=getattr(shop, "name", ""))

    def prepare(self, caption: str, sku: str | None, comment: tuple[str, str] | None) -> None:
        """Draw ahead the card, caption and comment a line will start with (in the drawing thread)."""
        self.compositor.prepare(self._scene(None, sku, caption, 0.0, comment, None))

    def draw(self, state: FrameState) -> np.ndarray:
        """The RGB picture of ``state``."""
        host = self.avatar.frame(self.host_state(state), self.compositor.host_size)
        return self.compositor.draw(self.scene(state, host))
