"""The shop stand-ins' webhook sender: a slow or failed acknowledgement is redelivered with the same headers
(the same delivery id, as real shops do), and the hub acknowledges at once even when applying is slow."""

from __future__ import annotations

import time
from pathlib import Path

from aiohttp import web

from connectors.shopify.standin import ShopifyStandin
from hub import standin_webhooks, testing
from hub.standin_webhooks import WebhookSender


async def test_a_slow_acknowledgement_is_a_failure_and_is_redelivered_with_the_same_id(monkeypatch) -> None:
    monkeypatch.setattr(standin_webhooks, "ACK_TIMEOUT_S", 0.2)
    monkeypatch.setattr(standin_webhooks, "RETRY_AFTER_S", 0.05)
    seen: list[str] = []

    async def receiver(request: web.Request) -> web.Response:
        seen.append(request.headers["X-Delivery"])
        if len(seen) == 1:
            import asyncio

            await asyncio.sleep(0.3)  # the first answer comes too late (yet before the client gives up)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receiver)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    sender = WebhookSender("test")
    try:
        status = await sender.post(f"http://127.0.0.1:{port}/hook", {"X-Delivery": "d-1"}, b"{}")
        assert status == 200  # answered, but after the deadline
        await testing.wait_for(lambda: sender.redelivered == 1 and len(seen) == 2, timeout=5)
        assert seen == ["d-1", "d-1"] and sender.failed == 1 and sender.slowest_ack_s >= 0.3
    finally:
        await sender.close()
        await runner.cleanup()


async def test_the_hub_acknowledges_at_once_while_the_shop_is_slow_to_answer_its_queries(tmp_path: Path) -> None:
    """Each inventory level costs the hub a GraphQL query; with a nearly empty bucket those are slow, yet every
    delivery is answered at once (the work is queued) and applied later."""
    async with ShopifyStandin(products=6, variants=2, restore_rate=1000) as shop:
        async with testing.shop_hub(tmp_path, shop) as hub:
            connector = hub.connectors["shop"]
            await testing.wait_for(lambda: len(shop.api.subscriptions) == 7, timeout=10)
            await shop.control().call("POST", "shop/throttle", {"maximum": 3, "restore_rate": 4})
            for pid in sorted(shop.store.products)[:5]:
                variant = shop.store.products[pid]["variants"][0]
                answer = await shop.control().call("POST", f"shop/product/{pid}", {"variant": variant["id"],
                                                                                   "stock": 0})
                assert answer["statuses"] == [200]
            sent = time.monotonic()
            assert shop.sender.slowest_ack_s < 5.0 and shop.sender.failed == 0  # Shopify's deadline
            assert await connector.wait_applied(30)
            assert time.monotonic() - sent > 0.5  # the applying waited for the shop's points
            assert all(p.variants[0].stock == 0 for p in hub.catalog("main").products[:5])
