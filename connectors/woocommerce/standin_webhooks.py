"""The WooCommerce stand-in's webhook sender: signed deliveries with WooCommerce's headers, timed.

A delivery is a POST of the resource's JSON with ``X-WC-Webhook-Source``, ``-Topic``, ``-Resource``,
``-Event``, ``-Signature`` (base64 HMAC-SHA256 of the body with the webhook's secret), ``-ID`` and
``-Delivery-ID``. An answer that is not 2xx, or slower than :data:`ACK_TIMEOUT_S`, is a failure: the delivery
is sent again later (with the same delivery id), as WooCommerce's action scheduler does. A webhook's creation
sends the unsigned ping ``webhook_id=<id>``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

ACK_TIMEOUT_S = 5.0
RETRY_AFTER_S = 1.0
MAX_ATTEMPTS = 5


@dataclass
class Hook:
    id: int
    name: str
    topic: str
    delivery_url: str
    secret: str
    status: str = "active"
    created: float = field(default_factory=time.time)

    def as_json(self) -> dict[str, Any]:
        resource, _, event = self.topic.partition(".")
        return {"id": self.id, "name": self.name, "status": self.status, "topic": self.topic, "resource": resource,
                "event": event, "hooks": [f"woocommerce_{resource}_{event}"], "delivery_url": self.delivery_url,
                "date_created_gmt": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.created))}


class WebhookSender:
    """Sends deliveries to the hooks subscribed to a topic; counts and times the acknowledgements."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.hooks: list[Hook] = []
        self.sent = self.failed = self.redelivered = 0
        self.slowest_ack_s = 0.0
        self.log: list[tuple[dict[str, str], bytes]] = []  # every delivery sent (for redelivering duplicates)
        self._delivery = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._http: aiohttp.ClientSession | None = None
        self.limit = asyncio.Semaphore(16)

    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=ACK_TIMEOUT_S))
        return self._http

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
            self._http = None

    def signed(self, hook: Hook, topic: str, body: bytes, *, secret: str | None = None) -> dict[str, str]:
        self._delivery += 1
        resource, _, event = topic.partition(".")
        key = (secret if secret is not None else hook.secret).encode()
        return {"Content-Type": "application/json", "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7)",
                "X-WC-Webhook-Source": self.source, "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": resource,
                "X-WC-Webhook-Event": event, "X-WC-Webhook-ID": str(hook.id),
                "X-WC-Webhook-Delivery-ID": str(self._delivery),
                "X-WC-Webhook-Signature": base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()}

    def deliveries(self, topic: str, data: Any, *, secret: str | None = None) -> list[tuple[Hook, dict[str, str], bytes]]:
        body = json.dumps(data).encode()
        return [(hook, self.signed(hook, topic, body, secret=secret), body) for hook in self.hooks
                if hook.status == "active" and hook.topic == topic]

    async def post(self, hook: Hook, headers: dict[str, str], body: bytes, *, retry: bool = True) -> int:
        """Send one delivery; returns the status (0: no answer in time). A failure is retried later."""
        self.log.append((headers, body))
        started = time.monotonic()
        status = 0
        async with self.limit:
            try:
                async with self.http().post(hook.delivery_url, data=body, headers=headers) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
        took = time.monotonic() - started
        self.slowest_ack_s = max(self.slowest_ack_s, took)
        self.sent += 1
        if not 200 <= status < 300 or took > ACK_TIMEOUT_S:
            self.failed += 1
            if retry and (status == 0 or status >= 500 or took > ACK_TIMEOUT_S):
                self._later(hook, headers, body, 1)
        return status

    def _later(self, hook: Hook, headers: dict[str, str], body: bytes, attempt: int) -> None:
        async def again() -> None:
            await asyncio.sleep(RETRY_AFTER_S * attempt)
            self.redelivered += 1
            status = await self.post(hook, headers, body, retry=False)
            if (status == 0 or status >= 500) and attempt < MAX_ATTEMPTS:
                self._later(hook, headers, body, attempt + 1)

        task = asyncio.get_running_loop().create_task(again(), name=f"woocommerce stand-in: redeliver {hook.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def ping(self, hook: Hook) -> int:
        body = f"webhook_id={hook.id}".encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-WC-Webhook-Source": self.source}
        try:
            async with self.http().post(hook.delivery_url, data=body, headers=headers) as resp:
                return resp.status
        except (aiohttp.ClientError, TimeoutError):
            return 0

    def state(self) -> dict[str, Any]:
        return {"hooks": len(self.hooks), "deliveries": self.sent, "failed": self.failed,
                "redelivered": self.redelivered, "slowest_ack_s": round(self.slowest_ack_s, 3)}
