"""Copy (content kind ``copy``, backend ``[backends.content.copy]``): marketing text per product × segment ×
channel in A/B variants, from the catalog through the prompt template ``campaign/copy.j2`` of the shop's
locale (offline, no LLM). See docs/campaigns.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "content_copy"


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.content_copy.generator import CopyGenerator, CopySettings

    return [BackendSpec(kind="content", name="copy", factory=CopyGenerator, config_model=CopySettings,
                        default=True, description="marketing copy from the catalog's templates (offline)")]
