"""``livehub standin shopify``: a Shopify shop speaking the Admin GraphQL API, with signed webhooks.

Protocol routes: ``POST /admin/api/<version>/graphql.json`` (``X-Shopify-Access-Token``; documents validated
and executed by graphql-core, every answer with ``extensions.cost``; over budget: ``THROTTLED``; see
:mod:`connectors.shopify.standin_graphql`), and ``GET /_bulk/<id>.jsonl`` (a finished bulk operation's result,
like Shopify's signed download address). Webhooks go to the subscriptions the hub creates, REST-shaped, with
Shopify's headers (``X-Shopify-Topic``, ``-Hmac-Sha256`` signed with the app's client secret, ``-Shop-Domain``,
``-Webhook-Id``, ``-Triggered-At``, ``-API-Version``, ``-Event-Id``), timed and redelivered when the answer is
slow or fails (:mod:`hub.standin_webhooks`).

Control API (besides the shared ``/_standin/`` routes; the shop routes are :mod:`hub.standin_shop`'s): ``POST
/_standin/shop/seed {"products", "variants", "seed"}``, ``POST /_standin/shop/updates {"count", "seed",
"duplicates"}``, ``POST /_standin/shop/product/{id} {"price"|"compare_at"|"stock"|"title", "variant"?}``, ``POST
/_standin/shop/forged``, ``POST /_standin/shop/throttle {"maximum", "restore_rate"}``; ``order`` events posted to
``/_standin/events`` become orders (``orders/create`` then ``orders/paid``; ``status: "refunded"`` adds
``refunds/create``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from decimal import Decimal
from typing import Any

from aiohttp import web
from graphql import execute

from connectors.shopify.standin_api import ShopifyApi
from connectors.shopify.standin_graphql import (
    MAX_QUERY_COST,
    SCHEMA,
    Bucket,
    GraphQLProblem,
    actual_cost,
    checked,
    query_cost,
)
from connectors.shopify.standin_store import ShopifyStore, iso
from hub.events import Event, Order
from hub.standin import _json
from hub.standin_shop import ShopStandin

TOPIC_NAMES = {"products/create": "PRODUCTS_CREATE", "products/update": "PRODUCTS_UPDATE",
               "products/delete": "PRODUCTS_DELETE", "inventory_levels/update": "INVENTORY_LEVELS_UPDATE",
               "orders/create": "ORDERS_CREATE", "orders/paid": "ORDERS_PAID", "refunds/create": "REFUNDS_CREATE"}
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"


class ShopifyStandin(ShopStandin):
    system = "shopify"
    secret_env = {"access_token": "SHOPIFY_ACCESS_TOKEN", "client_secret": "SHOPIFY_CLIENT_SECRET"}

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, shop: str = "standin.myshopify.com",
                 access_token: str = "shpat_standin", client_secret: str = "shpss_standin", products: int = 20,
                 variants: int = 3, maximum: float = 1000.0, restore_rate: float = 100.0) -> None:
        super().__init__(host=host, port=port)
        self.shop, self.access_token, self.client_secret = shop, access_token, client_secret
        self.store = ShopifyStore()
        self.store.seed(int(products), int(variants))  # from ``livehub standin --set`` they are text
        self.api = ShopifyApi(self.store, lambda: self.url)
        self.bucket = Bucket(float(maximum), float(restore_rate))
        self.auth_failures = 0
        self.api_version = ""

    def connector_settings(self) -> dict[str, Any]:
        return {"shop": self.shop, "api_base": self.url, "access_token": self.access_token,
                "client_secret": self.client_secret}

    def notes(self) -> list[str]:
        return [f"a Shopify shop of {len(self.store.products)} products; cost bucket {self.bucket.maximum:g} "
                f"points, {self.bucket.restore_rate:g}/s"]

    def state(self) -> dict[str, Any]:
        return {**super().state(), "products": sum(p["status"] == "ACTIVE" for p in self.store.products.values()),
                "subscriptions": len(self.api.subscriptions), "bulk_operations": self.api.bulk_runs,
                "throttled": self.bucket.throttled, "auth_failures": self.auth_failures, **self.sender.state()}

    # -- routes ---------------------------------------------------------------------------------

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        super().setup_routes(router)
        router.add_post("/admin/api/{version}/graphql.json", self._graphql)
        router.add_get("/_bulk/{name}", self._bulk_file)
        router.add_post("/_standin/shop/throttle", self._throttle)

    async def _graphql(self, request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get("X-Shopify-Access-Token", ""), self.access_token):
            self.auth_failures += 1
            return _json({"errors": INVALID_TOKEN}, status=401)
        if self.take_rate_limit():
            return _json({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume "
                                    "uninterrupted service."}, status=429, headers={"Retry-After": "1.0"})
        self.api_version = request.match_info["version"]
        try:
            body = json.loads(await request.read())
            document, variables = body["query"], body.get("variables") or {}
            tree = checked(document)
        except (ValueError, KeyError, TypeError) as exc:
            return _json({"errors": [{"message": f"Parse error: {exc}"}]}, status=400)
        except GraphQLProblem as exc:
            return _json({"errors": [{"message": str(exc), "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]})
        cost, mutation = query_cost(tree, variables)
        if cost > MAX_QUERY_COST:
            return _json({"errors": [{"message": f"Query cost is {cost}, which exceeds the single query max cost "
                                                 f"limit ({MAX_QUERY_COST}).", "extensions": {
                                                     "code": "MAX_COST_EXCEEDED", "cost": cost,
                                                     "maxCost": MAX_QUERY_COST}}]})
        if not self.bucket.take(cost):
            throttled = {"message": "Throttled", "extensions": {
                "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}
            return _json({"errors": [throttled], "extensions": {"cost": self._cost(cost, 0)}})
        result = execute(SCHEMA, tree, root_value=self.api.root(), variable_values=variables)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [{"message": e.message, "path": e.path} for e in result.errors]
        actual = min(cost, actual_cost(result.data or {}) - 1) if not mutation else cost  # the root is no object
        self.bucket.refund(cost - actual)
        answer["extensions"] = {"cost": self._cost(cost, actual)}
        self.record("api", call="graphql", cost=cost)
        return _json(answer)

    def _cost(self, requested: int, actual: int) -> dict[str, Any]:
        return {"requestedQueryCost": requested, "actualQueryCost": actual if actual else None,
                "throttleStatus": self.bucket.status()}

    async def _bulk_file(self, request: web.Request) -> web.Response:
        data = self.api.bulk_files.get(request.match_info["name"].removesuffix(".jsonl"))
        if data is None:
            return web.Response(status=404, text="NoSuchKey")
        return web.Response(body=data, content_type="application/jsonl")

    # -- webhooks -------------------------------------------------------------------------------

    def deliveries(self, topic: str, data: dict[str, Any], *, secret: str | None = None
                   ) -> list[tuple[str, dict[str, str], bytes]]:
        wanted = TOPIC_NAMES[topic]
        out = []
        for subscription in self.api.subscriptions:
            if subscription["topic"] != wanted:
                continue
            item = data if "livehub" in subscription["namespaces"] else {k: v for k, v in data.items()
                                                                        if k != "metafields"}
            body = json.dumps(item).encode()
            key = (secret if secret is not None else self.client_secret).encode()
            out.append((subscription["url"], {
                "Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": self.shop,
                "X-Shopify-Hmac-Sha256": base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode(),
                "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-Event-Id": str(uuid.uuid4()),
                "X-Shopify-Triggered-At": iso(self.store.clock), "X-Shopify-API-Version": self.api_version or
                "2025-01"}, body))
        return out

    def forged(self) -> tuple[str, dict[str, Any]]:
        product = self.store.rest_product(next(iter(self.store.products.values())))
        return "products/update", {**product, "title": "FORGED"}

    # -- control --------------------------------------------------------------------------------

    async def _throttle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.bucket = Bucket(float(body.get("maximum", self.bucket.maximum)),
                             float(body.get("restore_rate", self.bucket.restore_rate)))
        return _json(self.bucket.status())

    async def deliver(self, event: Event) -> Any:
        if not isinstance(event, Order):
            raise ValueError("the Shopify stand-in takes order events only (an order in the shop)")
        order = self._order(event)
        statuses = await self.send("orders/create", order)
        statuses += await self.send("orders/paid", order)
        if event.status == "refunded":
            refund = {"id": self.store.new_id(), "order_id": order["id"], "created_at": iso(self.store.tick()),
                      "transactions": [{"currency": self.store.currency, "amount": order["total_price"]}],
                      "refund_line_items": [{"quantity": line["quantity"], "line_item": line,
                                             "subtotal": line["price"]} for line in order["line_items"]]}
            statuses += await self.send("refunds/create", refund)
        return {"order_id": order["id"], "statuses": statuses}

    def _order(self, event: Order) -> dict[str, Any]:
        found = next(((p, v) for p in self.store.products.values() for v in p["variants"] if v["sku"] == event.sku),
                     None)
        if found is None:
            raise ValueError(f"no variant with sku {event.sku!r}")
        product, variant = found
        oid = self.store.new_id()
        total = f"{Decimal(variant['price']) * event.qty:.2f}"
        viewer = event.user.id if event.user is not None and ":" in event.user.id else None
        order = {"id": oid, "name": f"#{oid}", "email": "buyer@example.com", "currency": self.store.currency,
                 "created_at": iso(self.store.tick()), "financial_status": "paid", "total_price": total,
                 "customer": {"id": self.store.new_id(), "first_name": event.user.name if event.user else ""},
                 "line_items": [{"id": self.store.new_id(), "product_id": product["id"], "variant_id": variant["id"],
                                 "sku": variant["sku"], "quantity": event.qty, "price": variant["price"],
                                 "title": product["title"]}],
                 "note_attributes": [{"name": "livehub_viewer", "value": viewer}] if viewer else []}
        self.store.orders[oid] = order
        return order
