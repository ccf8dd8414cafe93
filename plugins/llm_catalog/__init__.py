"""The ``catalog`` answer backend: offline, deterministic answers from the catalog and templates."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import BackendSpec

PLUGIN_NAME = "llm_catalog"


@hookimpl
def livehub_register_backends() -> list[BackendSpec]:
    from plugins.llm_catalog.backend import CatalogBackend, CatalogSettings

    return [BackendSpec(kind="llm", name="catalog", factory=CatalogBackend, config_model=CatalogSettings,
                        final=True,  # every answer chain ends with it: a show never goes silent
                        description="Offline answers from the catalog with templates (always the last "
                                    "fallback)")]
