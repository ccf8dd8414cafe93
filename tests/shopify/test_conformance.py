"""Shopify's own schema and documented payloads (../shared/protocol-samples/shopify, see its README and
PROVENANCE): every document the connector sends is valid Admin GraphQL, and the documented webhook bodies map
as the rules say."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema, parse
from graphql.validation import validate

from connectors.shopify import queries
from connectors.shopify.mapping import order_change, parse_time, rest_product
from connectors.shopify.standin_graphql import SCHEMA
from connectors.shopify.standin_store import ShopifyStore

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "protocol-samples" / "shopify"
NEWER_THAN_2022_07 = {"productsCount"}
"""Fields the connector uses that Shopify added after the sample schema's version (2022-07): ``productsCount``
came in 2024-04 (the connector's default API version is 2025-01)."""


def sample(path: str) -> Any:
    full = SAMPLES / path
    if not full.exists():
        pytest.skip(f"protocol samples not here ({full})")
    return full.read_text(encoding="utf-8")


def documents() -> dict[str, str]:
    return {**queries.ALL, "BULK_PRODUCTS": queries.BULK_PRODUCTS}


def test_every_document_is_valid_against_shopify_s_schema() -> None:
    schema = build_schema(sample("admin_graphql/admin-2022-07.introspected.graphql"), assume_valid=True)
    schema._validation_errors = []  # the dump's own deprecation inconsistencies are not the documents' business
    for name, document in documents().items():
        errors = [e.message for e in validate(schema, parse(document))
                  if not any(f"'{field}'" in e.message for field in NEWER_THAN_2022_07)]
        assert not errors, (name, errors)


def test_the_stand_in_serves_every_document_with_shopify_s_names() -> None:
    for name, document in documents().items():
        assert not validate(SCHEMA, parse(document)), name


def test_the_documented_product_update_lacks_stock_so_the_product_is_read_again() -> None:
    body = json.loads(sample("webhooks/products_update.docs-example.json"))
    assert (body["id"], body["variants"][0]["price"], body["variants"][0]["sku"]) == (9554194432293, "29.99",
                                                                                      "TSHIRT-001")
    assert rest_product(body) is None  # no inventory fields in this body: the connector reads the product
    assert parse_time(body["updated_at"]) == 1745350200.0


def test_the_rest_product_fixture_with_stock_fields_maps_by_the_rules() -> None:
    product = json.loads(sample("rest_fixtures/product.json"))["product"]
    for variant in product["variants"]:
        variant.setdefault("inventory_item_id", variant["id"] + 1)
    mapped = rest_product(product)
    assert (mapped["id"], mapped["name"], mapped["sku"]) == ("632910392", "IPod Nano - 8GB", "ipod-nano")
    first = mapped["variants"][0]
    assert (first["id"], first["price"]) == ("808950810", "199.00") and first["promo_price"] is None


def test_the_documented_order_is_a_shop_order() -> None:
    order = order_change(json.loads(sample("rest_fixtures/order.json"))["order"], "placed", 1.0)
    assert (order.order_id, order.currency, order.email) == ("450789469", "USD", "bob.norman@hostmail.com")
    assert [(line.sku, line.qty, line.amount) for line in order.lines][0] == ("IPOD2008GREEN", 1, Decimal("199.00"))
    assert order.viewer is None  # its note attributes are a gift message, not a viewer


def test_the_stand_in_s_webhook_bodies_use_shopify_s_field_names() -> None:
    documented = set(json.loads(sample("rest_fixtures/product.json"))["product"]) | set(
        json.loads(sample("webhooks/products_update.docs-example.json")))  # the newer body has "status"
    store = ShopifyStore()
    store.seed(2, 2)
    body = store.rest_product(next(iter(store.products.values())))
    assert set(body) - {"metafields"} <= documented, set(body) - documented
    level = json.loads(sample("rest_fixtures/inventory_level.json"))["inventory_level"]
    assert set(store.inventory_level(body["variants"][0] | {"item": 1, "stock": 2}, 0.0)) <= set(level) | {
        "admin_graphql_api_id"}
