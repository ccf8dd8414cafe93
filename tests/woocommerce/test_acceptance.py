"""WooCommerce against its stand-in: 5,000 variable products synced over OAuth 1.0a pages, then 1,000 changes
sent as signed webhooks in random order with redeliveries: the hub's catalog equals the store's, every field;
a forged webhook changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.woocommerce.standin import WooCommerceStandin
from hub import testing
from hub.catalog import Product

pytestmark = pytest.mark.slow


def hub_rows(hub, name: str = "shop") -> list[dict]:
    return [p.model_dump() for p in sorted(hub.catalog("main").products, key=lambda p: int(p.id))]


def store_rows(store: WooCommerceStandin) -> list[dict]:
    return [Product.model_validate(d).model_dump() for d in store.hub_products()]


async def test_5000_products_then_1000_shuffled_webhooks_end_equal_to_the_store(tmp_path: Path) -> None:
    async with WooCommerceStandin(products=5000, variants=3) as store:
        async with testing.shop_hub(tmp_path, store) as hub:
            shop = hub.connectors["shop"]
            assert len(hub.catalog("main").products) == 5000 and not shop.problems
            assert hub_rows(hub) == store_rows(store)
            await testing.wait_for(lambda: len(store.webhooks.hooks) == 6, timeout=10)
            sent = await store.updates(1000, seed=3, duplicates=150)
            assert sent == {"sent": 1150, "failed": 0}
            assert await shop.wait_applied(60)
            assert shop.counts["duplicates"] == 150 and shop.counts["malformed"] == 0
            assert hub_rows(hub) == store_rows(store)
            before = hub.catalog("main")
            forged = await store.control().call("POST", "shop/forged", {})
            assert set(forged["statuses"]) == {401} and shop.counts["refused"] == len(forged["statuses"])
            assert hub.catalog("main") is before
