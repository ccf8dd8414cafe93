"""The shipped scenes: ``studio`` (landscape, the default) and ``vertical`` (9:16, for phone-first platforms).

A room picks one with ``[rooms.<room>] scene = "vertical"``; ``[backends.scene.<name>]`` sets its theme
(colours and fonts, :class:`plugins.scene_studio.theme.Theme`). A scene backend's factory is called as
``factory(settings, hub, size=..., fps=...)`` and returns a :class:`hub.media.scene.Scene`.
"""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "scene_studio"


def create_studio(settings: Any, hub: Any, *, size: tuple[int, int] | None = None, fps: int = 25,
                  transparent: bool = False) -> Any:
    from plugins.scene_studio.compositor import Compositor

    return Compositor(size, fps, settings, transparent=transparent)


def create_vertical(settings: Any, hub: Any, *, size: tuple[int, int] | None = None, fps: int = 25,
                    transparent: bool = False) -> Any:
    from plugins.scene_studio.vertical import VerticalScene

    return VerticalScene(size, fps, settings, transparent=transparent)


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.scene_studio.theme import Theme

    return [BackendSpec(kind="scene", name="studio", factory=create_studio, config_model=Theme,
                        default=True,  # the scene when [backends.scene] and the room name none
                        description="landscape live-room corner: host left, product card right (1280x720)"),
            BackendSpec(kind="scene", name="vertical", factory=create_vertical, config_model=Theme,
                        description="9:16 for phone-first platforms: host above, card and captions below "
                                    "(1080x1920)")]
