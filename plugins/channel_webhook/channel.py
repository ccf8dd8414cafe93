"""The webhook channel: each message POSTed as JSON to ``url`` with ``Idempotency-Key`` (the same for a
retry), ``X-LiveHub-Timestamp`` and ``X-LiveHub-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>"
with the secret>``; a 2xx answer is a receipt, a 4xx (but 408/429) a refusal for good, anything else is
tried again."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import aiohttp
from pydantic import Field

from hub.outbound_channels import Channel, ChannelRejected, ChannelSettings, OutboundMessage
from hub.secrets import Secret


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of ``<timestamp>.<body>``: what a receiver computes to check a delivery."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookSettings(ChannelSettings):
    url: str = Field(pattern=r"^https?://", description="the receiver")
    secret: Secret = Field(description="signs every delivery")


class WebhookChannel(Channel):
    name = "webhook"
    kind = "webhook"
    address = ""
    config: WebhookSettings

    async def deliver(self, message: OutboundMessage) -> dict[str, Any]:
        body = json.dumps({"id": message.key, "to": message.to, "subject": message.subject, "text": message.text,
                           "html": message.html, "link": message.link, "unsubscribe": message.unsubscribe,
                           "data": message.data}, ensure_ascii=False).encode()
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "Idempotency-Key": message.key, "X-LiveHub-Timestamp": stamp,
                   "X-LiveHub-Signature": signature(self.config.secret.get(), stamp, body)}
        timeout = aiohttp.ClientTimeout(total=self.config.timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as http, \
                http.post(self.config.url, data=body, headers=headers) as resp:
            text = (await resp.text())[:300]
            if 400 <= resp.status < 500 and resp.status not in (408, 429):
                raise ChannelRejected(f"HTTP {resp.status}: {text}")
            if resp.status >= 300:
                raise RuntimeError(f"HTTP {resp.status}: {text}")
            return {"status": resp.status}
