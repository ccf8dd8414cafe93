"""The ``sprite`` avatar backend: a 2D host from an image set (the merchant's own or the built-in one)."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "avatar_sprite"


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.avatar_sprite.backend import SpriteSettings, create_sprite

    return [BackendSpec(kind="avatar", name="sprite", factory=create_sprite, config_model=SpriteSettings,
                        default=True,  # the avatar when [backends.avatar] names none
                        description="2D host from an image set: base, mouth shapes, blink")]
