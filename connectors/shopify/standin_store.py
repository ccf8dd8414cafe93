"""The Shopify stand-in's shop: products, variants and inventory, changed on demand, in Shopify's shapes.

Products are kept in one neutral form and rendered as GraphQL nodes (:meth:`ShopifyStore.graphql_product`) or
as REST-shaped webhook bodies (:meth:`ShopifyStore.rest_product`). The shop has its own clock: every change
moves it one second on (``updatedAt`` has whole seconds), so a burst of changes has distinct times, like changes
made over time. :meth:`ShopifyStore.hub_products` says what the hub must hold.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

SIZES = ("S", "M", "L", "XL", "XXL", "3XL")


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


class ShopifyStore:
    """Products by numeric id; each variant has an inventory item (its stock, one location)."""

    def __init__(self, name: str = "Stand-in Shop", currency: str = "USD") -> None:
        self.name, self.currency = name, currency
        self.products: dict[int, dict[str, Any]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.location = 905684977
        self._next = 1000
        self._links = 0
        self.clock = float(int(time.time())) - 2 * 86400  # its changes happened in the past, a second apart

    def tick(self) -> float:
        self.clock += 1
        return self.clock

    def new_id(self) -> int:
        self._next += 1
        return self._next

    def seed(self, count: int, variants: int, seed: int = 1) -> None:
        rng = random.Random(seed)
        self.products.clear()
        self._links = 0
        for _ in range(count):
            self.create(rng, variants)

    def create(self, rng: random.Random, variants: int) -> dict[str, Any]:
        pid = self.new_id()
        self._links += 1
        product = {"id": pid, "title": f"Product {pid}", "handle": f"product-{pid}", "status": "ACTIVE",
                   "html": f"<p>Product {pid}, <b>made well</b>.</p>", "updated": self.tick(), "link": self._links,
                   "images": [f"https://cdn.shopify.test/{pid}.jpg"], "variants": []}
        for size in SIZES[:max(1, variants)]:
            vid = self.new_id()
            cents = rng.randint(500, 20_000)
            product["variants"].append({"id": vid, "sku": f"SH-{pid}-{size}", "title": size, "price": money(cents),
                                        "compare_at": money(cents + rng.randint(100, 900)) if rng.random() < 0.3
                                        else None, "stock": rng.randint(0, 40), "item": self.new_id()})
        self.products[pid] = product
        return product

    # -- shapes ---------------------------------------------------------------------------------

    def graphql_product(self, product: dict[str, Any]) -> dict[str, Any]:
        pid = product["id"]
        return {"id": f"gid://shopify/Product/{pid}", "title": product["title"], "handle": product["handle"],
                "status": product["status"], "description": f"Product {pid}, made well.",
                "updatedAt": iso(product["updated"]), "metafield": {"value": str(product["link"])},
                "variants": [self.graphql_variant(product, v) for v in product["variants"]],
                "images": [{"url": url} for url in product["images"]]}

    def graphql_variant(self, product: dict[str, Any], variant: dict[str, Any]) -> dict[str, Any]:
        return {"id": f"gid://shopify/ProductVariant/{variant['id']}", "sku": variant["sku"],
                "title": variant["title"], "price": variant["price"], "compareAtPrice": variant["compare_at"],
                "inventoryQuantity": variant["stock"],
                "inventoryItem": {"id": f"gid://shopify/InventoryItem/{variant['item']}"},
                "product": {"id": f"gid://shopify/Product/{product['id']}"}}

    def rest_product(self, product: dict[str, Any], *, metafields: bool = True) -> dict[str, Any]:
        """A ``products/update`` body (REST shape: numeric ids, money as strings, snake_case)."""
        pid = product["id"]
        body = {"id": pid, "title": product["title"], "handle": product["handle"], "body_html": product["html"],
                "status": product["status"].lower(), "updated_at": iso(product["updated"]),
                "created_at": iso(product["updated"]), "vendor": "Stand-in", "product_type": "", "tags": "",
                "variants": [{"id": v["id"], "product_id": pid, "title": v["title"], "sku": v["sku"],
                              "price": v["price"], "compare_at_price": v["compare_at"],
                              "inventory_item_id": v["item"], "inventory_quantity": v["stock"],
                              "updated_at": iso(product["updated"])} for v in product["variants"]],
                "images": [{"id": pid * 10 + n, "product_id": pid, "src": url}
                           for n, url in enumerate(product["images"])]}
        if metafields:
            body["metafields"] = [{"namespace": "livehub", "key": "link", "value": str(product["link"]),
                                   "type": "number_integer"}]
        return body

    def variant_by_item(self, item: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for product in self.products.values():
            for variant in product["variants"]:
                if variant["item"] == item:
                    return product, variant
        return None

    # -- changes (each returns the webhook topic and its body) ----------------------------------

    def random_change(self, rng: random.Random) -> tuple[str, dict[str, Any]]:
        live = [pid for pid, p in self.products.items() if p["status"] == "ACTIVE"]
        roll = rng.random()
        if roll < 0.05 or not live:
            variants = len(next(iter(self.products.values()))["variants"]) if self.products else 3
            return "products/create", self.rest_product(self.create(rng, variants))
        product = self.products[rng.choice(live)]
        if roll < 0.08:
            product["status"], product["updated"] = "ARCHIVED", self.tick()
            return "products/update", self.rest_product(product)
        if roll < 0.11:
            del self.products[product["id"]]
            self.tick()
            return "products/delete", {"id": product["id"]}
        variant = rng.choice(product["variants"])
        if roll < 0.45:  # a stock change is an inventory level's, not the product's (its updatedAt stays)
            variant["stock"] = rng.choice([0, rng.randint(1, 40)])
            return "inventory_levels/update", self.inventory_level(variant, self.tick())
        if roll < 0.55:
            product["title"] = f"Product {product['id']} v{rng.randint(2, 999)}"
        else:
            cents = rng.randint(500, 20_000)
            variant["price"] = money(cents)
            variant["compare_at"] = money(cents + rng.randint(100, 900)) if rng.random() < 0.3 else None
        product["updated"] = self.tick()
        return "products/update", self.rest_product(product)

    def inventory_level(self, variant: dict[str, Any], when: float) -> dict[str, Any]:
        return {"inventory_item_id": variant["item"], "location_id": self.location, "available": variant["stock"],
                "updated_at": iso(when), "admin_graphql_api_id":
                f"gid://shopify/InventoryLevel/{self.location}?inventory_item_id={variant['item']}"}

    def change(self, pid: int, fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """A change asked through the control API (``price``, ``compare_at``, ``stock``, ``title``; a variant by
        its id in ``variant``, else the first)."""
        product = self.products.get(pid)
        if product is None:
            raise KeyError(f"no product {pid}")
        variant = product["variants"][0]
        if "variant" in fields:
            variant = next((v for v in product["variants"] if v["id"] == int(fields["variant"])), None)
            if variant is None:
                raise KeyError(f"product {pid} has no variant {fields['variant']}")
        if "price" in fields:
            variant["price"] = str(fields["price"])
        if "compare_at" in fields:
            variant["compare_at"] = str(fields["compare_at"]) if fields["compare_at"] else None
        if "title" in fields:
            product["title"] = str(fields["title"])
        if set(fields) <= {"stock", "variant"} and "stock" in fields:
            variant["stock"] = int(fields["stock"])
            return "inventory_levels/update", self.inventory_level(variant, self.tick())
        product["updated"] = self.tick()
        if "stock" in fields:
            variant["stock"] = int(fields["stock"])
        return "products/update", self.rest_product(product)

    # -- what the hub must hold -----------------------------------------------------------------

    def hub_products(self) -> list[dict[str, Any]]:
        """Every active product as the hub's product dict (this stand-in's own reading of
        docs/shops/shopify.md), sorted by id."""
        result = []
        for pid in sorted(self.products):
            product = self.products[pid]
            if product["status"] != "ACTIVE":
                continue
            variants = []
            for v in product["variants"]:
                higher = v["compare_at"] is not None and Decimal(v["compare_at"]) > Decimal(v["price"])
                variants.append({"id": str(v["id"]), "sku": v["sku"], "title": v["title"],
                                 "price": v["compare_at"] if higher else v["price"],
                                 "promo_price": v["price"] if higher else None, "stock": v["stock"],
                                 "stock_id": str(v["item"])})
            result.append({"id": str(pid), "sku": product["handle"], "name": product["title"],
                           "link": product["link"], "description": f"Product {pid}, made well.",
                           "image": product["images"][0], "images": list(product["images"]), "variants": variants})
        return result
