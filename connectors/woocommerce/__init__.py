"""WooCommerce (``type = "woocommerce"``): the catalog over REST API v3, live changes and orders by webhooks, and
the stand-in (``livehub standin woocommerce``). See docs/shops/woocommerce.md."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.specs import ConnectorSpec, StandinSpec

PLUGIN_NAME = "woocommerce"


@hookimpl
def livehub_register_connectors() -> list[ConnectorSpec]:
    from connectors.woocommerce.connector import WooCommerceConnector, WooCommerceSettings

    return [ConnectorSpec(type="woocommerce", kind="catalog", factory=WooCommerceConnector,
                          config_model=WooCommerceSettings,
                          description="WooCommerce: products over REST API v3, live changes and orders by webhooks")]


@hookimpl
def livehub_register_standins() -> list[StandinSpec]:
    from connectors.woocommerce.standin import WooCommerceStandin

    return [StandinSpec(system="woocommerce", factory=WooCommerceStandin, connector_type="woocommerce",
                        description="a WooCommerce store: REST API v3 (OAuth 1.0a / Basic), pages, variations, "
                                    "signed webhooks")]
