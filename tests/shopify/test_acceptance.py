"""Shopify against its stand-in: 5,000 products with variants synced by a bulk operation, then 1,000 changes
sent as signed webhooks in random order with redeliveries (products, inventory levels, archives, deletions):
the hub's catalog equals the shop's, every field; a forged webhook changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.shopify.standin import ShopifyStandin
from hub import testing
from hub.catalog import Product

pytestmark = pytest.mark.slow


def hub_rows(hub) -> list[dict]:
    return [p.model_dump() for p in sorted(hub.catalog("main").products, key=lambda p: int(p.id))]


def shop_rows(shop: ShopifyStandin) -> list[dict]:
    return [Product.model_validate(d).model_dump() for d in shop.hub_products()]


async def test_5000_products_then_1000_shuffled_webhooks_end_equal_to_the_shop(tmp_path: Path) -> None:
    async with ShopifyStandin(products=5000, variants=3) as shop:
        async with testing.shop_hub(tmp_path, shop) as hub:
            connector = hub.connectors["shop"]
            assert connector.last_sync_mode == "bulk" and shop.api.bulk_runs == 1
            assert len(hub.catalog("main").products) == 5000 and not connector.problems
            assert hub_rows(hub) == shop_rows(shop)
            await testing.wait_for(lambda: len(shop.api.subscriptions) == 7, timeout=10)
            sent = await shop.updates(1000, seed=5, duplicates=150)
            assert sent["failed"] == 0 and sent["sent"] == 1150
            assert await connector.wait_applied(60)
            assert connector.counts["duplicates"] == 150 and connector.counts["malformed"] == 0
            assert hub_rows(hub) == shop_rows(shop)
            before = hub.catalog("main")
            forged = await shop.control().call("POST", "shop/forged", {})
            assert set(forged["statuses"]) == {401} and connector.counts["refused"] == len(forged["statuses"])
            assert hub.catalog("main") is before
