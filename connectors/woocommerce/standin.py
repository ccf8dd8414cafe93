"""``livehub standin woocommerce``: a WooCommerce store speaking REST API v3, with signed webhooks.

Protocol routes (WooCommerce's shapes, checked against ../shared/protocol-samples/woocommerce):

* ``GET /wp-json/`` (the site's name), ``GET /wp-json/wc/v3/data/currencies/current``;
* ``GET /wp-json/wc/v3/products`` (``page``, ``per_page`` ≤ 100, ``status``, ``sku``; headers ``X-WP-Total``,
  ``X-WP-TotalPages``, ``Link``), ``GET .../products/{id}``, ``GET .../products/{id}/variations``;
* ``GET``/``POST /wp-json/wc/v3/webhooks`` (a new webhook gets the creation ping).

Authentication as WooCommerce does it: over HTTPS (start it with an ``ssl_context``) HTTP Basic or the keys as
query parameters; over plain HTTP only OAuth 1.0a (signature checked, timestamp within 15 minutes, a nonce used
once). Refusals answer 401 with WooCommerce's error JSON.

Control API (besides the shared ``/_standin/`` routes; the shop routes are :mod:`hub.standin_shop`'s): ``POST
/_standin/shop/seed {"products", "variants", "seed"}``, ``POST /_standin/shop/updates {"count", "seed",
"duplicates"}`` (random changes, each sent as a webhook, shuffled, plus redeliveries), ``POST
/_standin/shop/product/{id} {"price"|"sale_price"|"stock"|"name", "variant"?}``, ``POST /_standin/shop/forged`` (a
webhook signed with the wrong secret); ``order`` events posted to ``/_standin/events`` become orders and their
``order.created`` webhooks (a user id ``"<platform>:<id>"`` is stored as the order's ``livehub_viewer``, as a checkout
link the host gave that viewer would).
"""

from __future__ import annotations

import base64
import hmac
import time
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from connectors.woocommerce.client import oauth1_signature
from connectors.woocommerce.standin_shop import WooStore
from connectors.woocommerce.standin_webhooks import Hook, WooWebhooks
from hub.events import Event, Order
from hub.standin import _json
from hub.standin_shop import ShopStandin

API = "/wp-json/wc/v3"
TIMESTAMP_WINDOW_S = 15 * 60


def _woo_error(status: int, code: str, message: str) -> web.Response:
    return _json({"code": code, "message": message, "data": {"status": status}}, status=status)


