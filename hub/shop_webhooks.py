"""Where a shop's webhooks come in (:func:`webhook_address`) and how they wait (:class:`WebhookInbox`).

The HTTP handler offers each verified delivery (:meth:`WebhookInbox.offer`) and answers at once: a delivery
seen before is acknowledged and dropped (shops deliver at least once), a full inbox answers "later" (the shop
redelivers), the rest wait here for the connector's one applying task, which reads the head, applies it and
only then removes it, so a delivery whose work fails on a shop outage is retried, never lost.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections import OrderedDict, deque
from collections.abc import Mapping
from typing import Any

from hub.shop_changes import WebhookDelivery

__all__ = ["WebhookInbox", "webhook_address", "WEBHOOK_PATH", "header", "hmac_sha256_matches"]

WEBHOOK_PATH = "/shops/{connector}/webhook"


def header(headers: Mapping[str, str], name: str) -> str:
    """Header ``name`` of a delivery, whatever its case ("" when absent)."""
    value = headers.get(name)
    if value is None:
        lower = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lower), None)
    return value or ""


def hmac_sha256_matches(secret: str, body: bytes, given: str) -> bool:
    """Whether ``given`` is base64(HMAC-SHA256(``secret``, raw ``body``)), compared in constant time (Shopify's
    and WooCommerce's webhook signature)."""
    wanted = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(given.encode(), wanted)


async def webhook_address(hub: Any, connector: str, public_url: str | None) -> str | None:
    """The address a shop delivers ``connector``'s webhooks to: ``public_url`` + :data:`WEBHOOK_PATH`, else the
    hub's own web server once it listens (None: the hub has no web server)."""
    path = WEBHOOK_PATH.format(connector=connector)
    if public_url:
        return public_url.rstrip("/") + path
    web = getattr(hub, "web", None)
    for _ in range(100):  # the web server starts after the connectors
        port = getattr(web, "port", None) if web is not None else None
        if port:
            host = hub.config.web.host
            host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
            return f"http://{host}:{port}{path}"
        if web is None and not getattr(hub, "web_enabled", False):
            return None
        await asyncio.sleep(0.1)
        web = getattr(hub, "web", None)
    return None


class WebhookInbox:
    """Deliveries waiting to be applied (see the module docstring)."""

    def __init__(self, limit: int, seen_limit: int) -> None:
        self.limit, self.seen_limit = limit, seen_limit
        self._queue: deque[WebhookDelivery] = deque()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._ready = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        return len(self._queue)

    def offer(self, delivery: WebhookDelivery) -> str:
        """Queue ``delivery``: ``"accepted"``, ``"duplicate"`` (same id seen before) or ``"full"``."""
        if delivery.id in self._seen:
            return "duplicate"
        if len(self._queue) >= self.limit:
            return "full"
        self._seen[delivery.id] = None
        if len(self._seen) > self.seen_limit:
            self._seen.popitem(last=False)
        self._queue.append(delivery)
        self._idle.clear()
        self._ready.set()
        return "accepted"

    def head(self) -> WebhookDelivery:
        return self._queue[0]

    def done(self) -> None:
        """The head is applied (or dropped as malformed): remove it."""
        self._queue.popleft()

    async def wait(self) -> None:
        """Until a delivery is queued (marks the inbox idle while it waits)."""
        while not self._queue:
            self._idle.set()
            self._ready.clear()
            await self._ready.wait()

    async def wait_idle(self, timeout: float | None = None) -> bool:
        """Until every queued delivery is applied (True) or ``timeout`` passes (False)."""
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
            return True
        except TimeoutError:
            return False
