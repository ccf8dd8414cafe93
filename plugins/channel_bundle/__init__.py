"""File bundles (channel ``bundle``, ``[backends.channel.bundle]``): approved items written to a folder (or a
zip) with a manifest, for a person to upload by hand where no API reaches. See docs/campaigns.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "channel_bundle"


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.channel_bundle.channel import BundleChannel, BundleSettings

    return [BackendSpec(kind="channel", name="bundle", factory=BundleChannel, config_model=BundleSettings,
                        description="a folder (or zip) per campaign run: captions, links and a manifest")]
