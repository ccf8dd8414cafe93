"""The WooCommerce stand-in's webhooks: what a subscription is, and WooCommerce's delivery headers.

A delivery is a POST of the resource's JSON with ``X-WC-Webhook-Source``, ``-Topic``, ``-Resource``,
``-Event``, ``-Signature`` (base64 HMAC-SHA256 of the body with the webhook's secret), ``-ID`` and
``-Delivery-ID``; a webhook's creation sends the unsigned ping ``webhook_id=<id>``. Sending, timing and
redelivery are :class:`hub.standin_webhooks.WebhookSender`'s (the stand-in's ``sender``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from hub.standin_webhooks import WebhookSender

SOURCE = "https://store.test/"


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


class WooWebhooks:
    """The store's webhook subscriptions and their deliveries."""

    def __init__(self) -> None:
        self.hooks: list[Hook] = []
        self._delivery = 0

    def headers(self, hook: Hook, topic: str, body: bytes, *, secret: str | None = None) -> dict[str, str]:
        self._delivery += 1
        resource, _, event = topic.partition(".")
        key = (secret if secret is not None else hook.secret).encode()
        return {"Content-Type": "application/json", "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.7)",
                "X-WC-Webhook-Source": SOURCE, "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": resource,
                "X-WC-Webhook-Event": event, "X-WC-Webhook-ID": str(hook.id),
                "X-WC-Webhook-Delivery-ID": str(self._delivery),
                "X-WC-Webhook-Signature": base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()}

    def deliveries(self, topic: str, data: Any, *, secret: str | None = None
                   ) -> list[tuple[str, dict[str, str], bytes]]:
        """(url, headers, body) for every active hook of ``topic``."""
        body = json.dumps(data).encode()
        return [(hook.delivery_url, self.headers(hook, topic, body, secret=secret), body) for hook in self.hooks
                if hook.status == "active" and hook.topic == topic]

    async def ping(self, hook: Hook, sender: WebhookSender) -> int:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-WC-Webhook-Source": SOURCE}
        return await sender.post(hook.delivery_url, headers, f"webhook_id={hook.id}".encode(), retry=False)
