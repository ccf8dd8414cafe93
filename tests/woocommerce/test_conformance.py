"""WooCommerce's own documented payloads (../shared/protocol-samples/woocommerce, see its README and PROVENANCE)
map to what the rules say, and the stand-in sends no field WooCommerce does not have."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.woocommerce.mapping import order_change, product_dict
from connectors.woocommerce.standin_shop import WooStore
from connectors.woocommerce.standin_webhooks import Hook

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "protocol-samples" / "woocommerce"


def sample(name: str) -> Any:
    path = SAMPLES / "rest_v3_examples" / name
    if not path.exists():
        pytest.skip(f"protocol samples not here ({path})")
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_documented_simple_product_maps_by_the_rules() -> None:
    product = product_dict(sample("products.Retrieve_a_product.response.json"), unmanaged_stock=7)
    assert (product["id"], product["sku"], product["name"]) == ("794", "woo-794", "Premium Quality")
    assert product["variants"] == [{"id": "794", "sku": "woo-794", "title": "", "price": "21.99", "promo_price": None,
                                    "stock": 7, "stock_id": "794"}]  # stock not counted by the shop: the setting
    assert product["updated_at"] == 1490299274.0  # 2017-03-23T20:01:14 UTC
    assert product["link"] is None and product["image"].startswith("https://")


def test_a_variable_product_without_variations_is_a_problem_not_a_crash() -> None:
    listed = sample("products.List_all_products.response.json")
    variable = next(p for p in listed if p["type"] == "variable")
    with pytest.raises(ValueError, match="variations"):
        product_dict(variable, [])
    assert product_dict(next(p for p in listed if p["type"] == "simple"))["variants"][0]["price"] == "21.99"


def test_the_documented_order_is_a_paid_shop_order() -> None:
    order = order_change(sample("orders.Retrieve_an_order.response.json"), 5.0)
    assert (order.order_id, order.status, order.currency, order.buyer_name) == ("727", "paid", "USD", "John")
    assert order.email == "john.doe@example.com"
    assert [(line.sku, line.qty, line.amount) for line in order.lines] == [
        ("woo-93", 2, Decimal("6.00")), ("Bar3", 1, Decimal("12.00"))]  # a line without a SKU: its product id


def test_the_stand_in_sends_only_fields_woocommerce_has() -> None:
    documented = set(sample("products.Retrieve_a_product.response.json"))
    store = WooStore()
    store.seed(2, 1)
    store.seed(2, 3)
    for product in store.products.values():
        assert set(product) <= documented, set(product) - documented
    hook = set(Hook(1, "n", "product.updated", "http://x", "s").as_json())
    assert hook <= set(sample("webhooks.Create_a_webhook.response.json"))
