"""WooCommerce REST API v3: authentication, pagination and the calls the connector makes (wire protocol only).

Nothing here knows the hub: :class:`WooClient` speaks HTTP to ``{url}/wp-json/wc/v3/`` and returns the shop's
JSON. Authentication follows WooCommerce's rules: over HTTPS the consumer key and secret go in HTTP Basic auth
(or as ``consumer_key``/``consumer_secret`` query parameters for servers that strip the Authorization header);
over plain HTTP, WooCommerce takes only OAuth 1.0a "one-legged" requests, signed here with HMAC-SHA256
(:func:`oauth1_signature`, RFC 5849 §3.4 with the key ``consumer_secret&``). Lists are paged with ``page`` and
``per_page`` (≤ 100); ``X-WP-TotalPages`` says how many pages there are.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp

__all__ = ["WooClient", "WooAuthError", "WooError", "oauth1_signature", "oauth1_params"]

API_PATH = "/wp-json/wc/v3/"


class WooError(Exception):
    """A request the shop did not answer well (5xx, 429, a connection error, unreadable JSON)."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


class WooAuthError(WooError):
    """The shop refused the keys (401/403): wrong key, wrong signature, or keys without read access."""


class WooNotFound(WooError):
    """404: the resource is gone (a product deleted for good)."""


def _enc(value: str) -> str:
    return quote(value, safe="-._~")


def oauth1_signature(method: str, url: str, params: Mapping[str, str], consumer_secret: str,
                     algorithm: str = "HMAC-SHA256") -> str:
    """The OAuth 1.0a signature of a request: HMAC over ``METHOD&base-url&sorted-params`` (RFC 5849)."""
    parts = urlsplit(url)
    base_url = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", ""))
    pairs = sorted((_enc(k), _enc(v)) for k, v in params.items() if k != "oauth_signature")
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    base = "&".join((method.upper(), _enc(base_url), _enc(normalized)))
    digest = hashlib.sha256 if algorithm == "HMAC-SHA256" else hashlib.sha1
    mac = hmac.new(f"{_enc(consumer_secret)}&".encode(), base.encode(), digest).digest()
    return base64.b64encode(mac).decode()


def oauth1_params(method: str, url: str, params: Mapping[str, str], consumer_key: str, consumer_secret: str, *,
                  nonce: str | None = None, timestamp: int | None = None) -> dict[str, str]:
    """``params`` plus the OAuth 1.0a parameters WooCommerce checks, signature included."""
    signed = {**params, "oauth_consumer_key": consumer_key, "oauth_nonce": nonce or secrets.token_hex(16),
              "oauth_signature_method": "HMAC-SHA256", "oauth_timestamp": str(timestamp or int(time.time()))}
    signed["oauth_signature"] = oauth1_signature(method, url, signed, consumer_secret)
    return signed


