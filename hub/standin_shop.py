"""The base of shop stand-ins (Shopify, WooCommerce): a generated shop, changes sent as signed webhooks.

A subclass holds a *store* (its shop's data, in the shop's own shapes) with ``seed(products, variants, seed)``,
``random_change(rng) -> (topic, body)``, ``change(product_id, fields) -> (topic, body)`` and
``hub_products()``, and implements :meth:`ShopStandin.deliveries` (each subscription's URL, headers in the
shop's names with its signature, and body) and :meth:`ShopStandin.forged`. This base adds the shop control
routes every shop stand-in shares and sends deliveries with :class:`hub.standin_webhooks.WebhookSender`:

* ``POST /_standin/shop/seed {"products", "variants", "seed"}`` — a new generated catalog;
* ``POST /_standin/shop/updates {"count", "seed", "duplicates"}`` — random changes, each sent as a webhook to
  every subscription, in shuffled order, plus redeliveries of earlier deliveries (same id);
* ``POST /_standin/shop/product/{id} {...}`` — one change (the fields the store takes) and its webhook;
* ``POST /_standin/shop/forged`` — a webhook signed with the wrong secret (answers the hub's statuses).
"""

from __future__ import annotations

import abc
import asyncio
import random
from typing import Any

from aiohttp import web

from hub.standin import Standin, _json
from hub.standin_webhooks import WebhookSender

__all__ = ["ShopStandin"]

Delivery = tuple[str, dict[str, str], bytes]


class ShopStandin(Standin):
    """Shared by the shop stand-ins (see the module docstring)."""

    room_bound = False
    store: Any

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.sender = WebhookSender(self.system)

    @abc.abstractmethod
    def deliveries(self, topic: str, data: dict[str, Any], *, secret: str | None = None) -> list[Delivery]:
        """(url, headers, body) of ``topic`` for every subscription to it, signed with ``secret`` if given
        (a forgery), else with the shop's own."""

    @abc.abstractmethod
    def forged(self) -> tuple[str, dict[str, Any]]:
        """The topic and body of a change a forger would send (signed with the wrong secret)."""

    def room_keys(self) -> dict[str, str]:
        return {"shop": self.system}  # the room names its shop

    def hub_products(self) -> list[dict[str, Any]]:
        """The shop's products as the hub must hold them (sorted by id; the acceptance tests compare them)."""
        return self.store.hub_products()

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/_standin/shop/seed", self._seed)
        router.add_post("/_standin/shop/updates", self._updates)
        router.add_post("/_standin/shop/product/{id}", self._change)
        router.add_post("/_standin/shop/forged", self._forged)

    async def stop(self) -> None:
        await self.sender.close()
        await super().stop()

    async def send(self, topic: str, data: dict[str, Any]) -> list[int]:
        """Send ``topic`` to its subscriptions now; the statuses the hub answered."""
        return list(await asyncio.gather(*(self.sender.post(url, headers, body)
                                           for url, headers, body in self.deliveries(topic, data))))

    async def updates(self, count: int, seed: int = 1, duplicates: int = 0) -> dict[str, int]:
        """``count`` random changes, their webhooks sent shuffled, plus ``duplicates`` redeliveries."""
        rng = random.Random(seed)
        deliveries: list[Delivery] = []
        for _ in range(count):
            topic, data = self.store.random_change(rng)
            deliveries += self.deliveries(topic, data)
        rng.shuffle(deliveries)
        deliveries += [rng.choice(deliveries) for _ in range(duplicates)] if deliveries else []
        statuses = await asyncio.gather(*(self.sender.post(url, headers, body) for url, headers, body in deliveries))
        return {"sent": len(statuses), "failed": sum(not 200 <= s < 300 for s in statuses)}

    async def _seed(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.store.seed(int(body.get("products", 20)), int(body.get("variants", 3)), int(body.get("seed", 1)))
        return _json({"products": len(self.store.products)})

    async def _updates(self, request: web.Request) -> web.Response:
        body = await request.json()
        return _json(await self.updates(int(body.get("count", 10)), int(body.get("seed", 1)),
                                        int(body.get("duplicates", 0))))

    async def _change(self, request: web.Request) -> web.Response:
        try:
            topic, data = self.store.change(int(request.match_info["id"]), await request.json())
        except (KeyError, ValueError, TypeError) as exc:
            return _json({"error": str(exc)}, status=400)
        return _json({"topic": topic, "statuses": await self.send(topic, data)})

    async def _forged(self, request: web.Request) -> web.Response:
        topic, data = self.forged()
        statuses = [await self.sender.post(url, headers, body, retry=False)
                    for url, headers, body in self.deliveries(topic, data, secret="not-the-secret")]
        return _json({"statuses": statuses})
