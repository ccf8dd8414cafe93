"""Shop webhooks in a cluster, on a real redis-server: the shop delivers to one process (its address is the
balancer's, here process b's), and the catalog of the process that runs the room (a) takes every change too,
through the ``livehub:shops`` stream; a forged delivery changes neither. The stream's entries are fuzzed."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from connectors.shopify.standin import ShopifyStandin
from hub.catalog import Product
from hub.cluster.shops import delivery_of, entry_fields
from hub.shop_changes import WebhookDelivery
from hub.testing import running_hub, shop_config, wait_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def member(tmp_path: Path, shop: ShopifyStandin, db_url: str, redis_url: str, node: str, *, capacity: int,
                 port: int, public_url: str) -> AsyncIterator[Any]:
    config = shop_config(tmp_path, shop, public_url=public_url)
    config["hub"] = {"database_url": db_url, "name": node}
    config["web"] = {"enabled": True, "port": port}
    config["cluster"] = {"enabled": True, "node": node, "lease_s": 1.5, "capacity": capacity,
                         "redis_url": redis_url}
    async with running_hub(config=config) as hub:
        assert await hub.connectors["shop"].wait_ready(30), hub.connectors["shop"].status()
        yield hub


def rows(products: Any) -> list[dict[str, Any]]:
    return [Product.model_validate(p).model_dump() if isinstance(p, dict) else p.model_dump()
            for p in sorted(products, key=lambda p: int(p["id"] if isinstance(p, dict) else p.id))]


async def test_a_webhook_reaching_one_process_changes_the_catalog_of_every_process(
        tmp_path: Path, db_url: str, redis_url: str) -> None:
    port = free_port()
    balancer = f"http://127.0.0.1:{port}"
    async with ShopifyStandin(products=30, variants=2) as shop, \
            member(tmp_path, shop, db_url, redis_url, "a", capacity=1, port=0, public_url=balancer) as a, \
            member(tmp_path, shop, db_url, redis_url, "b", capacity=0, port=port, public_url=balancer) as b:
        await wait_for(lambda: a.cluster.owns("main"), timeout=10)
        await wait_for(lambda: a.connectors["shop"].webhooks_subscribed
                       and b.connectors["shop"].webhooks_subscribed, timeout=10)
        assert {s["url"] for s in shop.api.subscriptions} == {f"{balancer}/shops/shop/webhook"}
        sent = await shop.updates(60, seed=3, duplicates=10)
        assert sent["failed"] == 0
        in_a, in_b = a.connectors["shop"], b.connectors["shop"]
        assert in_b.counts["webhooks"] == sent["sent"] and in_a.counts["webhooks"] == 0  # the shop reached b
        await wait_for(lambda: in_a.counts["shared"] == in_b.counts["webhooks"] - in_b.counts["duplicates"],
                       timeout=15)
        assert await in_a.wait_applied(15) and await in_b.wait_applied(15)
        wanted = rows(shop.hub_products())
        assert rows(a.catalog("main").products) == wanted and rows(b.catalog("main").products) == wanted
        assert b.cluster.shops.shared == in_a.counts["shared"] and a.cluster.shops.received >= in_a.counts["shared"]
        assert b.cluster.status()["shop_deliveries"]["shared"] == b.cluster.shops.shared

        before = a.catalog("main")
        forged = await shop.control().call("POST", "shop/forged", {})
        assert set(forged["statuses"]) == {401} and in_b.counts["refused"] == len(forged["statuses"])
        assert b.cluster.shops.shared == in_a.counts["shared"] and a.catalog("main") is before


@given(st.text(max_size=40), st.text(max_size=40), st.floats(allow_nan=False, allow_infinity=False),
       st.binary(max_size=200))
def test_a_delivery_comes_out_of_its_stream_entry_as_it_went_in(ident: str, topic: str, at: float, body: bytes) -> None:
    delivery = WebhookDelivery(id=ident, topic=topic, at=at, body=body)
    connector, back = delivery_of(entry_fields("a", "shop", delivery))
    assert connector == "shop" and (back.id, back.topic, back.at, back.body) == (ident, topic, at, body)


@given(st.dictionaries(st.sampled_from(["node", "connector", "id", "topic", "at", "body", "x"]),
                       st.text(max_size=30)))
def test_a_broken_stream_entry_is_refused_with_a_value_error(fields: dict[str, str]) -> None:
    try:
        delivery_of(fields)
    except ValueError as exc:
        assert "not a shop delivery entry" in str(exc)
