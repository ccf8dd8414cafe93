"""``livehub standin woocommerce``: the printed table loads as the connector's settings, secrets by reference."""

from __future__ import annotations

import tomllib

from connectors.woocommerce.connector import WooCommerceSettings
from connectors.woocommerce.standin import WooCommerceStandin


def test_the_printed_table_loads_as_connector_settings() -> None:
    store = WooCommerceStandin(port=18791, products="4", variants="2")
    table = tomllib.loads(store.connector_table())["connectors"]["woocommerce"]
    assert table["consumer_key"] == {"env": "WC_CONSUMER_KEY"} and table["consumer_secret"] == {"env": "WC_CONSUMER_SECRET"}
    assert table["url"] == "http://127.0.0.1:18791" and "room" not in table
    settings = store.connector_config()
    assert settings.keys() == table.keys()
    WooCommerceSettings.model_validate({k: v for k, v in settings.items() if k != "type"})
    assert store.env() == {"WC_CONSUMER_KEY": "ck_standin", "WC_CONSUMER_SECRET": "cs_standin"}
    assert len(store.store.products) == 4
