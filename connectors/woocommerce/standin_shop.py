"""The WooCommerce stand-in's store: products and variations in WooCommerce's JSON, changed on demand.

The store keeps its own clock (``date_modified_gmt`` has whole seconds in WooCommerce): every change moves it
one second on, so changes made in a burst still have distinct times, like changes made over time in a real
store. :meth:`WooStore.hub_products` says what the hub must hold (the acceptance tests compare every field).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

SIZES = ("S", "M", "L", "XL", "XXL", "3XL")


def _gmt(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


class WooStore:
    """Products by id (WooCommerce's shape), variations by parent id, orders."""

    def __init__(self, name: str = "Stand-in Store", currency: str = "USD") -> None:
        self.name, self.currency = name, currency
        self.products: dict[int, dict[str, Any]] = {}
        self.variations: dict[int, list[dict[str, Any]]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self._next_id = 100
        self._clock = float(int(time.time())) - 2 * 86400  # its changes happened in the past, a second apart
        self._links = 0

    def tick(self) -> str:
        self._clock += 1
        return _gmt(self._clock)

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- building -------------------------------------------------------------------------------

    def seed(self, count: int, variants: int, seed: int = 1) -> None:
        rng = random.Random(seed)
        self.products.clear()
        self.variations.clear()
        self._links = 0
        for _ in range(count):
            self.create(rng, variants)

    def create(self, rng: random.Random, variants: int) -> dict[str, Any]:
        pid = self.new_id()
        self._links += 1
        when = self.tick()
        variable = variants > 1
        cents = rng.randint(500, 20_000)
        product = {
            "id": pid, "name": f"Product {pid}", "slug": f"product-{pid}", "permalink": f"https://store.test/p/{pid}",
            "date_created_gmt": when, "date_modified_gmt": when, "type": "variable" if variable else "simple",
            "status": "publish", "featured": False, "description": f"<p>The long story of product {pid}.</p>",
            "short_description": f"<p>Product {pid}, <b>made well</b>.</p>", "sku": f"WC-{pid}",
            "price": _money(cents), "regular_price": "" if variable else _money(cents), "sale_price": "",
            "on_sale": False, "manage_stock": not variable, "stock_quantity": None if variable else rng.randint(0, 50),
            "stock_status": "instock", "images": [{"id": pid * 10, "src": f"https://store.test/img/{pid}.jpg",
                                                   "name": f"{pid}.jpg", "alt": ""}],
            "attributes": [{"id": 1, "name": "Size", "position": 0, "visible": True, "variation": True,
                            "options": list(SIZES[:variants])}] if variable else [],
            "variations": [], "meta_data": [{"id": pid * 10 + 1, "key": "livehub_link", "value": str(self._links)}],
        }
        if not variable and product["stock_quantity"] == 0:
            product["stock_status"] = "outofstock"
        self.products[pid] = product
        if variable:
            rows = []
            for size in SIZES[:variants]:
                vid = self.new_id()
                price = rng.randint(500, 20_000)
                sale = _money(price - rng.randint(1, 400)) if rng.random() < 0.3 else ""
                stock = rng.randint(0, 40)
                rows.append({"id": vid, "type": "variation", "parent_id": pid, "date_created_gmt": when,
                             "date_modified_gmt": when, "status": "publish", "sku": f"WC-{pid}-{size}",
                             "price": sale or _money(price), "regular_price": _money(price), "sale_price": sale,
                             "on_sale": bool(sale), "manage_stock": True, "stock_quantity": stock,
                             "stock_status": "instock" if stock else "outofstock",
                             "attributes": [{"id": 1, "name": "Size", "option": size}], "meta_data": []})
            self.variations[pid] = rows
            product["variations"] = [v["id"] for v in rows]
        return product

    # -- changes (each returns the webhook topic and body WooCommerce would send) -----------------

    def random_change(self, rng: random.Random) -> tuple[str, dict[str, Any]]:
        live = [pid for pid, p in self.products.items() if p["status"] == "publish"]
        roll = rng.random()
        if roll < 0.05 or not live:
            variants = len(next(iter(self.variations.values()), [None, None])) or 2
            return "product.created", dict(self.create(rng, variants))
        pid = rng.choice(live)
        product = self.products[pid]
        if roll < 0.09:
            product["status"], product["date_modified_gmt"] = "trash", self.tick()
            return "product.deleted", {"id": pid}  # WooCommerce sends only the id of a deleted resource
        if roll < 0.2 or not self.variations.get(pid):
            product["name"] = f"Product {pid} v{rng.randint(2, 999)}"
            if not self.variations.get(pid):
                self._reprice(product, rng)
            product["date_modified_gmt"] = self.tick()
            return "product.updated", dict(product)
        variation = rng.choice(self.variations[pid])
        if roll < 0.6:
            self._reprice(variation, rng)
        else:
            self.set_stock(variation, rng.choice([0, rng.randint(1, 40)]))
        variation["date_modified_gmt"] = self.tick()
        return "product.updated", dict(variation)

    def _reprice(self, item: dict[str, Any], rng: random.Random) -> None:
        price = rng.randint(500, 20_000)
        sale = _money(price - rng.randint(1, 400)) if rng.random() < 0.3 else ""
        item.update(regular_price=_money(price), sale_price=sale, price=sale or _money(price), on_sale=bool(sale))

    @staticmethod
    def set_stock(item: dict[str, Any], stock: int) -> None:
        item.update(manage_stock=True, stock_quantity=stock, stock_status="instock" if stock > 0 else "outofstock")

    def change(self, pid: int, fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """A change asked through the control API: ``price``/``sale_price``/``stock``/``name`` of the product or
        of variation ``variant`` (id); returns the webhook."""
        product = self.products.get(pid)
        if product is None:
            raise KeyError(f"no product {pid}")
        target = product
        if "variant" in fields:
            target = next((v for v in self.variations.get(pid, []) if v["id"] == int(fields["variant"])), None)
            if target is None:
                raise KeyError(f"product {pid} has no variation {fields['variant']}")
        elif self.variations.get(pid) and ({"price", "sale_price", "stock"} & set(fields)):
            target = self.variations[pid][0]
        if "price" in fields:
            target.update(regular_price=str(fields["price"]), price=str(fields["price"]), sale_price="")
        if "sale_price" in fields:
            target.update(sale_price=str(fields["sale_price"] or ""), price=str(fields["sale_price"] or
                                                                                 target["regular_price"]))
        if "stock" in fields:
            self.set_stock(target, int(fields["stock"]))
        if "name" in fields:
            product["name"] = str(fields["name"])
        target["date_modified_gmt"] = self.tick()
        return "product.updated", dict(target)

    def place_order(self, sku: str, qty: int, *, buyer: str, viewer: str | None, status: str = "processing"
                    ) -> dict[str, Any]:
        item = self.find_sku(sku)
        if item is None:
            raise ValueError(f"no product or variation with sku {sku!r}")
        parent = self.products.get(item.get("parent_id") or item["id"], item)
        oid = self.new_id()
        unit = Decimal(item["price"])
        total = f"{unit * qty:.2f}"
        when = self.tick()
        line = {"id": oid * 10 + 1, "name": parent["name"], "product_id": parent["id"],
                "variation_id": item["id"] if item.get("parent_id") else 0, "quantity": qty, "tax_class": "",
                "subtotal": total, "total": total, "sku": sku, "price": float(unit)}
        order = {"id": oid, "status": status, "currency": self.currency, "date_created_gmt": when,
                 "date_modified_gmt": when, "total": total, "customer_id": 0,
                 "billing": {"first_name": buyer, "last_name": "", "email": "buyer@example.com"},
                 "line_items": [line],
                 "meta_data": [{"id": oid * 10, "key": "livehub_viewer", "value": viewer}] if viewer else []}
        self.orders[oid] = order
        return order

    def find_sku(self, sku: str) -> dict[str, Any] | None:
        for pid, product in self.products.items():
            if product["sku"] == sku and not self.variations.get(pid):
                return product
            for variation in self.variations.get(pid, []):
                if variation["sku"] == sku:
                    return variation
        return None

    # -- what the hub must hold -----------------------------------------------------------------

    def hub_products(self, unmanaged_stock: int = 100) -> list[dict[str, Any]]:
        """Every published product as the hub's product dict (by this stand-in's own reading of the rules
        in docs/shops/woocommerce.md), sorted by id."""
        result = []
        for pid in sorted(self.products):
            product = self.products[pid]
            if product["status"] != "publish":
                continue
            rows = self.variations.get(pid) or [product]
            variants = []
            for row in rows:
                sale = row["sale_price"] if row["sale_price"] and Decimal(row["sale_price"]) < Decimal(
                    row["regular_price"]) else None
                stock = 0 if row["stock_status"] == "outofstock" else (
                    row["stock_quantity"] if row["manage_stock"] else unmanaged_stock)
                variants.append({"id": str(row["id"]), "sku": row["sku"], "price": row["regular_price"],
                                 "promo_price": sale, "stock": stock, "stock_id": str(row["id"]),
                                 "title": " / ".join(a["option"] for a in row.get("attributes", []) if "option" in a)})
            result.append({
                "id": str(pid), "sku": product["sku"], "name": product["name"],
                "link": int(next(m["value"] for m in product["meta_data"] if m["key"] == "livehub_link")),
                "description": f"Product {pid}, made well.", "image": product["images"][0]["src"],
                "images": [i["src"] for i in product["images"]],
                "attributes": {a["name"]: ", ".join(a["options"]) for a in product["attributes"]},
                "variants": variants})
        return result
