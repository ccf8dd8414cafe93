"""Shopify (``type = "shopify"``): the catalog over the Admin GraphQL API (cost-throttled, bulk operations for
large shops), live changes and orders by webhooks, and the stand-in (``livehub standin shopify``). See
docs/shops/shopify.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import ConnectorSpec, StandinSpec

PLUGIN_NAME = "shopify"


@hookimpl
def livehub_register_connectors() -> list[ConnectorSpec]:
    from connectors.shopify.connector import ShopifyConnector, ShopifySettings

    return [ConnectorSpec(type="shopify", kind="catalog", factory=ShopifyConnector, config_model=ShopifySettings,
                          description="Shopify: products over the Admin GraphQL API, live changes and orders by "
                                      "webhooks")]


@hookimpl
def livehub_register_standins() -> list[StandinSpec]:
    from connectors.shopify.standin import ShopifyStandin

    return [StandinSpec(system="shopify", factory=ShopifyStandin, connector_type="shopify",
                        description="a Shopify shop: Admin GraphQL with cost throttling and bulk operations, "
                                    "signed webhooks")]
