"""Shops against their stand-ins: the full sync of a large catalog, and webhook → fact latency.

* ``sync`` — seconds for the connector's full sync of ``products`` products with ``variants`` variants each
  (fetch, validate, publish; the stand-in runs in the same process, so its serving cost is included). The
  issue's goal is ≤ 30 s for 5,000 products, bounded by the shop's throttling, not by the hub.
* ``webhook_to_fact`` — p95 of the time from a webhook's arrival at the hub to the catalog the host answers
  from holding it (``livehub_shop_webhook_to_fact_seconds``: one sample per applied batch, timed from the
  batch's oldest delivery, so the worst case of each batch), over ``updates`` random changes sent in bursts of
  20 (a variation's change costs WooCommerce two reads of the product, an inventory level costs Shopify one
  GraphQL query for the variant's total, included). Shopify's stand-in has the Standard plan's bucket (1,000
  points, 100 restored per second): 5,000 products are read by one bulk operation.

Benchmarks are not tests: no target is asserted here. ``python bench/shop_sync.py woocommerce``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import percentile
from hub.app import Hub
from hub.config import load_config
from hub.plugins import BUILTIN_PLUGINS


def _standin(system: str, products: int, variants: int) -> Any:
    if system == "woocommerce":
        from connectors.woocommerce.standin import WooCommerceStandin

        return WooCommerceStandin(products=products, variants=variants)
    if system == "shopify":
        from connectors.shopify.standin import ShopifyStandin

        return ShopifyStandin(products=products, variants=variants)
    raise ValueError(f"no shop stand-in {system!r}")


async def _hub(folder: Path, standin: Any, *, webhooks: bool, **settings: Any) -> Hub:
    config = {"hub": {"database_url": f"sqlite+aiosqlite:///{folder / 'bench.db'}"},
              "web": {"enabled": webhooks, "port": 0},
              "connectors": {"shop": {**standin.connector_config(), "webhooks": webhooks, **settings}},
              "rooms": {"main": {"locale": "en", "shop": "shop"}}}
    hub = Hub(load_config(data=config, env=False), builtins=BUILTIN_PLUGINS, autoload=False).build()
    await hub.start()
    return hub


async def sync(system: str = "woocommerce", products: int = 5000, variants: int = 3) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="livehub-bench-") as folder:
        async with _standin(system, products, variants) as standin:
            started = time.perf_counter()
            hub = await _hub(Path(folder), standin, webhooks=False)
            try:
                shop = hub.connectors["shop"]
                if not await shop.wait_ready(600):
                    raise RuntimeError(f"{system}: {shop.status()}")
                ready_s = time.perf_counter() - started
                held = len(hub.catalog("main").products)
                return {"value": round(shop.last_sync_s, 2), "ready_s": round(ready_s, 2), "products": held,
                        "variants_each": variants, "requests": standin.calls}
            finally:
                await hub.stop()


async def webhook_to_fact(system: str = "woocommerce", updates: int = 200, products: int = 500) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="livehub-bench-") as folder:
        async with _standin(system, products, 3) as standin:
            # the catalog is read at once (Shopify: a bulk operation even for a few products): what is measured
            # is the webhooks, not the sync
            fast = {"bulk_threshold": 0} if system == "shopify" else {}
            hub = await _hub(Path(folder), standin, webhooks=True, **fast)
            try:
                shop = hub.connectors["shop"]
                if not await shop.wait_ready(120):
                    raise RuntimeError(f"{system}: {shop.status()}")
                for _ in range(200):  # the subscriptions are made after the first sync
                    if shop.webhooks_subscribed:
                        break
                    await asyncio.sleep(0.05)
                shop.events.latencies.clear()
                for burst in range(0, updates, 20):
                    await standin.updates(min(20, updates - burst), seed=burst + 1)
                    await shop.wait_applied(30)
                samples = list(shop.events.latencies)
                p95 = percentile(samples, 95)
                return {"value": None if p95 is None else round(p95 * 1000, 1), "batches": len(samples),
                        "median_ms": round((percentile(samples, 50) or 0) * 1000, 1)}
            finally:
                await hub.stop()


async def shopify_sync(products: int) -> dict[str, Any]:
    return await sync("shopify", products)


async def shopify_webhook_to_fact(updates: int) -> dict[str, Any]:
    return await webhook_to_fact("shopify", updates)


async def woocommerce_sync(products: int) -> dict[str, Any]:
    return await sync("woocommerce", products)


async def woocommerce_webhook_to_fact(updates: int) -> dict[str, Any]:
    return await webhook_to_fact("woocommerce", updates)


if __name__ == "__main__":
    chosen = sys.argv[1] if len(sys.argv) > 1 else "woocommerce"
    print(json.dumps({"sync": asyncio.run(sync(chosen)), "webhook_to_fact": asyncio.run(webhook_to_fact(chosen))}))
