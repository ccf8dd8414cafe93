"""From a frame's state to its picture: the avatar draws the host, the room's scene draws everything else.

The core owns only the interface. A **scene** is a backend of kind ``scene`` (``BackendSpec(kind="scene")``,
picked per room with ``[rooms.<room>] scene = "<name>"``): an object of a :class:`Scene` subclass that lays
out and draws one frame (backdrop, host, product card, captions, comment, countdown) from a
:class:`SceneState`. The look itself (layout, card, captions, theme, backdrop) lives in the scene plugins,
never here.

:class:`SceneDrawer` is the only place where the timeline meets the avatar backend and the scene. It looks
the product card up in the catalog at drawing time, so a price changed in the catalog shows on the next
frame. It runs in the timeline's drawing thread, one frame at a time.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from hub.errors import BackendError
from hub.media.avatar import AvatarBackend, HostState
from hub.media.frames import DEFAULT_FPS, DEFAULT_SIZE
from hub.media.mouth_meter import MouthLayout, mouth_layout_for
from hub.media.pictures import Pictures
from hub.media.playback import FrameState

if TYPE_CHECKING:
    from PIL import Image

    from hub.catalog import Product

log = logging.getLogger("livehub.media.scene")


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle on the frame, in pixels (it may reach past the frame's edges)."""

    x: int
    y: int
    w: int
    h: int

    @property
    def x1(self) -> int:
        return self.x + self.w

    @property
    def y1(self) -> int:
        return self.y + self.h

    @property
    def size(self) -> tuple[int, int]:
        return (self.w, self.h)

    def corners(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.x1, self.y1)


@dataclass(slots=True)
class SceneState:
    """What one frame shows. ``host`` is the avatar's RGBA picture at :attr:`Scene.host_size`.

    ``comment_*`` is viewer text, shown as plain text only. ``caption_progress`` (0..1, how much of the
    caption has been spoken) pages long captions forward; ``countdown`` is seconds left, None for none.
    """

    host: np.ndarray | None = None
    product: Product | None = None
    pictures: Pictures | None = None  # where the card's product picture comes from
    currency: str = "CNY"
    locale: str = "zh-CN"
    caption: str = ""
    caption_progress: float | None = None
    comment_author: str = ""
    comment_text: str = ""
    countdown: float | None = None
    shop_name: str = ""


class Scene(ABC):
    """A scene backend: draws frames of ``size`` (width, height), RGB, or RGBA without a backdrop when
    ``transparent`` (the overlay page's layer). Subclasses implement :meth:`render` and set
    :attr:`host_box` (where the host stands) and :attr:`caption_box` (the band captions sit in, or None).

    The base checks every frame :meth:`render` returns (shape and dtype, else :class:`BackendError`) and
    times the drawing (:attr:`average_ms`). Not thread-safe: one thread draws with a scene at a time (the
    timeline's drawing thread).
    """

    preferred_size: ClassVar[tuple[int, int]] = DEFAULT_SIZE
    """The size a room gets when it names this scene but no size."""
    name: str = "scene"
    host_box: Box
    caption_box: Box | None = None

    def __init__(self, size: tuple[int, int] | None = None, fps: int = DEFAULT_FPS, *,
                 transparent: bool = False) -> None:
        size = size or self.preferred_size
        self.size = (int(size[0]), int(size[1]))
        self.fps = fps
        self.transparent = transparent
        self.frames = 0
        self.seconds = 0.0

    @abstractmethod
    def render(self, scene: SceneState) -> np.ndarray:
        """The picture of ``scene``: ``(height, width, 3)`` uint8 RGB, or ``(height, width, 4)`` RGBA if
        transparent; a fresh array the caller may keep."""

    # -- what the base owns -------------------------------------------------------------------------

    def draw(self, scene: SceneState) -> np.ndarray:
        """:meth:`render`, checked and timed."""
        started = time.perf_counter()
        frame = self.render(scene)
        width, height = self.size
        shape = (height, width, 4 if self.transparent else 3)
        if not isinstance(frame, np.ndarray) or frame.shape != shape or frame.dtype != np.uint8:
            got = f"{frame.shape} {frame.dtype}" if isinstance(frame, np.ndarray) else type(frame).__name__
            raise BackendError(f"scene {self.name!r} drew {got}, not {shape} uint8", backend="scene")
        self.frames += 1
        self.seconds += time.perf_counter() - started
        return frame

    @property
    def host_size(self) -> tuple[int, int]:
        """The size to ask the avatar for: ``avatar.frame(state, scene.host_size)``."""
        return self.host_box.size

    def mouth_layout(self, avatar: AvatarBackend) -> MouthLayout | None:
        """Where the avatar's mouth is on this scene's frames (for lip-sync measurement)."""
        return mouth_layout_for(avatar, self.host_size, (self.host_box.x, self.host_box.y))

    @property
    def average_ms(self) -> float:
        return 1000.0 * self.seconds / self.frames if self.frames else 0.0

    # -- what a scene may refine ------------------------------------------------------------------

    def prepare(self, scene: SceneState) -> None:
        """Draw ahead what ``scene`` will need, without showing it (from the drawing thread). Default: nothing."""
        return None

    def shown(self, scene: SceneState) -> Hashable:
        """A key that changes whenever the picture around the host changes (the overlay page sends a new
        layer then). Default: every field but the host and the caption's progress (whole seconds of the
        countdown)."""
        product = scene.product.model_dump_json() if scene.product is not None else None
        countdown = None if scene.countdown is None else int(scene.countdown + 0.999)
        return (product, scene.shop_name, scene.currency, scene.locale, scene.caption, scene.comment_author,
                scene.comment_text, countdown)

    def transparent_twin(self) -> Scene:
        """The same scene at the same size, drawn transparent (no backdrop, RGBA): the overlay's layer."""
        return type(self)(self.size, self.fps, transparent=True)

    def caption_image(self, text: str, progress: float | None = None) -> Image.Image | None:
        """The caption panel this scene shows for ``text`` at ``progress`` (0..1 spoken), as a small RGBA
        picture (burned into clips), or None (no caption, or a scene that draws none)."""
        return None


class SceneDrawer:
    """Draws frames of ``size`` with ``avatar`` (an AvatarBackend) and ``scene`` (a :class:`Scene`)."""

    def __init__(self, avatar: Any, scene: Scene, size: tuple[int, int],
                 catalog: Callable[[], Any] | None = None, *, pictures: Pictures | None = None,
                 locale: str = "zh-CN") -> None:
        if tuple(scene.size) != tuple(size):
            raise ValueError(f"the scene draws {scene.size}, the timeline wants {size}")
        self.avatar = avatar
        self.scene = scene
        self.size = tuple(size)
        self.catalog = catalog
        self.pictures = pictures
        self.locale = locale
        self._missing: set[str] = set()

    @property
    def compositor(self) -> Scene:
        """The scene (its former name, for callers not moved yet)."""
        return self.scene

    def host_state(self, state: FrameState) -> HostState:
        return HostState(t=state.t, mouth=state.mouth, blink=state.blink, breath=state.breath,
                         speaking=state.speaking, sku=state.sku, speech=state.speech,
                         cue=state.started[0].kind if state.started else None)

    def scene_state(self, state: FrameState, host: np.ndarray | None) -> SceneState:
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
        self.scene.prepare(self._scene(None, sku, caption, 0.0, comment, None))

    def draw(self, state: FrameState) -> np.ndarray:
        """The RGB picture of ``state``."""
        host = self.avatar.frame(self.host_state(state), self.scene.host_size)
        return self.scene.draw(self.scene_state(state, host))
