"""The Shopify shop (``type = "shopify"``): Admin GraphQL for the catalog, webhooks for live changes.

A full sync counts the active products; up to ``bulk_threshold`` it pages through them (``products(first:,
after:)``), beyond it runs a bulk operation and reads its JSONL. Every query goes through the client's model of
Shopify's cost bucket (:mod:`connectors.shopify.client`). After the first sync the connector subscribes the
hub's webhook address to the topics of :data:`connectors.shopify.queries.TOPICS` (with the ``livehub``
metafield namespace, so product bodies carry the link number), keeping subscriptions already there.

A delivery is accepted only if ``X-Shopify-Hmac-Sha256`` is base64(HMAC-SHA256(client secret, raw body)) and
``X-Shopify-Shop-Domain`` is this shop, checked before the body is read; ``X-Shopify-Webhook-Id`` de-duplicates
redeliveries. ``inventory_levels/update`` says the stock at one location: the connector reads the variant's total
over GraphQL. A product body without stock fields is completed the same way. The rest (queue, reconcile,
retries, stored catalog) is :class:`hub.shop.CatalogConnector`'s.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from pydantic import Field

from connectors.shopify import queries
from connectors.shopify.client import ShopifyAuthError, ShopifyClient, ShopifyError
from connectors.shopify.mapping import (
    bulk_products,
    gid_number,
    graphql_product,
    is_active,
    order_change,
    parse_time,
    refund_change,
    rest_product,
)
from hub.secrets import Secret
from hub.shop import (
    CatalogConnector,
    Change,
    ProductProblem,
    ProductRemoval,
    ProductUpsert,
    ShopSettings,
    StockLevel,
    WebhookDelivery,
    WebhookRefused,
)
from hub.shop_webhooks import header, hmac_sha256_matches


class ShopifySettings(ShopSettings):
    shop: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]*$", description="the shop's myshopify domain "
                                                                        "(acme.myshopify.com)")
    api_base: str = Field("", description="the Admin API's address (default: https://<shop>)")
    api_version: str = Field("2025-01", pattern=r"^\d{4}-\d{2}$|^unstable$", description="Admin API version")
    access_token: Secret = Field(description="the app's Admin API access token (read_products, read_inventory, "
                                             "read_orders)")
    client_secret: Secret = Field(description="the app's client secret: webhooks are signed with it")
    bulk_threshold: int = Field(2000, ge=0, description="above this many products a full sync is a bulk operation")
    page_size: int = Field(8, ge=1, le=250, description="products per page (a page of 8 with 50 variants each "
                                                        "asks ~900 of the 1,000 cost points a query may ask)")
    timeout_s: float = Field(30.0, gt=0, le=300, description="HTTP timeout per request")


class ShopifyConnector(CatalogConnector):
    """One Shopify shop (see the module docstring)."""

    config: ShopifySettings
    auth_errors = (ShopifyAuthError,)

    def __init__(self, name: str, config: ShopifySettings, hub: Any) -> None:
        super().__init__(name, config, hub)
        self._client: ShopifyClient | None = None
        self.last_sync_mode = ""  # "pages" or "bulk"

    @property
    def client(self) -> ShopifyClient:
        if self._client is None:
            c = self.config
            self._client = ShopifyClient(c.api_base or f"https://{c.shop}", c.api_version, c.access_token.get(),
                                         timeout_s=c.timeout_s)
        return self._client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    # -- the catalog -------------------------------------------------------------------------------

    async def fetch_shop(self) -> dict[str, Any]:
        data = await self.client.query(queries.SHOP)
        shop = data.get("shop") or {}
        return {"name": shop.get("name", ""), "currency": shop.get("currencyCode")}

    async def fetch_products(self) -> AsyncIterator[dict[str, Any] | ProductProblem]:
        counted = await self.client.query(queries.PRODUCTS_COUNT)
        count = int(((counted.get("productsCount") or {}).get("count")) or 0)
        if count > self.config.bulk_threshold:
            self.last_sync_mode = "bulk"
            for item in bulk_products(await self.client.bulk(queries.BULK_PRODUCTS)):
                yield item if isinstance(item, dict) else ProductProblem(item[0], "product", item[1])
            return
        self.last_sync_mode = "pages"
        async for page in self.client.pages(queries.PRODUCTS_PAGE, "products", {"first": self.config.page_size}):
            for node in page:
                yield self._mapped(node)

    @staticmethod
    def _mapped(node: dict[str, Any]) -> dict[str, Any] | ProductProblem:
        try:
            return graphql_product(node)
        except ValueError as exc:
            return ProductProblem(str(node.get("id", "?")).rsplit("/", 1)[-1], "product", str(exc))

    # -- webhooks ----------------------------------------------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookDelivery | None:
        given = header(headers, "X-Shopify-Hmac-Sha256")
        if not given:
            raise WebhookRefused("no X-Shopify-Hmac-Sha256")
        if not hmac_sha256_matches(self.config.client_secret.get(), body, given):
            raise WebhookRefused("X-Shopify-Hmac-Sha256 does not match the body")
        domain = header(headers, "X-Shopify-Shop-Domain")
        if domain.lower() != self.config.shop.lower():
            raise WebhookRefused(f"X-Shopify-Shop-Domain {domain[:80]!r} is not {self.config.shop}")
        try:
            at = parse_time(header(headers, "X-Shopify-Triggered-At"))
        except ValueError:
            at = time.time()
        delivery = header(headers, "X-Shopify-Webhook-Id") or hashlib.sha256(body).hexdigest()
        return WebhookDelivery(id=delivery, topic=header(headers, "X-Shopify-Topic"), at=at, body=body)

    async def webhook_changes(self, delivery: WebhookDelivery) -> list[Change]:
        try:
            data = json.loads(delivery.body)
        except ValueError:
            raise ValueError(f"{delivery.topic}: the body is not JSON") from None
        if not isinstance(data, dict):
            raise ValueError(f"{delivery.topic}: the body is not an object")
        topic = delivery.topic
        if topic in ("products/create", "products/update"):
            pid = gid_number(data.get("id"))
            if not is_active(data.get("status", "active")):
                return [ProductRemoval(product_id=pid, at=parse_time(data.get("updated_at")))]
            product = rest_product(data)
            if product is None:  # the body lacks stock: read the product as the shop holds it now
                return await self._product_now(pid, delivery.at)
            return [ProductUpsert(product=product, at=product["updated_at"])]
        if topic == "products/delete":
            return [ProductRemoval(product_id=gid_number(data.get("id")), at=delivery.at)]
        if topic == "inventory_levels/update":
            return await self._stock_now(data)
        if topic == "orders/create":
            return [order_change(data, "placed", delivery.at)]
        if topic == "orders/paid":
            return [order_change(data, "paid", delivery.at)]
        if topic == "refunds/create":
            currency = next((t.get("currency") for t in data.get("transactions") or [] if isinstance(t, dict)
                             and t.get("currency")), None) or (self.catalog.shop.currency if self.catalog else "")
            return [refund_change(data, str(currency).upper(), delivery.at)]
        return []

    async def _product_now(self, pid: str, at: float) -> list[Change]:
        data = await self.client.query(queries.PRODUCT_BY_ID, {"id": f"gid://shopify/Product/{pid}"})
        node = data.get("product")
        if not isinstance(node, dict) or not is_active(node.get("status")):
            return [ProductRemoval(product_id=pid, at=at)]
        product = graphql_product(node)
        return [ProductUpsert(product=product, at=product["updated_at"])]

    async def _stock_now(self, level: dict[str, Any]) -> list[Change]:
        """The inventory item's total over every location (the webhook gives one location's)."""
        item = gid_number(level.get("inventory_item_id"))
        at = parse_time(level.get("updated_at"))
        data = await self.client.query(queries.INVENTORY_ITEM, {"id": f"gid://shopify/InventoryItem/{item}"})
        variant = ((data.get("inventoryItem") or {}).get("variant") or {})
        if variant.get("inventoryQuantity") is None:
            return []
        return [StockLevel(stock_id=item, stock=max(0, int(variant["inventoryQuantity"])), at=at)]

    async def subscribe_webhooks(self, url: str) -> None:
        data = await self.client.query(queries.WEBHOOK_SUBSCRIPTIONS)
        edges = ((data.get("webhookSubscriptions") or {}).get("edges")) or []
        existing = {(e["node"].get("topic"), (e["node"].get("endpoint") or {}).get("callbackUrl"))
                    for e in edges if isinstance(e, dict) and isinstance(e.get("node"), dict)}
        for topic in queries.TOPICS:
            if (topic, url) in existing:
                continue
            answer = await self.client.query(queries.WEBHOOK_CREATE, {"topic": topic, "url": url})
            errors = (answer.get("webhookSubscriptionCreate") or {}).get("userErrors")
            if errors:
                raise ShopifyError(f"subscribing {topic}: {errors}")

    async def check(self) -> str:
        try:
            shop = await self.fetch_shop()
            return f"Shopify shop {shop.get('name') or self.config.shop} ({shop.get('currency')})"
        except ShopifyError as exc:
            raise ConnectionError(str(exc)) from None
        finally:
            await self.close()
