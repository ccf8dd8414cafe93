"""The catalog connector base (hub.shop): sync, validation, webhooks in any order, outages, rooms' shops.

A tiny in-memory shop stands for Shopify and WooCommerce here: it signs webhooks with HMAC-SHA256 like they do,
so the base's de-duplication, ordering, refusal and queueing are tested without either protocol.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from hub.errors import ConfigError
from hub.events import CatalogChange, Order
from hub.hookspecs import hookimpl
from hub.shop import (
    CatalogConnector,
    OrderLine,
    ProductRemoval,
    ProductUpsert,
    ShopOrder,
    ShopSettings,
    StockLevel,
    WebhookDelivery,
    WebhookRefused,
)
from hub.specs import ConnectorSpec
from hub.testing import STARTER_CATALOG, running_hub

SECRET = b"s3cret"


class MemorySettings(ShopSettings):
    products: int = 20
    shop_name: str = "Memory shop"


class MemoryShop(CatalogConnector):
    """A shop whose products live in ``self.data`` (tests change it and post webhooks)."""

    down = False

    def __init__(self, name: str, config: MemorySettings, hub: Any) -> None:
        super().__init__(name, config, hub)
        self.data: dict[str, dict[str, Any]] = {str(n): product(n) for n in range(1, config.products + 1)}
        self.subscribed: list[str] = []

    async def fetch_shop(self) -> dict[str, Any]:
        if self.down:
            raise ConnectionError("shop is down")
        return {"name": self.config.shop_name, "currency": "USD", "locale": "en"}

    async def fetch_products(self):
        for item in list(self.data.values()):
            yield item

    def verify_webhook(self, headers, body):
        given = headers.get("X-Sig", "")
        wanted = base64.b64encode(hmac.new(SECRET, body, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(given, wanted):
            raise WebhookRefused("bad signature")
        if headers.get("X-Topic") == "ping":
            return None
        return WebhookDelivery(id=headers["X-Id"], topic=headers["X-Topic"], at=float(headers["X-At"]), body=body)

    async def webhook_changes(self, delivery):
        data = json.loads(delivery.body)  # only ever reached after the signature check
        if delivery.topic == "product":
            return [ProductUpsert(product=data, at=delivery.at)]
        if delivery.topic == "delete":
            return [ProductRemoval(product_id=data["id"], at=delivery.at)]
        if delivery.topic == "stock":
            return [StockLevel(stock_id=data["stock_id"], stock=data["stock"], at=delivery.at)]
        if delivery.topic == "order":
            return [ShopOrder(order_id=data["id"], status=data["status"], currency="USD", at=delivery.at,
                              buyer_name="Ann", buyer_id="c1", viewer=data.get("viewer"),
                              lines=[OrderLine(sku=s, qty=q, amount=Decimal(a)) for s, q, a in data["lines"]])]
        raise ValueError(f"unknown topic {delivery.topic}")

    async def subscribe_webhooks(self, url: str) -> None:
        self.subscribed.append(url)


def product(n: int, *, price: str = "10.00", stock: int = 5, at: float = 1.0, **extra: Any) -> dict[str, Any]:
    return {"id": str(n), "sku": f"P{n}", "name": f"Product {n}", "link": None, "updated_at": at,
            "variants": [{"id": f"{n}-a", "sku": f"P{n}-A", "price": price, "stock": stock, "stock_id": f"s{n}a"},
                         {"id": f"{n}-b", "sku": f"P{n}-B", "price": "12.00", "stock": 1, "stock_id": f"s{n}b"}],
            **extra}


class Plugin:
    @hookimpl
    def livehub_register_connectors(self):
        return [ConnectorSpec(type="memory", kind="catalog", factory=MemoryShop, config_model=MemorySettings)]


def config(tmp_path, **shops: dict[str, Any]) -> dict[str, Any]:
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
            "web": {"enabled": True, "port": 0},
            "connectors": shops or {"shop": {"type": "memory"}},
            "rooms": {"main": {"locale": "en"}}}


def signed(topic: str, data: Any, *, delivery: str, at: float, secret: bytes = SECRET) -> tuple[dict, bytes]:
    body = json.dumps(data).encode()
    sig = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
    return {"X-Sig": sig, "X-Topic": topic, "X-Id": delivery, "X-At": str(at),
            "Content-Type": "application/json"}, body


async def post(hub, shop: str, headers: dict, body: bytes) -> tuple[int, dict]:
    url = f"http://127.0.0.1:{hub.web.port}/shops/{shop}/webhook"
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def get(hub, path: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{hub.web.port}{path}") as resp:
        assert resp.status == 200, await resp.text()
        return await (resp.json() if resp.content_type == "application/json" else resp.text())


async def until(condition, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


def collect(hub, kind: type) -> list[Any]:
    seen: list[Any] = []
    hub.bus.subscribe(f"test:{kind.type}", seen.append, types=(kind.type,))
    return seen


async def ready(hub, name: str = "shop") -> MemoryShop:
    shop = hub.connectors[name]
    assert await shop.wait_ready(10), shop.status()
    return shop


async def test_full_sync_derives_product_figures_from_variants_and_assigns_links(tmp_path):
    async with running_hub(plugins=[("memory", Plugin())], config=config(tmp_path)) as hub:
        shop = await ready(hub)
        catalog = hub.catalog("main")
        assert catalog is shop.catalog and catalog.shop.currency == "USD" and catalog.shop.name == "Memory shop"
        assert [p.link for p in catalog.products] == list(range(1, 21))
        first = catalog.by_sku("P1")
        assert first.price == Decimal("10.00") and first.stock == 6 and len(first.variants) == 2
        await until(lambda: shop.subscribed)  # after the first sync, once the web server listens
        assert shop.subscribed == [f"http://127.0.0.1:{hub.web.port}/shops/shop/webhook"]


async def test_bad_products_are_reported_with_the_shop_id_and_skipped(tmp_path):
    async with running_hub(plugins=[("memory", Plugin())], config=config(tmp_path)) as hub:
        shop = await ready(hub)
        shop.data["2"]["variants"][0]["price"] = "-1"
        shop.data["3"]["variants"][0].pop("price")
        shop.data["4"]["currency"] = "XYZ"
        shop.data["6"]["variants"][1]["sku"] = "P5-A"  # product 5's SKU: the later product is skipped
        await shop.sync()
        problems = {p.product_id: p for p in shop.problems}
        assert set(problems) == {"2", "3", "4", "6"}
        assert "duplicate sku 'P5-A'" in problems["6"].reason
        assert "price" in problems["2"].field and "currency" in problems["4"].reason
        assert len(shop.catalog.products) == 16 and shop.state == "ready"


async def test_webhooks_in_random_order_with_duplicates_end_at_the_newest_state(tmp_path):
    rng = random.Random(7)
    async with running_hub(plugins=[("memory", Plugin())], config=config(tmp_path)) as hub:
        shop = await ready(hub)
        expected = {pid: dict(item) for pid, item in shop.data.items()}
        deliveries = []
        for n in range(300):  # each product gets several versions; the newest must win whatever the order
            pid = str(rng.randint(1, 20))
            at = 10.0 + n
            item = product(int(pid), price=f"{rng.randint(5, 50)}.00", stock=rng.randint(0, 9), at=at)
            expected[pid] = item
            deliveries.append(signed("product", item, delivery=f"d{n}", at=at))
        deliveries.append(signed("delete", {"id": "7"}, delivery="del7", at=1000.0))
        expected.pop("7")
        rng.shuffle(deliveries)
        deliveries += rng.sample(deliveries, 60)  # redeliveries (same ids)
        results = await asyncio.gather(*(post(hub, "shop", h, b) for h, b in deliveries))
        assert {status for status, _ in results} == {200}
        assert await shop.wait_applied(10)
        assert shop.counts["duplicates"] == 60
        got = {p.id: (p.price, p.stock) for p in shop.catalog.products}
        want = {pid: (Decimal(item["variants"][0]["price"]).min(Decimal("12.00")), item["variants"][0]["stock"] + 1)
                for pid, item in expected.items()}
        assert got == want


async def test_a_forged_webhook_is_refused_counted_and_changes_nothing(tmp_path):
    async with running_hub(plugins=[("memory", Plugin())], config=config(tmp_path)) as hub:
        shop = await ready(hub)
        before = shop.catalog
        headers, body = signed("product", product(1, price="1.00", at=99.0), delivery="x", at=99.0, secret=b"no")
        status, answer = await post(hub, "shop", headers, body)
        headers2, _ = signed("product", {}, delivery="y", at=99.0)
        status2, _ = await post(hub, "shop", headers2, b"{not json, and never parsed")
        assert (status, status2) == (401, 401) and "refused" in answer["error"]
        assert shop.counts["refused"] == 2 and shop.catalog is before
        text = await get(hub, "/metrics")
        assert 'livehub_shop_webhooks_total{connector="shop",outcome="refused"} 2.0' in text


async def test_a_stock_level_newer_than_a_product_update_keeps_its_figure(tmp_path):
    async with running_hub(plugins=[("memory", Plugin())], config=config(tmp_path)) as hub:
        shop = await ready(hub)
        for headers, body in (signed("stock", {"stock_id": "s1a", "stock": 0}, delivery="s", at=50.0),
                              signed("product", product(1, price="9.00", stock=4, at=40.0), delivery="p", at=40.0)):
            assert (await post(hub, "shop", headers, body))[0] == 200
        assert await shop.wait_applied(10)
        p1 = shop.catalog.by_sku("P1")
        assert p1.price == Decimal("9.00") and p1.variants[0].stock == 0 and p1.stock == 1


async def test_changes_reach_the_room_as_catalog_change_events_and_sell_outs_are_marked(tmp_path):
    async with running_hub(plugins=[("memory", Plugin())], config=config(tmp_path)) as hub:
        shop = await ready(hub)
        changes = collect(hub, CatalogChange)
        item = product(3, stock=0, at=5.0)
        item["variants"][1]["stock"] = 0
        headers, body = signed("product", item, delivery="p3", at=5.0)
        await post(hub, "shop", headers, body)
        assert await shop.wait_applied(10)
        await until(lambda: changes)
        assert [(c.room, c.sku, c.change, c.stock_before, c.stock) for c in changes] == [("main", "P3", "sold_out", 6, 0)]
        assert shop.events.latencies and hub.catalog("main").by_sku("P3").stock == 0


async def test_orders_become_order_events_once_linked_to_the_viewer(tmp_path):
    async with running_hub(plugins=[("memory", Plugin())], config=config(tmp_path)) as hub:
        shop = await ready(hub)
        orders = collect(hub, Order)
        lines = [["P1-A", 2, "20.00"], ["P2-B", 1, "12.00"]]
        for delivery, status in (("o1", "placed"), ("o1-paid", "paid"), ("o1-refund", "refunded")):
            headers, body = signed("order", {"id": "1001", "status": status, "lines": lines,
                                             "viewer": "douyin:v42"}, delivery=delivery, at=7.0)
            await post(hub, "shop", headers, body)
        assert await shop.wait_applied(10)
        await until(lambda: len(orders) >= 4)
        assert [(o.status, o.sku, o.qty, o.amount, o.currency, o.platform, o.user.id, o.shop, o.room)
                for o in orders] == [
            ("placed", "P1-A", 2, Decimal("20.00"), "USD", "douyin", "v42", "shop", "main"),
            ("placed", "P2-B", 1, Decimal("12.00"), "USD", "douyin", "v42", "shop", "main"),
            ("refunded", "P1-A", 2, Decimal("20.00"), "USD", "douyin", "v42", "shop", "main"),
            ("refunded", "P2-B", 1, Decimal("12.00"), "USD", "douyin", "v42", "shop", "main")]


async def test_a_shop_that_is_down_keeps_the_last_good_catalog(tmp_path, monkeypatch):
    monkeypatch.setattr(MemoryShop, "backoff_base", 0.02)
    monkeypatch.setattr(MemoryShop, "backoff_cap", 0.1)
    cfg = config(tmp_path, shop={"type": "memory", "reconcile_interval_s": 0.05})
    async with running_hub(plugins=[("memory", Plugin())], config=cfg) as hub:
        shop = await ready(hub)
        good = shop.catalog
        shop.down = True
        await until(lambda: shop.state == "retrying")
        assert shop.state == "retrying" and "shop is down" in shop.last_error
        assert hub.catalog("main") is good
        shop.down = False
        assert await shop.wait_ready(10)


async def test_each_room_sells_from_the_shop_it_names(tmp_path):
    cfg = config(tmp_path, files={"type": "catalog_file", "path": str(STARTER_CATALOG)},
                 shop={"type": "memory", "shop_name": "Second"})
    cfg["rooms"] = {"main": {"locale": "en"}, "second": {"locale": "en", "shop": "shop"}}
    async with running_hub(plugins=[("memory", Plugin())], config=cfg) as hub:
        await ready(hub)
        await ready(hub, "files")
        assert hub.catalog("second").shop.name == "Second"
        assert hub.catalog("main") is hub.connectors["files"].catalog  # no shop named: the first one
        assert hub.shop_rooms("shop") == ["second"] and hub.shop_rooms("files") == ["main"]
        shops = {s["name"]: s for s in await get(hub, "/api/v1/shops")}
        assert shops["shop"]["rooms"] == ["second"] and shops["shop"]["shop"]["products"] == 20


async def test_a_room_naming_an_unknown_shop_stops_the_hub_with_the_key(tmp_path):
    cfg = config(tmp_path)
    cfg["rooms"]["main"]["shop"] = "nope"
    with pytest.raises(ConfigError, match=r"rooms\.main\.shop: 'nope' is not a catalog connector"):
        async with running_hub(plugins=[("memory", Plugin())], config=cfg):
            pass


async def test_a_hub_restarted_while_its_shop_is_down_answers_from_the_stored_catalog(tmp_path, monkeypatch,
                                                                                      db_url):
    monkeypatch.setattr(MemoryShop, "backoff_base", 0.02)
    monkeypatch.setattr(MemoryShop, "backoff_cap", 0.1)
    cfg = config(tmp_path)
    cfg["hub"]["database_url"] = db_url  # SQLite and PostgreSQL
    async with running_hub(plugins=[("memory", Plugin())], config=cfg) as hub:
        shop = await ready(hub)
        headers, body = signed("product", product(4, price="8.50", at=60.0), delivery="p4", at=60.0)
        await post(hub, "shop", headers, body)
        assert await shop.wait_applied(10)
        before = [p.model_dump() for p in shop.catalog.products]
    monkeypatch.setattr(MemoryShop, "down", True)
    async with running_hub(plugins=[("memory", Plugin())], config=cfg) as hub:
        shop = hub.connectors["shop"]
        await until(lambda: shop.state == "retrying")
        assert [p.model_dump() for p in hub.catalog("main").products] == before
        assert hub.catalog("main").by_sku("P4").price == Decimal("8.50")