class WooClient:
    """A small async client of one store's REST API v3."""

    def __init__(self, url: str, consumer_key: str, consumer_secret: str, *, per_page: int = 100,
                 query_string_auth: bool = False, verify_tls: bool = True, concurrency: int = 8,
                 timeout_s: float = 30.0) -> None:
        self.base = url.rstrip("/") + API_PATH
        self.root = url.rstrip("/") + "/wp-json/"
        self.key, self.secret = consumer_key, consumer_secret
        self.per_page = max(1, min(100, per_page))
        self.https = url.lower().startswith("https://")
        self.query_string_auth = query_string_auth
        self.verify_tls = verify_tls
        self.limit = asyncio.Semaphore(max(1, concurrency))
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.requests = 0
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=32, ssl=None if self.verify_tls else False)
            self._session = aiohttp.ClientSession(timeout=self.timeout, connector=connector)
        return self._session

    def _auth(self, method: str, url: str, params: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        if not self.https:
            return oauth1_params(method, url, params, self.key, self.secret), {}
        if self.query_string_auth:
            return {**params, "consumer_key": self.key, "consumer_secret": self.secret}, {}
        token = base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
        return params, {"Authorization": f"Basic {token}"}

    async def call(self, method: str, path: str, params: Mapping[str, Any] | None = None,
                   body: Any = None, *, root: bool = False) -> tuple[Any, Mapping[str, str]]:
        """One request; returns the JSON answer and the response headers."""
        url = (self.root if root else self.base) + path.lstrip("/")
        query = {k: str(v) for k, v in (params or {}).items()}
        query, headers = self._auth(method, url, query)
        self.requests += 1
        try:
            async with self.limit, self._http().request(method, url, params=query, json=body,
                                                        headers=headers) as resp:
                text = await resp.text()
                status, answer_headers = resp.status, resp.headers
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise WooError(f"{method} {path}: {type(exc).__name__}: {exc}") from None
        data = _json(text)
        if status in (401, 403):
            raise WooAuthError(f"{method} {path}: {status} {_message(data, text)}", status=status)
        if status == 404:
            raise WooNotFound(f"{method} {path}: 404 {_message(data, text)}", status=status)
        if status >= 400:
            raise WooError(f"{method} {path}: {status} {_message(data, text)}", status=status,
                           retry_after=_seconds(answer_headers.get("Retry-After")))
        if data is None and text.strip():
            raise WooError(f"{method} {path}: the answer is not JSON ({text[:80]!r})", status=status)
        return data, answer_headers

    async def pages(self, path: str, params: Mapping[str, Any] | None = None) -> AsyncIterator[list[Any]]:
        """Every page of a list, in order (page 1 says how many there are; the rest are fetched together)."""
        query = {**(params or {}), "per_page": self.per_page, "page": 1}
        first, headers = await self.call("GET", path, query)
        yield _list(first, path)
        total = _int(headers.get("X-WP-TotalPages"), 1)
        for start in range(2, total + 1, 8):
            batch = range(start, min(total, start + 7) + 1)
            answers = await asyncio.gather(*(self.call("GET", path, {**query, "page": n}) for n in batch))
            for data, _ in answers:
                yield _list(data, path)

    async def store(self) -> dict[str, Any]:
        """The site's name (``/wp-json/``) and the store's currency."""
        site, _ = await self.call("GET", "", root=True)
        currency, _ = await self.call("GET", "data/currencies/current")
        return {"name": (site or {}).get("name", "") if isinstance(site, dict) else "",
                "currency": (currency or {}).get("code") if isinstance(currency, dict) else None}

    async def products(self) -> AsyncIterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """Every published product with its variations (for variable products; fetched concurrently)."""
        async for page in self.pages("products", {"status": "publish"}):
            wanted = [p for p in page if isinstance(p, dict) and p.get("type") == "variable"]
            found = await asyncio.gather(*(self.variations(p["id"]) for p in wanted))
            by_id = {p["id"]: v for p, v in zip(wanted, found, strict=True)}
            for product in page:
                if isinstance(product, dict):
                    yield product, by_id.get(product.get("id"), [])

    async def product(self, product_id: int | str) -> dict[str, Any]:
        data, _ = await self.call("GET", f"products/{product_id}")
        if not isinstance(data, dict):
            raise WooError(f"products/{product_id}: not an object")
        return data

    async def variations(self, product_id: int | str) -> list[dict[str, Any]]:
        return [v async for page in self.pages(f"products/{product_id}/variations") for v in page]

    async def webhooks(self) -> list[dict[str, Any]]:
        return [w async for page in self.pages("webhooks") for w in page]

    async def create_webhook(self, name: str, topic: str, delivery_url: str, secret: str) -> dict[str, Any]:
        data, _ = await self.call("POST", "webhooks", body={"name": name, "topic": topic, "status": "active",
                                                            "delivery_url": delivery_url, "secret": secret})
        return data


def _json(text: str) -> Any:
    import json

    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return None


def _message(data: Any, text: str) -> str:
    if isinstance(data, dict):
        return f"{data.get('code', '')}: {data.get('message', '')}".strip(": ")
    return text[:120]


def _list(data: Any, path: str) -> list[Any]:
    if not isinstance(data, list):
        raise WooError(f"GET {path}: expected a list, got {type(data).__name__}")
    return data


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, int(value)) if value is not None else default
    except ValueError:
        return default


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
