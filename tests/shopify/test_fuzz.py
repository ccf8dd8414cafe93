"""Outside input, fuzzed: Shopify JSON of any shape (GraphQL nodes, bulk lines, webhook bodies) maps or raises
ValueError, and a webhook signed with another secret, or for another shop, is refused before its body is read."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.shopify.connector import ShopifyConnector, ShopifySettings
from connectors.shopify.mapping import (
    bulk_products,
    graphql_product,
    order_change,
    refund_change,
    rest_product,
)
from hub.secrets import SecretValue
from hub.shop import WebhookRefused

SCALARS = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12) | st.floats(allow_nan=True)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=5), max_leaves=20)

NODE = {"id": "gid://shopify/Product/1", "title": "T", "handle": "t", "status": "ACTIVE", "description": "d",
        "updatedAt": "2025-01-01T00:00:00Z", "metafield": {"value": "2"},
        "variants": {"edges": [{"node": {"id": "gid://shopify/ProductVariant/2", "sku": "A", "title": "S",
                                         "price": "5.00", "compareAtPrice": None, "inventoryQuantity": 3,
                                         "inventoryItem": {"id": "gid://shopify/InventoryItem/3"}}}]},
        "images": {"edges": [{"node": {"url": "https://x/1.jpg"}}]}}
BODY = {"id": 1, "title": "T", "handle": "t", "status": "active", "body_html": "<p>d</p>",
        "updated_at": "2025-01-01T00:00:00-05:00", "variants": [{"id": 2, "sku": "A", "price": "5.00",
                                                                 "compare_at_price": "7.00", "inventory_item_id": 3,
                                                                 "inventory_quantity": 1}],
        "metafields": [{"namespace": "livehub", "key": "link", "value": "4"}], "images": [{"src": "https://x"}]}
ORDER = {"id": 9, "currency": "USD", "line_items": [{"sku": "A", "quantity": 2, "price": "5.00"}],
         "customer": {"first_name": "Ann"}, "note_attributes": [{"name": "livehub_viewer", "value": "douyin:1"}]}
REFUND = {"order_id": 9, "refund_line_items": [{"quantity": 1, "subtotal": "5.00", "line_item": {"sku": "A",
                                                                                                  "price": "5.00"}}]}


def survives(function: Any, *args: Any) -> None:
    try:
        function(*args)
    except ValueError:
        pass


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted({*NODE, *BODY, *ORDER, *REFUND, "quantity", "price", "sku", "inventoryQuantity"})),
       JSON)
def test_one_field_of_any_shape_maps_or_raises_value_error(key: str, value: Any) -> None:
    variant_node = {**NODE["variants"]["edges"][0]["node"], key: value}
    survives(graphql_product, {**NODE, key: value})
    survives(graphql_product, {**NODE, "variants": {"edges": [{"node": variant_node}]}})
    survives(rest_product, {**BODY, key: value})
    survives(rest_product, {**BODY, "variants": [{**BODY["variants"][0], key: value}]})
    survives(order_change, {**ORDER, key: value}, "placed", 1.0)
    survives(order_change, {**ORDER, "line_items": [{**ORDER["line_items"][0], key: value}]}, "paid", 1.0)
    survives(refund_change, {**REFUND, key: value}, "USD", 1.0)
    bulk_products([{**NODE, key: value, "variants": None}, {**variant_node, "__parentId": NODE["id"]}])


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_any_json_as_a_whole_body_maps_or_raises_value_error(value: Any) -> None:
    survives(graphql_product, value)
    survives(rest_product, value)
    survives(order_change, value, "placed", 1.0)
    survives(refund_change, value, "USD", 1.0)
    bulk_products(value if isinstance(value, list) else [value])


def connector() -> ShopifyConnector:
    shop = ShopifyConnector.__new__(ShopifyConnector)
    shop.config = ShopifySettings(shop="acme.myshopify.com", access_token=SecretValue("t", "t"),
                                  client_secret=SecretValue("right", "t"))
    return shop


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@settings(max_examples=300)
@given(st.binary(max_size=300), st.text(min_size=1, max_size=20).filter(lambda s: s != "right"))
def test_a_body_signed_with_another_secret_is_refused(body: bytes, secret: str) -> None:
    headers = {"X-Shopify-Hmac-Sha256": sign(secret, body), "X-Shopify-Shop-Domain": "acme.myshopify.com",
               "X-Shopify-Topic": "products/update", "X-Shopify-Webhook-Id": "1"}
    with pytest.raises(WebhookRefused):
        connector().verify_webhook(headers, body)


def test_the_right_signature_for_another_shop_is_refused_and_header_case_does_not_matter() -> None:
    body = b'{"id": 1}'
    with pytest.raises(WebhookRefused, match="Shop-Domain"):
        connector().verify_webhook({"X-Shopify-Hmac-Sha256": sign("right", body),
                                    "X-Shopify-Shop-Domain": "evil.myshopify.com"}, body)
    delivery = connector().verify_webhook({"x-shopify-hmac-sha256": sign("right", body),
                                           "x-shopify-shop-domain": "ACME.myshopify.com",
                                           "x-shopify-topic": "orders/paid", "x-shopify-webhook-id": "w1",
                                           "x-shopify-triggered-at": "2025-01-01T00:00:00Z"}, body)
    assert (delivery.id, delivery.topic, delivery.at) == ("w1", "orders/paid", 1735689600.0)
