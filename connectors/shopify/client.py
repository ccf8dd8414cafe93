"""Shopify's Admin GraphQL API: queries, the cost-based rate limit, bulk operations (wire protocol only).

Nothing here knows the hub. :class:`ShopifyClient` posts ``{"query", "variables"}`` to
``{api_base}/admin/api/{version}/graphql.json`` with ``X-Shopify-Access-Token``. Shopify limits a shop's API
use with a leaky bucket of *cost points*: every answer says in ``extensions.cost`` what the query was expected
to cost (``requestedQueryCost``), what it cost (``actualQueryCost``) and the bucket (``throttleStatus``:
``maximumAvailable``, ``currentlyAvailable``, ``restoreRate`` per second). The client keeps that bucket's model
and, before each query, waits until the points it expects to spend (what that query asked last time) have
leaked back — it slows down before Shopify says ``THROTTLED``. When Shopify does (HTTP 200,
``errors[].extensions.code == "THROTTLED"``), it waits for the deficit to refill, with jitter, and asks again.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

__all__ = ["ShopifyClient", "ShopifyError", "ShopifyAuthError", "CostBucket"]

MAX_THROTTLED_RETRIES = 20

BULK_RUN = """
mutation LiveHubBulkProducts($query: String!) {
  bulkOperationRunQuery(query: $query) { bulkOperation { id status } userErrors { field message } }
}
"""

BULK_STATUS = """
query LiveHubBulkStatus { currentBulkOperation(type: QUERY) { id status errorCode objectCount url } }
"""


class ShopifyError(Exception):
    """Shopify answered with an error (GraphQL ``errors``, HTTP 5xx/429) or could not be reached."""


class ShopifyAuthError(ShopifyError):
    """The access token was refused (401/403)."""


class CostBucket:
    """The client's model of the shop's leaky bucket (points restore at ``rate`` per second)."""

    def __init__(self, maximum: float = 1000.0, rate: float = 100.0) -> None:
        self.maximum, self.rate = maximum, rate
        self.available = maximum
        self.at = time.monotonic()
        self.waited_s = 0.0
        self.throttled = 0

    def now(self) -> float:
        return min(self.maximum, self.available + (time.monotonic() - self.at) * self.rate)

    def update(self, status: dict[str, Any]) -> None:
        try:
            self.maximum = float(status["maximumAvailable"])
            self.available = float(status["currentlyAvailable"])
            self.rate = max(1.0, float(status["restoreRate"]))
        except (KeyError, TypeError, ValueError):
            return
        self.at = time.monotonic()

    def wait_for(self, cost: float) -> float:
        """Seconds until ``cost`` points are available (0: now)."""
        missing = min(cost, self.maximum) - self.now()
        return max(0.0, missing / self.rate)

    async def take(self, cost: float) -> None:
        delay = self.wait_for(cost)
        if delay > 0:
            self.waited_s += delay
            await asyncio.sleep(delay)
        self.available, self.at = self.now() - cost, time.monotonic()


class ShopifyClient:
    """A small async Admin GraphQL client of one shop."""

    def __init__(self, api_base: str, version: str, token: str, *, timeout_s: float = 30.0) -> None:
        self.url = f"{api_base.rstrip('/')}/admin/api/{version}/graphql.json"
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.bucket = CostBucket()
        self.requests = 0
        self._costs: dict[str, float] = {}  # the last requested cost of each document
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def query(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run ``document``; returns its ``data``. Throttling is waited out; other errors raise."""
        for _ in range(MAX_THROTTLED_RETRIES):
            await self.bucket.take(self._costs.get(document, 10.0))
            answer = await self._post({"query": document, "variables": variables or {}})
            cost = (answer.get("extensions") or {}).get("cost") or {}
            if isinstance(cost.get("requestedQueryCost"), (int, float)):
                self._costs[document] = float(cost["requestedQueryCost"])
            self.bucket.update(cost.get("throttleStatus") or {})
            errors = answer.get("errors")
            if errors:
                codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
                if "THROTTLED" in codes:
                    self.bucket.throttled += 1
                    wanted = self._costs.get(document, 10.0)
                    await asyncio.sleep(self.bucket.wait_for(wanted) * random.uniform(1.0, 1.2) + 0.05)
                    continue
                if "ACCESS_DENIED" in codes:
                    raise ShopifyAuthError(_messages(errors))
                raise ShopifyError(_messages(errors))
            data = answer.get("data")
            if not isinstance(data, dict):
                raise ShopifyError("the answer has no data")
            return data
        raise ShopifyError(f"still throttled after {MAX_THROTTLED_RETRIES} tries")

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        self.requests += 1
        headers = {"X-Shopify-Access-Token": self.token, "Content-Type": "application/json",
                   "Accept": "application/json"}
        try:
            async with self._http().post(self.url, json=body, headers=headers) as resp:
                text = await resp.text()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ShopifyError(f"{type(exc).__name__}: {exc}") from None
        if status in (401, 403):
            raise ShopifyAuthError(f"{status}: {_short(text)}")
        if status >= 400:
            raise ShopifyError(f"HTTP {status}: {_short(text)}")
        try:
            answer = json.loads(text)
        except ValueError:
            raise ShopifyError(f"the answer is not JSON: {_short(text)}") from None
        if not isinstance(answer, dict):
            raise ShopifyError("the answer is not a JSON object")
        return answer

    async def pages(self, document: str, path: str, variables: dict[str, Any] | None = None
                    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The nodes of connection ``path`` (e.g. ``"products"``), page by page (``after: $cursor``)."""
        cursor: str | None = None
        while True:
            data = await self.query(document, {**(variables or {}), "cursor": cursor})
            connection = data.get(path) or {}
            edges = connection.get("edges") or []
            yield [e["node"] for e in edges if isinstance(e, dict) and isinstance(e.get("node"), dict)]
            info = connection.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return
            cursor = info["endCursor"]

    async def bulk(self, inner: str, *, poll_s: float = 0.5, timeout_s: float = 1800.0) -> list[dict[str, Any]]:
        """Run a bulk operation of query ``inner`` and return its JSONL lines (children carry ``__parentId``)."""
        started = await self.query(BULK_RUN, {"query": inner})
        payload = started.get("bulkOperationRunQuery") or {}
        if payload.get("userErrors"):
            raise ShopifyError(_messages(payload["userErrors"]))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            operation = (await self.query(BULK_STATUS)).get("currentBulkOperation") or {}
            status = operation.get("status")
            if status == "COMPLETED":
                return await self._download(operation.get("url"))
            if status in ("FAILED", "CANCELED", "EXPIRED"):
                raise ShopifyError(f"bulk operation {status.lower()}: {operation.get('errorCode')}")
            await asyncio.sleep(poll_s)
        raise ShopifyError("bulk operation did not finish in time")

    async def _download(self, url: str | None) -> list[dict[str, Any]]:
        if not url:  # a bulk query that matched nothing has no file
            return []
        try:
            async with self._http().get(url) as resp:
                if resp.status >= 400:
                    raise ShopifyError(f"bulk result: HTTP {resp.status}")
                lines = []
                async for raw in resp.content:
                    if raw.strip():
                        lines.append(json.loads(raw))
                return lines
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise ShopifyError(f"bulk result: {type(exc).__name__}: {exc}") from None


def _messages(errors: Any) -> str:
    if isinstance(errors, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)[:300]
    return str(errors)[:300]


def _short(text: str) -> str:
    return text.strip().replace("\n", " ")[:200]
