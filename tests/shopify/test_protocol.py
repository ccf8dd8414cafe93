"""The Shopify connector's protocol against its stand-in: paged sync under the cost bucket (slowing down before
THROTTLED, backing off when it comes), a refused token, an outage that keeps the last catalog, inventory levels
read as totals, orders and refunds as hub events."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from connectors.shopify import queries
from connectors.shopify.client import ShopifyClient
from connectors.shopify.connector import ShopifyConnector
from connectors.shopify.standin import ShopifyStandin
from hub import testing
from hub.catalog import Product
from hub.events import Order, User
from hub.secrets import SecretValue


def rows(hub) -> list[dict]:
    return [p.model_dump() for p in sorted(hub.catalog("main").products, key=lambda p: int(p.id))]


async def test_a_small_shop_is_paged_and_the_client_slows_down_before_it_is_throttled(tmp_path: Path) -> None:
    async with ShopifyStandin(products=30, variants=2, maximum=2000, restore_rate=1000) as shop:
        async with testing.shop_hub(tmp_path, shop) as hub:
            connector = hub.connectors["shop"]
            assert connector.last_sync_mode == "pages" and shop.api.bulk_runs == 0
            assert rows(hub) == [Product.model_validate(d).model_dump() for d in shop.hub_products()]
            assert shop.bucket.throttled == 0  # the client waited for its points instead
            assert hub.catalog("main").shop.currency == "USD" and hub.catalog("main").shop.name == "Stand-in Shop"


async def test_throttled_queries_are_waited_out_and_asked_again() -> None:
    """Two clients spend one shop's points (as two apps would): each one's model of the bucket is stale, so
    Shopify answers THROTTLED; both wait for the deficit and get every page."""
    async with ShopifyStandin(products=24, variants=2, maximum=460, restore_rate=200) as shop:
        clients = [ShopifyClient(shop.url, "2025-01", "shpat_standin") for _ in range(2)]

        async def read_all(client: ShopifyClient) -> int:
            return sum([len(page) async for page in client.pages(queries.PRODUCTS_PAGE, "products", {"first": 4})])

        try:
            assert await asyncio.gather(*(read_all(c) for c in clients)) == [24, 24]
        finally:
            for client in clients:
                await client.close()
        assert shop.bucket.throttled > 0 and sum(c.bucket.throttled for c in clients) == shop.bucket.throttled


async def test_a_refused_token_stops_at_auth_failed(tmp_path: Path, monkeypatch) -> None:
    testing.fast_retries(monkeypatch, ShopifyConnector)
    async with ShopifyStandin(products=3) as shop:
        async with testing.shop_hub(tmp_path, shop, ready=False, access_token=SecretValue("nope", "t")) as hub:
            connector = hub.connectors["shop"]
            await testing.wait_for(lambda: connector.state == "auth_failed", timeout=10)
            assert "Invalid API key" in connector.last_error and shop.auth_failures >= 1


async def test_an_outage_keeps_the_last_catalog(tmp_path: Path, monkeypatch) -> None:
    testing.fast_retries(monkeypatch, ShopifyConnector)
    async with ShopifyStandin(products=5, restore_rate=1000) as shop:
        async with testing.shop_hub(tmp_path, shop, reconcile_interval_s=0.2) as hub:
            connector, good = hub.connectors["shop"], hub.catalog("main")
            await testing.fault(shop, "outage", seconds=2)
            await testing.wait_for(lambda: connector.state == "retrying", timeout=10)
            assert hub.catalog("main") is good and len(good.products) == 5
            await testing.wait_for(lambda: connector.state == "ready", timeout=15)


async def test_an_inventory_level_is_read_as_the_variant_s_total(tmp_path: Path) -> None:
    async with ShopifyStandin(products=4, variants=2, restore_rate=1000) as shop:
        async with testing.shop_hub(tmp_path, shop) as hub:
            await testing.wait_for(lambda: len(shop.api.subscriptions) == 7, timeout=10)
            pid = sorted(shop.store.products)[1]
            variant = shop.store.products[pid]["variants"][1]
            answer = await shop.control().call("POST", f"shop/product/{pid}", {"variant": variant["id"], "stock": 0})
            assert answer == {"topic": "inventory_levels/update", "statuses": [200]}
            assert await hub.connectors["shop"].wait_applied(10)
            product = next(p for p in hub.catalog("main").products if p.id == str(pid))
            assert product.variants[1].stock == 0 and product.variants[1].stock_id == str(variant["item"])


async def test_orders_and_refunds_become_hub_events_linked_to_the_viewer(tmp_path: Path) -> None:
    async with ShopifyStandin(products=3, variants=2, restore_rate=1000) as shop:
        async with testing.shop_hub(tmp_path, shop) as hub:
            await testing.wait_for(lambda: len(shop.api.subscriptions) == 7, timeout=10)
            variant = shop.store.products[sorted(shop.store.products)[0]]["variants"][0]
            with testing.collect(hub, types={"order"}) as orders:
                await shop.control().post_events(Order(platform="shopify", room="x", user=User("tiktok:u9", "Ann"),
                                                       order_id="x", sku=variant["sku"], qty=3, status="refunded"))
                await testing.wait_for(lambda: len(orders) == 2, timeout=10)
            placed, refund = orders
            assert (placed.status, placed.qty, placed.amount, placed.currency) == (
                "placed", 3, Decimal(variant["price"]) * 3, "USD")
            assert (placed.platform, placed.user.id, placed.user.name) == ("tiktok", "u9", "Ann")
            assert (refund.status, refund.order_id, refund.amount) == ("refunded", placed.order_id,
                                                                       Decimal(variant["price"]))
