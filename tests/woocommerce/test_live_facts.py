"""A change made in the WooCommerce stand-in reaches the host: the next answer states the new price within 5 s of
the webhook, the product card shows it, and a sell-out stops "in stock" lines at once."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

from connectors.woocommerce.standin import WooCommerceStandin
from hub import testing
from hub.media.scene import SceneDrawer
from hub.review import ReviewContext, review_output
from plugins.scene_studio.compositor import Compositor
from tests.shop.test_live_facts import answer_to


async def test_a_price_change_in_the_shop_is_in_the_next_answer_and_on_the_card(tmp_path: Path) -> None:
    async with WooCommerceStandin(products=3, variants=1) as store:
        async with testing.shop_hub(tmp_path, store) as hub:
            shop = hub.connectors["shop"]
            await testing.wait_for(lambda: len(store.webhooks.hooks) == 6, timeout=10)
            first = hub.catalog("main").by_link(1)
            drawer = SceneDrawer(None, Compositor((320, 180), 25), (320, 180), lambda: hub.catalog("main"),
                                 locale="en")
            sent = time.monotonic()
            answer = await store.control().call("POST", f"shop/product/{first.id}", {"price": "3.21"})
            assert answer["statuses"] == [200]
            await testing.wait_for(lambda: hub.catalog("main").by_link(1).price == Decimal("3.21"), timeout=5)
            assert time.monotonic() - sent < 5
            with testing.collect(hub, types={"reply"}) as replies:
                await testing.feed(hub, testing.comment("how much is link 1?", user="u1", room="main"))
                reply = await testing.wait_for(lambda: answer_to(replies, "u1"), timeout=30)
            assert "3.21" in reply.text, reply.text
            assert drawer._scene(None, first.sku, "", None, None, None).product.current_price == Decimal("3.21")
            assert shop.events.latencies


async def test_a_sell_out_in_the_shop_stops_in_stock_lines(tmp_path: Path) -> None:
    async with WooCommerceStandin(products=3, variants=1) as store:
        async with testing.shop_hub(tmp_path, store) as hub:
            await testing.wait_for(lambda: len(store.webhooks.hooks) == 6, timeout=10)
            product = hub.catalog("main").by_link(2)
            context = ReviewContext(channel="voice", kind="answer", locale="en", room="main", stage_sku=product.sku)
            await store.control().call("POST", f"shop/product/{product.id}", {"stock": 5})
            await testing.wait_for(lambda: hub.catalog("main").by_link(2).stock == 5, timeout=5)
            assert not (await review_output(hub, "Link 2 is in stock, order now.", context)).blocked
            await store.control().call("POST", f"shop/product/{product.id}", {"stock": 0})
            await testing.wait_for(lambda: hub.catalog("main").by_link(2).stock == 0, timeout=5)
            outcome = await review_output(hub, "Link 2 is in stock, order now.", context)
            assert outcome.blocked or not outcome.text
