"""``livehub standin shopify``: the printed table loads as the connector's settings, secrets by reference."""

from __future__ import annotations

import tomllib

from connectors.shopify.connector import ShopifySettings
from connectors.shopify.standin import ShopifyStandin


def test_the_printed_table_loads_as_connector_settings() -> None:
    shop = ShopifyStandin(port=18792, products="4", variants="2", restore_rate="50")
    table = tomllib.loads(shop.connector_table())["connectors"]["shopify"]
    assert table["access_token"] == {"env": "SHOPIFY_ACCESS_TOKEN"}
    assert table["client_secret"] == {"env": "SHOPIFY_CLIENT_SECRET"}
    assert table["api_base"] == "http://127.0.0.1:18792" and "room" not in table
    settings = shop.connector_config()
    assert settings.keys() == table.keys()
    ShopifySettings.model_validate({k: v for k, v in settings.items() if k != "type"})
    assert shop.env() == {"SHOPIFY_ACCESS_TOKEN": "shpat_standin", "SHOPIFY_CLIENT_SECRET": "shpss_standin"}
    assert len(shop.store.products) == 4 and shop.bucket.restore_rate == 50
