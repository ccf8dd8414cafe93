"""Shop webhooks across the cluster: a stream ``livehub:shops`` every process appends the deliveries it accepted
to and reads the others'.

A shop connector runs in every process (a catalog serves rooms wherever they run), but a shop delivers each
webhook to one address, which the load balancer gives to one process. That process checks the signature, queues
the delivery for its own connector and, before answering the shop, appends it here; every other process reads it
and queues it for its connector of the same name (:meth:`hub.shop.CatalogConnector.offer_shared`), de-duplicated
by the delivery's id like a shop's own redelivery. So every process's catalog takes every change, in the order
the stream holds them, and announces it to the rooms it runs.

What this stream misses (Redis away while a delivery came in) the connectors' periodic reconciliation with the
shop brings back; the stream is capped (``MAXLEN ~``): it carries changes, the shop and the database hold state.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any

from hub.cluster.feed import follow, stream_end
from hub.shop_changes import WebhookDelivery

log = logging.getLogger("livehub.cluster")

SHOPS_KEY = "livehub:shops"
SHOPS_MAXLEN = 50_000
Offer = Callable[[str, WebhookDelivery], None]
"""``offer(connector, delivery)``: queue a delivery another process accepted for this process's connector."""


def entry_fields(node: str, connector: str, delivery: WebhookDelivery) -> dict[str, str]:
    return {"node": node, "connector": connector, "id": delivery.id, "topic": delivery.topic,
            "at": repr(delivery.at), "body": base64.b64encode(delivery.body).decode()}


def delivery_of(fields: dict[str, str]) -> tuple[str, WebhookDelivery]:
    """The connector's name and the delivery an entry carries (ValueError: not such an entry)."""
    try:
        delivery = WebhookDelivery(id=fields["id"], topic=fields["topic"], at=float(fields["at"]),
                                   body=base64.b64decode(fields["body"], validate=True))
        return fields["connector"], delivery
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a shop delivery entry: {exc}") from None


class ShopFanout:
    """One process's side of the stream (see the module docstring)."""

    def __init__(self, redis: Any, node: str, *, block_s: float = 1.0) -> None:
        self.redis, self.node, self.block_ms = redis, node, int(block_s * 1000)
        self.shared = self.received = 0
        self._last = "$"

    async def begin(self) -> None:
        """Read from the stream's end as it is now (this process's connectors synced from the shop meanwhile)."""
        self._last = await stream_end(self.redis, SHOPS_KEY)

    async def share(self, connector: str, delivery: WebhookDelivery) -> None:
        """Append ``delivery``, accepted here for ``connector``, for the other processes (raises if Redis is away)."""
        await self.redis.xadd(SHOPS_KEY, entry_fields(self.node, connector, delivery), maxlen=SHOPS_MAXLEN,
                              approximate=True)
        self.shared += 1

    async def read_loop(self, offer: Offer) -> None:
        def handle(entry_id: str, fields: dict[str, str]) -> None:
            try:
                connector, delivery = delivery_of(fields)
            except ValueError as exc:
                log.warning("shop fan-out: entry %s skipped: %s", entry_id, exc)
                return
            self.received += 1
            offer(connector, delivery)

        await follow(self.redis, SHOPS_KEY, self._last, self.node, handle, label="shop fan-out", block_ms=self.block_ms)
