"""The WooCommerce shop (``type = "woocommerce"``): REST API v3 for the catalog, webhooks for live changes.

A full sync pages through the published products (``X-WP-TotalPages``) and fetches each variable product's
variations. After the first sync the connector subscribes the hub's webhook address to ``product.created``,
``product.updated``, ``product.deleted``, ``product.restored``, ``order.created`` and ``order.updated``
(webhooks already there for that address are kept). A delivery is verified with ``X-WC-Webhook-Signature``
(base64 HMAC-SHA256 of the raw body with ``webhook_secret``) before anything is read; the creation ping
(``webhook_id=<n>``, unsigned) is acknowledged and ignored. A simple product's webhook carries the whole
product; any other product webhook (a variation, a variable product, a deletion, whose body is only the id)
is completed by reading the product and its variations again, so the hub holds the shop's current state
whatever order deliveries arrive in. Everything else (queue, de-duplication by
``X-WC-Webhook-Delivery-ID``, reconcile, retries) is :class:`hub.shop.CatalogConnector`'s.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from pydantic import Field, model_validator

from connectors.woocommerce.client import WooAuthError, WooClient, WooError, WooNotFound
from connectors.woocommerce.mapping import is_ping, modified_at, order_change, product_dict
from hub.secrets import Secret
from hub.shop import (
    CatalogConnector,
    Change,
    ProductProblem,
    ProductRemoval,
    ProductUpsert,
    ShopSettings,
    WebhookDelivery,
    WebhookRefused,
)
from hub.shop_webhooks import header, hmac_sha256_matches

TOPICS = ("product.created", "product.updated", "product.deleted", "product.restored", "order.created",
          "order.updated")


class WooCommerceSettings(ShopSettings):
    url: str = Field(pattern=r"^https?://", description="the store's address (WordPress with WooCommerce)")
    consumer_key: Secret = Field(description="REST API consumer key (ck_...), read access at least; read/write "
                                             "to create the webhooks")
    consumer_secret: Secret = Field(description="REST API consumer secret (cs_...)")
    webhook_secret: Secret | None = Field(None, description="the secret webhooks are signed with (default: the "
                                                            "consumer secret, as WooCommerce does)")
    per_page: int = Field(100, ge=1, le=100, description="products per page")
    query_string_auth: bool = Field(False, description="over HTTPS, send the keys as query parameters (for "
                                                       "servers that strip the Authorization header)")
    verify_tls: bool = Field(True, description="check the store's TLS certificate")
    concurrency: int = Field(8, ge=1, le=32, description="requests at once (pages, variations)")
    timeout_s: float = Field(30.0, gt=0, le=300, description="HTTP timeout per request")
    unmanaged_stock: int = Field(100, ge=0, le=1_000_000,
                                 description="the stock the host quotes for an in-stock product whose stock the "
                                             "shop does not count (manage_stock off)")

    @model_validator(mode="after")
    def _https_for_query_keys(self) -> WooCommerceSettings:
        if self.query_string_auth and not self.url.lower().startswith("https://"):
            raise ValueError("query_string_auth sends the keys in the address: only over https")
        return self


class WooCommerceConnector(CatalogConnector):
    """One WooCommerce store (see the module docstring)."""

    config: WooCommerceSettings
    auth_errors = (WooAuthError,)

    def __init__(self, name: str, config: WooCommerceSettings, hub: Any) -> None:
        super().__init__(name, config, hub)
        self._client: WooClient | None = None

    @property
    def client(self) -> WooClient:
        if self._client is None:
            c = self.config
            self._client = WooClient(c.url, c.consumer_key.get(), c.consumer_secret.get(), per_page=c.per_page,
                                     query_string_auth=c.query_string_auth, verify_tls=c.verify_tls,
                                     concurrency=c.concurrency, timeout_s=c.timeout_s)
        return self._client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    # -- the catalog -------------------------------------------------------------------------------

    async def fetch_shop(self) -> dict[str, Any]:
        return await self.client.store()

    async def fetch_products(self) -> AsyncIterator[dict[str, Any] | ProductProblem]:
        async for product, variations in self.client.products():
            yield self._product(product, variations)

    def _product(self, product: dict[str, Any], variations: list[dict[str, Any]]) -> dict[str, Any] | ProductProblem:
        try:
            return product_dict(product, variations, unmanaged_stock=self.config.unmanaged_stock)
        except ValueError as exc:  # the base reports it with the product's id and skips it
            return ProductProblem(str(product.get("id", "?")), "product", str(exc))

    # -- webhooks ----------------------------------------------------------------------------------

    def _secret(self) -> str:
        secret = self.config.webhook_secret or self.config.consumer_secret
        return secret.get()

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookDelivery | None:
        given = header(headers, "X-WC-Webhook-Signature")
        if not given:
            if is_ping(body):
                return None
            raise WebhookRefused("no X-WC-Webhook-Signature")
        if not hmac_sha256_matches(self._secret(), body, given):
            raise WebhookRefused("X-WC-Webhook-Signature does not match the body")
        delivery = header(headers, "X-WC-Webhook-Delivery-ID") or hashlib.sha256(body).hexdigest()
        topic = header(headers, "X-WC-Webhook-Topic")
        if is_ping(body):
            return None
        return WebhookDelivery(id=delivery, topic=topic, at=time.time(), body=body)

    async def webhook_changes(self, delivery: WebhookDelivery) -> list[Change]:
        try:
            data = json.loads(delivery.body)
        except ValueError:
            raise ValueError(f"{delivery.topic}: the body is not JSON") from None
        if not isinstance(data, dict):
            raise ValueError(f"{delivery.topic}: the body is not an object")
        resource, _, event = delivery.topic.partition(".")
        if resource == "order":
            order = order_change(data, _at(data, delivery.at))
            return [order] if order is not None else []
        if resource != "product":
            return []
        if data.get("type") == "simple" and event != "deleted" and not data.get("parent_id"):
            if data.get("status") != "publish":
                return [ProductRemoval(product_id=str(data.get("id")), at=_at(data, delivery.at))]
            product = product_dict(data, [], unmanaged_stock=self.config.unmanaged_stock)
            return [ProductUpsert(product=product, at=product["updated_at"])]
        return await self._product_now(data, delivery.at)

    async def _product_now(self, data: dict[str, Any], arrived: float) -> list[Change]:
        """The product a webhook is about as the shop holds it now: a deletion's body is only the id, a
        variation's is not the product, a variable product's lacks its variations. A product the shop no
        longer has (404) was deleted for good: removed as of the delivery's arrival."""
        product_id = data.get("parent_id") or data.get("id")
        if not isinstance(product_id, int) or isinstance(product_id, bool):
            raise ValueError("id: missing or not a number")
        try:
            current = await self.client.product(product_id)
            if current.get("status") != "publish":
                return [ProductRemoval(product_id=str(product_id), at=_at(current, arrived))]
            variations = await self.client.variations(product_id) if current.get("type") == "variable" else []
        except WooNotFound:
            return [ProductRemoval(product_id=str(product_id), at=arrived)]
        product = product_dict(current, variations, unmanaged_stock=self.config.unmanaged_stock)
        return [ProductUpsert(product=product, at=product["updated_at"])]

    async def subscribe_webhooks(self, url: str) -> None:
        existing = {(w.get("topic"), w.get("delivery_url")) for w in await self.client.webhooks()
                    if isinstance(w, dict) and w.get("status") == "active"}
        for topic in TOPICS:
            if (topic, url) not in existing:
                await self.client.create_webhook(f"LiveHub {self.name} {topic}", topic, url, self._secret())

    async def check(self) -> str:
        try:
            store = await self.client.store()
            return f"WooCommerce store {store.get('name') or self.config.url} ({store.get('currency')})"
        except WooError as exc:
            raise ConnectionError(str(exc)) from None
        finally:
            await self.close()


def _at(data: dict[str, Any], default: float) -> float:
    try:
        return modified_at(data)
    except ValueError:
        return default
