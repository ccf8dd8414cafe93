"""Outside input, fuzzed: WooCommerce JSON of any shape maps or raises ValueError (nothing else), and a webhook
signed with any other secret, or not signed, is refused before its body is read."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.woocommerce.connector import WooCommerceConnector, WooCommerceSettings
from connectors.woocommerce.mapping import order_change, product_dict
from hub.secrets import SecretValue
from hub.shop import WebhookRefused

SCALARS = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12) | st.floats(allow_nan=True)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=5), max_leaves=20)
FIELDS = st.fixed_dictionaries({}, optional={
    "id": st.integers(0, 10**9) | JSON, "sku": JSON, "name": JSON, "type": st.sampled_from(["simple", "variable", 3]),
    "status": st.sampled_from(["publish", "draft", None]), "regular_price": JSON | st.just("12.50"),
    "sale_price": JSON | st.just("9.99"), "manage_stock": JSON, "stock_quantity": JSON,
    "stock_status": st.sampled_from(["instock", "outofstock", 7]), "date_modified_gmt": JSON |
    st.just("2024-05-01T10:00:00"), "images": JSON, "attributes": JSON, "meta_data": JSON,
    "line_items": JSON, "billing": JSON, "currency": JSON})


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(FIELDS | JSON, st.lists(FIELDS | JSON, max_size=3))
def test_product_json_of_any_shape_maps_or_raises_value_error(product: Any, variations: list[Any]) -> None:
    try:
        mapped = product_dict(product, variations)
    except ValueError:
        return
    assert mapped["id"] and mapped["variants"] and isinstance(mapped["updated_at"], float)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(FIELDS | JSON)
def test_order_json_of_any_shape_maps_or_raises_value_error(order: Any) -> None:
    try:
        order_change(order, 1.0)
    except ValueError:
        pass


def connector() -> WooCommerceConnector:
    settings_ = WooCommerceSettings(url="http://store.test", consumer_key=SecretValue("ck", "t"),
                                    consumer_secret=SecretValue("cs", "t"), webhook_secret=SecretValue("right", "t"))
    shop = WooCommerceConnector.__new__(WooCommerceConnector)
    shop.config = settings_
    return shop


@settings(max_examples=300)
@given(st.binary(max_size=300), st.text(min_size=1, max_size=20).filter(lambda s: s != "right"))
def test_a_body_signed_with_another_secret_is_refused(body: bytes, secret: str) -> None:
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    headers = {"X-WC-Webhook-Signature": signature, "X-WC-Webhook-Topic": "product.updated",
               "X-WC-Webhook-Delivery-ID": "1"}
    with pytest.raises(WebhookRefused):
        connector().verify_webhook(headers, body)


@settings(max_examples=200)
@given(st.binary(max_size=300).filter(lambda b: not b.strip().startswith(b"webhook_id=")))
def test_an_unsigned_body_is_refused_unless_it_is_the_creation_ping(body: bytes) -> None:
    with pytest.raises(WebhookRefused):
        connector().verify_webhook({"X-WC-Webhook-Topic": "product.updated"}, body)
    assert connector().verify_webhook({}, b"webhook_id=42") is None


def test_the_right_signature_is_taken_with_any_header_case() -> None:
    body = json.dumps({"id": 1}).encode()
    signature = base64.b64encode(hmac.new(b"right", body, hashlib.sha256).digest()).decode()
    delivery = connector().verify_webhook({"x-wc-webhook-signature": signature, "x-wc-webhook-topic": "order.created",
                                           "x-wc-webhook-delivery-id": "77"}, body)
    assert delivery is not None and (delivery.id, delivery.topic) == ("77", "order.created")


BASE = {"id": 7, "type": "variable", "status": "publish", "sku": "S", "name": "N", "regular_price": "5.00",
        "date_modified_gmt": "2024-05-01T10:00:00", "meta_data": [{"key": "livehub_link", "value": "3"}],
        "images": [{"src": "https://x/1.jpg"}], "attributes": [{"name": "Size", "options": ["S"]}]}
VARIATION = {"id": 8, "sku": "S-1", "regular_price": "4.00", "manage_stock": True, "stock_quantity": 2,
             "stock_status": "instock", "attributes": [{"name": "Size", "option": "S"}],
             "date_modified_gmt": "2024-05-01T10:00:01"}


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([*sorted(BASE), "quantity", "total"]), JSON, st.sampled_from(sorted(VARIATION)), JSON)
def test_one_field_of_any_shape_in_a_good_product_maps_or_raises_value_error(key: str, value: Any, vkey: str,
                                                                              vvalue: Any) -> None:
    try:
        product_dict({**BASE, key: value}, [{**VARIATION, vkey: vvalue}])
    except ValueError:
        pass
    line = {"sku": "S-1", "quantity": 1, "total": "4.00", key: value}
    order = {"id": 1, "status": "processing", "currency": "USD", "line_items": [line]}
    try:
        order_change({**order, vkey: vvalue}, 1.0)
    except ValueError:
        pass
