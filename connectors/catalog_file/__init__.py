"""Product catalog from a JSON or CSV file (the offline default catalog)."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import ConnectorSpec

PLUGIN_NAME = "catalog_file"


@hookimpl
def livehub_register_connectors() -> list[ConnectorSpec]:
    from connectors.catalog_file.connector import CatalogFileConnector, CatalogFileSettings

    return [ConnectorSpec(type="catalog_file", kind="catalog", factory=CatalogFileConnector,
                          config_model=CatalogFileSettings,
                          description="Products from a JSON or CSV file")]