class WooCommerceStandin(ShopStandin):
    system = "woocommerce"
    secret_env = {"consumer_key": "WC_CONSUMER_KEY", "consumer_secret": "WC_CONSUMER_SECRET"}

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, ssl_context: Any = None,
                 consumer_key: str = "ck_standin", consumer_secret: str = "cs_standin", products: int = 20,
                 variants: int = 3) -> None:
        super().__init__(host=host, port=port, ssl_context=ssl_context)
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.store = WooStore()
        self.store.seed(int(products), int(variants))  # from ``livehub standin --set`` they are text
        self.webhooks = WooWebhooks()
        self._nonces: set[tuple[str, str]] = set()
        self.auth_failures = 0

    def connector_settings(self) -> dict[str, Any]:
        return {"url": self.url, "consumer_key": self.consumer_key, "consumer_secret": self.consumer_secret,
                **({"verify_tls": False} if self.ssl_context is not None else {})}

    def notes(self) -> list[str]:
        return [f"a WooCommerce store of {len(self.store.products)} products; webhooks go to what the hub "
                "subscribes (POST /_standin/shop/updates sends changes)"]

    def state(self) -> dict[str, Any]:
        published = sum(p["status"] == "publish" for p in self.store.products.values())
        return {**super().state(), "products": published, "orders": len(self.store.orders),
                "auth_failures": self.auth_failures, "hooks": len(self.webhooks.hooks), **self.sender.state()}

    def hub_products(self, unmanaged_stock: int = 100) -> list[dict[str, Any]]:
        return self.store.hub_products(unmanaged_stock)

    # -- routes ---------------------------------------------------------------------------------

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        super().setup_routes(router)
        router.add_get("/wp-json/", self._site)
        router.add_get(API + "/data/currencies/current", self._currency)
        router.add_get(API + "/products", self._products)
        router.add_get(API + "/products/{id}", self._product)
        router.add_get(API + "/products/{id}/variations", self._variations)
        router.add_get(API + "/webhooks", self._webhooks)
        router.add_post(API + "/webhooks", self._create_webhook)

    def _refused(self, request: web.Request) -> web.Response | None:
        """None when the request is authenticated the way WooCommerce takes it, else its 401."""
        query = request.query
        if request.secure:
            header = request.headers.get("Authorization", "")
            if header.startswith("Basic "):
                try:
                    key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
                except ValueError:
                    key = secret = ""
            else:
                key, secret = query.get("consumer_key", ""), query.get("consumer_secret", "")
            if (key, secret) == (self.consumer_key, self.consumer_secret):
                return None
            self.auth_failures += 1
            return _woo_error(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
        if "oauth_signature" not in query:
            self.auth_failures += 1
            return _woo_error(401, "woocommerce_rest_authentication_error",
                              "Consumer key is missing." if "Authorization" not in request.headers else
                              "Basic authentication is only accepted over HTTPS.")
        problem = self._oauth_problem(request)
        if problem is None:
            return None
        self.auth_failures += 1
        return _woo_error(401, "woocommerce_rest_authentication_error", problem)

    def _oauth_problem(self, request: web.Request) -> str | None:
        query = dict(request.query)
        if query.get("oauth_consumer_key") != self.consumer_key:
            return "Consumer key is invalid."
        method = query.get("oauth_signature_method", "")
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            return "Invalid signature method - provided signature method does not match."
        try:
            stamp = int(query.get("oauth_timestamp", ""))
        except ValueError:
            return "Invalid timestamp."
        if abs(time.time() - stamp) > TIMESTAMP_WINDOW_S:
            return "Invalid timestamp."
        nonce = query.get("oauth_nonce", "")
        if not nonce or (nonce, str(stamp)) in self._nonces:
            return "Invalid nonce - nonce has already been used."
        parts = urlsplit(str(request.url))
        url = f"{parts.scheme}://{request.host}{parts.path}"
        wanted = oauth1_signature(request.method, url, query, self.consumer_secret, method)
        if not hmac.compare_digest(wanted, query.get("oauth_signature", "")):
            return "Invalid signature - provided signature does not match."
        self._nonces.add((nonce, str(stamp)))
        return None

    def _page(self, request: web.Request, items: list[Any], path: str) -> web.Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        try:
            page = int(request.query.get("page", "1"))
            per_page = int(request.query.get("per_page", "10"))
        except ValueError:
            return _woo_error(400, "rest_invalid_param", "Invalid parameter(s): page")
        if not 1 <= per_page <= 100:
            return _woo_error(400, "rest_invalid_param", "Invalid parameter(s): per_page")
        pages = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page: page * per_page]
        links = []
        base = f"{self.url}{path}?per_page={per_page}"
        if page > 1:
            links.append(f'<{base}&page={page - 1}>; rel="prev"')
        if page < pages:
            links.append(f'<{base}&page={page + 1}>; rel="next"')
        headers = {"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages)}
        if links:
            headers["Link"] = ", ".join(links)
        return _json(chunk, headers=headers)

    async def _site(self, request: web.Request) -> web.Response:
        return _json({"name": self.store.name, "description": "", "url": self.url, "namespaces": ["wc/v3"]})

    async def _currency(self, request: web.Request) -> web.Response:
        return self._refused(request) or _json({"code": self.store.currency, "name": "United States (US) dollar",
                                                "symbol": "&#36;"})

    async def _products(self, request: web.Request) -> web.Response:
        status, sku = request.query.get("status", "any"), request.query.get("sku")
        items = [p for _, p in sorted(self.store.products.items())
                 if (status == "any" and p["status"] != "trash" or p["status"] == status)
                 and (sku is None or p["sku"] == sku)]
        return self._page(request, items, API + "/products")

    async def _product(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        pid = _int(request.match_info["id"])
        if pid in self.store.products:
            return _json(self.store.products[pid])
        variation = next((v for rows in self.store.variations.values() for v in rows if v["id"] == pid), None)
        if variation is not None:
            return _json(variation)
        return _woo_error(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")

    async def _variations(self, request: web.Request) -> web.Response:
        pid = _int(request.match_info["id"])
        if pid not in self.store.products:
            return self._refused(request) or _woo_error(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return self._page(request, self.store.variations.get(pid, []), f"{API}/products/{pid}/variations")

    async def _webhooks(self, request: web.Request) -> web.Response:
        return self._page(request, [h.as_json() for h in self.webhooks.hooks], API + "/webhooks")

    async def _create_webhook(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        body = await request.json()
        if not isinstance(body, dict) or not body.get("topic") or not body.get("delivery_url"):
            return _woo_error(400, "rest_missing_callback_param", "Missing parameter(s): topic, delivery_url")
        hook = Hook(self.store.new_id(), str(body.get("name", "")), body["topic"], body["delivery_url"],
                    str(body.get("secret") or self.consumer_secret), str(body.get("status", "active")))
        self.webhooks.hooks.append(hook)
        self.record("api", call="create_webhook", topic=hook.topic, delivery_url=hook.delivery_url)
        await self.webhooks.ping(hook, self.sender)
        return _json(hook.as_json(), status=201)

    # -- control --------------------------------------------------------------------------------

    def deliveries(self, topic: str, data: dict[str, Any], *, secret: str | None = None
                   ) -> list[tuple[str, dict[str, str], bytes]]:
        return self.webhooks.deliveries(topic, data, secret=secret)

    def forged(self) -> tuple[str, dict[str, Any]]:
        product = next(iter(self.store.products.values()))
        return "product.updated", {**product, "name": "FORGED", "regular_price": "0.01"}

    async def deliver(self, event: Event) -> Any:
        if not isinstance(event, Order):
            raise ValueError("the WooCommerce stand-in takes order events only (an order in the store)")
        # A user id written "<platform>:<id>" (e.g. "douyin:v7") is the live viewer the checkout link was for.
        viewer = event.user.id if event.user is not None and ":" in event.user.id else None
        order = self.store.place_order(event.sku, event.qty, buyer=event.user.name if event.user else "",
                                       viewer=viewer, status="refunded" if event.status == "refunded" else
                                       "processing")
        statuses = await self.send("order.created", order)
        return {"order_id": order["id"], "statuses": statuses}


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1
