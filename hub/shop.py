"""Shops: the catalog connector contract, and the base that owns sync, webhooks and reconcile.

A shop connector (Shopify, WooCommerce, a file) subclasses :class:`CatalogConnector` and implements one
method, :meth:`CatalogConnector.fetch_products`: every product of the shop as a *product dict* (the fields
of :class:`hub.catalog.Product` plus ``updated_at``). Everything else lives here, written once:

* **Full sync and reconcile.** ``run()`` fetches the shop and its products, validates each (a missing or
  negative price, an unknown currency, a duplicate SKU or link is reported with the shop's product id and
  skipped: :attr:`CatalogConnector.problems`), numbers products the shop gives no link, publishes the catalog
  and repeats every ``reconcile_interval_s``. A shop that is down leaves the last good catalog (``retrying``).
* **Webhooks** (``POST /shops/<connector>/webhook``, :mod:`hub.builtin.shops`, :mod:`hub.shop_webhooks`): the
  subclass verifies the signature over the raw body before anything is parsed; refused → 401, counted; seen
  before (same id) → 200, dropped; the rest are queued and answered 200 at once. One owned task applies the
  queue in order (:meth:`~CatalogConnector.webhook_changes`); a delivery whose work fails on a shop outage
  stays at the head and is retried, so nothing accepted is lost.
* **Out-of-order deliveries** (:mod:`hub.shop_state`): what is older than the product's version is ignored.
  **Live facts** (:mod:`hub.shop_events`): changes reach the shop's rooms as :class:`hub.events.CatalogChange`,
  orders as :class:`hub.events.Order`. **Pictures**: :meth:`CatalogConnector.image`, cached. See docs/shops.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.catalog import Catalog, Product, Shop
from hub.connector import Connector
from hub.errors import AuthFailed
from hub.shop_changes import (
    Change,
    OrderLine,
    ProductProblem,
    ProductRemoval,
    ProductUpsert,
    ShopOrder,
    StockLevel,
    WebhookDelivery,
    WebhookRefused,
)
from hub.shop_events import ChangePublisher
from hub.shop_pictures import PictureCache, read_http_picture
from hub.shop_state import CatalogState, first_error
from hub.shop_webhooks import WebhookInbox, webhook_address

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger("livehub.shop")

__all__ = ["ShopSettings", "CatalogConnector", "WebhookDelivery", "WebhookRefused", "ProductUpsert",
           "ProductRemoval", "StockLevel", "ShopOrder", "OrderLine", "Change", "ProductProblem"]

class ShopSettings(BaseModel):
    """Settings every shop connector has (a connector's own model adds its address and credentials)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", description="the shop's name as the host says it; default: the name the shop gives")
    currency: str | None = Field(None, description="ISO 4217 code of the prices; default: the shop's")
    locale: str | None = Field(None, description="the shop's language; default: the shop's, else the hub's")
    shipping: str = Field("", description="the shipping policy the host may quote")
    returns: str = Field("", description="the returns policy the host may quote")
    reconcile_interval_s: float = Field(900.0, gt=0, description="seconds between full syncs that catch "
                                                                 "missed webhooks")
    webhooks: bool = Field(True, description="subscribe to the shop's webhooks for live updates")
    public_url: str | None = Field(None, description="the hub's address as the shop reaches it "
                                                     "(https://hub.example.com); default: the hub's own")


class CatalogConnector(Connector):
    """Base of every shop connector. One abstract method: :meth:`fetch_products`."""

    kind: ClassVar[str] = "catalog"
    inbox_limit: ClassVar[int] = 50_000
    """Queued webhook deliveries beyond which new ones answer 503 (the shop redelivers them later)."""
    seen_limit: ClassVar[int] = 200_000
    """Delivery ids remembered for de-duplication."""
    auth_errors: ClassVar[tuple[type[Exception], ...]] = ()
    """The client's "credentials refused" errors: raised anywhere in the run, the connector stops in state
    ``auth_failed`` (instead of retrying) until it is reconfigured."""

    def __init__(self, name: str, config: Any, hub: Hub) -> None:
        super().__init__(name, config, hub)
        self.catalog: Catalog | None = None  # the last good catalog
        self.problems: list[ProductProblem] = []  # products skipped by the last sync or webhook
        self.counts: dict[str, int] = dict.fromkeys(
            ("syncs", "webhooks", "shared", "refused", "duplicates", "malformed", "applied", "ignored_stale",
             "skipped"), 0)
        self.last_sync: float | None = None
        self.last_sync_s: float | None = None
        self._shop: Shop | None = None
        self.catalog_state = CatalogState(self.counts, lambda found: self._report([*self.problems, *found]))
        self.inbox = WebhookInbox(self.inbox_limit, self.seen_limit)
        self._journal: list[Change] | None = None  # changes applied while a full sync runs
        self._subscribed = False
        self._images = PictureCache()
        self.events = ChangePublisher(self)

    # -- what a subclass provides -----------------------------------------------------------------

    def fetch_products(self) -> AsyncIterator[dict[str, Any] | Product | ProductProblem]:
        """Every product of the shop, as product dicts (the fields of :class:`hub.catalog.Product`, with
        ``variants``, and ``updated_at`` in epoch seconds) or validated products; a product the connector
        cannot map is a :class:`ProductProblem` (reported and skipped). Raise to be retried."""
        raise NotImplementedError

    async def fetch_shop(self) -> dict[str, Any]:
        """The shop's own ``name``, ``currency`` and ``locale`` (settings override them)."""
        return {}

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookDelivery | None:
        """Check a delivery's signature over the raw ``body`` (constant-time) before anything is parsed.
        Raise :class:`WebhookRefused`; return None to acknowledge and ignore (a ping)."""
        raise WebhookRefused(f"{type(self).__name__} takes no webhooks")

    async def webhook_changes(self, delivery: WebhookDelivery) -> list[Change]:
        """Map a verified delivery to changes. Raise ``ValueError`` for a malformed body (counted, dropped);
        any other error leaves the delivery queued and is retried with backoff."""
        return []

    async def subscribe_webhooks(self, url: str) -> None:
        """Subscribe the shop's webhooks to ``url`` (called once, after the first sync). Default: nothing."""

    async def read_image(self, ref: str) -> bytes:
        """The bytes of picture ``ref`` (a product's ``image``): an http(s) URL by default."""
        return await read_http_picture(ref)

    async def close(self) -> None:
        """Release the connector's client (called when ``run`` ends: on stop and before each retry; open
        it again lazily)."""

    def reconcile_interval(self) -> float:
        return float(getattr(self.config, "reconcile_interval_s", 900.0))

    async def unchanged_since_sync(self) -> bool:
        """True when a reconcile can be skipped (a file catalog whose file did not change). Default: False."""
        return False

    # -- the run loop (owned by Connector.supervise) ------------------------------------------------

    async def run(self) -> None:
        try:
            if self.catalog is None:
                await self._restore()
            if self.last_sync is None or not await self.unchanged_since_sync():
                await self.sync()
            self.set_ready()
            await self._subscribe()
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._apply_webhooks(), name=f"shop {self.name}: webhooks")
                tasks.create_task(self._reconcile(), name=f"shop {self.name}: reconcile")
        except BaseExceptionGroup as group:  # one task failed: retry the connector with that error
            raise self._refused(group.exceptions[0]) from None
        except self.auth_errors as exc:
            raise self._refused(exc) from None
        finally:
            await self.close()  # a subclass opens its client again on the next run

    def _refused(self, error: BaseException) -> BaseException:
        if isinstance(error, self.auth_errors):
            return AuthFailed(f"{self.name}: {error}")
        return error

    async def _reconcile(self) -> None:
        while True:
            await asyncio.sleep(self.reconcile_interval())
            if not await self.unchanged_since_sync():
                await self.sync()
            self.set_ready()

    async def _subscribe(self) -> None:
        if self._subscribed or not getattr(self.config, "webhooks", False):
            return
        if type(self).subscribe_webhooks is CatalogConnector.subscribe_webhooks:
            self._subscribed = True
            return
        url = await self.webhook_url()
        if url is None:
            log.warning("shop %s: no web server to receive webhooks; updates come by reconcile only", self.name)
        else:
            await self.subscribe_webhooks(url)
        self._subscribed = True

    @property
    def webhooks_subscribed(self) -> bool:
        """The shop's webhooks are subscribed (or this connector has none to subscribe)."""
        return self._subscribed

    async def webhook_url(self) -> str | None:
        """Where the shop sends webhooks: ``public_url`` + the webhook path, else the hub's own address."""
        return await webhook_address(self.hub, self.name, getattr(self.config, "public_url", None))

    # -- full sync -----------------------------------------------------------------------------------

    async def sync(self) -> None:
        """Fetch the whole shop and publish it (the last good catalog stays if this raises)."""
        started, began = time.time(), time.monotonic()
        self._journal = []
        try:
            shop = self._shop_model(await self.fetch_shop())
            fetched = [raw async for raw in self.fetch_products()]
            journal = self._journal
        finally:
            self._journal = None
        index, problems = self.catalog_state.build(fetched)
        self._report(problems)
        old = self._snapshot_products()
        self._shop = shop
        self.catalog_state.replace(index, started)
        for change in journal:  # what webhooks said while the sync ran, newer than what it read
            self._apply_one(change)
        self.counts["syncs"] += 1
        self.last_sync, self.last_sync_s = time.time(), time.monotonic() - began
        self._publish(old, set(old) | set(index.entries), announce=self.catalog is not None)
        await self._save(None, [])

    def _shop_model(self, raw: dict[str, Any]) -> Shop:
        cfg = self.config
        data = {"name": getattr(cfg, "name", "") or raw.get("name") or self.name,
                "currency": getattr(cfg, "currency", None) or raw.get("currency") or "CNY",
                "locale": getattr(cfg, "locale", None) or raw.get("locale") or self.hub.config.hub.locale,
                "shipping": getattr(cfg, "shipping", "") or raw.get("shipping", ""),
                "returns": getattr(cfg, "returns", "") or raw.get("returns", "")}
        try:
            return Shop.model_validate(data)
        except ValidationError as exc:
            raise ValueError(f"shop {self.name}: {first_error(exc)[1]}") from None

    def _report(self, problems: list[ProductProblem]) -> None:
        self.problems = problems[-1000:]
        self.counts["skipped"] += len(problems)
        for problem in problems[:20]:
            log.warning("shop %s: skipped %s", self.name, problem)
        if len(problems) > 20:
            log.warning("shop %s: skipped %d more products (see the connector's problems)", self.name,
                        len(problems) - 20)

    # -- webhooks --------------------------------------------------------------------------------

    def receive_webhook(self, headers: Mapping[str, str],
                        body: bytes) -> tuple[int, dict[str, Any], WebhookDelivery | None]:
        """Handle one delivery in the HTTP request: verify, de-duplicate, queue. Returns (status, answer, the
        delivery if it was new and queued: a cluster shares it with its other processes)."""
        try:
            delivery = self.verify_webhook(headers, body)
        except WebhookRefused as exc:
            self.counts["refused"] += 1
            self.events.count("refused")
            return 401, {"error": f"webhook refused: {exc}"}, None
        if delivery is None:
            return 200, {"ok": True, "ignored": True}, None
        self.counts["webhooks"] += 1
        outcome = self.inbox.offer(delivery)
        if outcome == "duplicate":
            self.counts["duplicates"] += 1
            self.events.count("duplicate")
            return 200, {"ok": True, "duplicate": True}, None
        if outcome == "full":
            return 503, {"error": "webhook queue full; deliver again later"}, None
        self.events.count("accepted")
        return 200, {"ok": True}, delivery

    def offer_shared(self, delivery: WebhookDelivery) -> None:
        """A delivery another process of the cluster verified and accepted: queued here too, unless seen."""
        if self.inbox.offer(delivery) == "accepted":
            self.counts["shared"] += 1

    async def wait_applied(self, timeout: float | None = None) -> bool:
        """Wait until every queued delivery is applied (True) or ``timeout`` passes (False)."""
        return await self.inbox.wait_idle(timeout)

    async def _apply_webhooks(self) -> None:
        while True:
            await self.inbox.wait()
            old: dict[str, Product] = {}
            changed: set[str] = set()
            first = self.inbox.head().received
            try:
                for _ in range(min(len(self.inbox), 200)):  # a batch, then one new catalog
                    delivery = self.inbox.head()
                    try:
                        changes = await self.webhook_changes(delivery)
                    except ValueError as exc:
                        self.counts["malformed"] += 1
                        log.warning("shop %s: webhook %s (%s) dropped: %s", self.name, delivery.id,
                                    delivery.topic, exc)
                        changes = []
                    # another error propagates: the delivery stays at the head and run() is retried
                    self.inbox.done()
                    for change in changes:
                        for pid in self.catalog_state.touches(change):
                            if pid not in old and pid in self.catalog_state.index.entries:
                                old[pid] = self.catalog_state.index.entries[pid].product
                            changed.add(pid)
                        self._apply_one(change)
                        if self._journal is not None:
                            self._journal.append(change)
                    self.counts["applied"] += 1
            finally:
                if changed:
                    self._publish(old, changed, announce=True, latency_from=first)
            if changed:
                await self._save(changed, [old[pid].sku for pid in changed
                                           if pid in old and pid not in self.catalog_state.index.entries])

    def _apply_one(self, change: Change) -> None:
        if isinstance(change, ShopOrder):
            self.events.order(change)
        else:
            self.catalog_state.apply(change)

    # -- publishing ------------------------------------------------------------------------------

    def _snapshot_products(self) -> dict[str, Product]:
        return {pid: e.product for pid, e in self.catalog_state.index.entries.items()}

    def _publish(self, old: dict[str, Product], changed: set[str], *, announce: bool,
                 latency_from: float | None = None) -> None:
        """A new catalog from the entries; with ``announce``, the changes of the ``changed`` products."""
        assert self._shop is not None
        products = sorted((e.product for e in self.catalog_state.index.entries.values()), key=lambda p: p.link)
        self.catalog = Catalog.model_construct(shop=self._shop, products=products, problems=[])
        if announce:
            entries = self.catalog_state.index.entries
            self.events.changes({pid: (old.get(pid), entries[pid].product if pid in entries else None)
                                 for pid in changed}, latency_from=latency_from)

    # -- the stored catalog ----------------------------------------------------------------------------

    async def _save(self, changed: set[str] | None, removed_skus: list[str]) -> None:
        """Store the catalog (``changed`` None: all of it) so a restart while the shop is down has it."""
        storage = getattr(self.hub, "storage", None)
        if storage is None or self._shop is None:
            return
        from hub.storage.shop_store import save_catalog

        try:
            await save_catalog(storage, self.name, self._shop, self.catalog_state.index, changed, removed_skus)
        except Exception as exc:  # the database is the hub's business: the shop goes on
            log.warning("shop %s: could not store the catalog: %s", self.name, exc)

    async def _restore(self) -> None:
        """Read the catalog stored by an earlier run (the host answers from it until the shop is reached)."""
        storage = getattr(self.hub, "storage", None)
        if storage is None:
            return
        from hub.storage.shop_store import load_catalog

        try:
            stored = await load_catalog(storage, self.name)
        except Exception as exc:
            log.warning("shop %s: could not read the stored catalog: %s", self.name, exc)
            return
        if stored is None:
            return
        self._shop, index = stored
        for entry in index.entries.values():
            self.catalog_state.remember_links(entry.product)
        self.catalog_state.replace(index, 0.0)
        self._publish({}, set(), announce=False)
        log.info("shop %s: %d products from the stored catalog until the shop answers", self.name,
                 len(index.entries))

    # -- pictures ------------------------------------------------------------------------------------

    async def image(self, product: Product) -> bytes | None:
        """The product's main picture (cached; None when it has none or it cannot be read)."""
        ref = product.image or (product.images[0] if product.images else None)
        if not ref:
            return None

        def failed(exc: Exception) -> None:  # a missing picture never stops a show
            log.warning("shop %s: cannot read picture %s of %s: %s", self.name, ref, product.sku, exc)

        return await self._images.get(ref, self.read_image, failed)

    # -- status ------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        out = super().status()
        out["shop"] = {"products": len(self.catalog.products) if self.catalog else 0,
                       "problems": [str(p) for p in self.problems[-20:]], "queued": len(self.inbox),
                       "last_sync": self.last_sync, "last_sync_s": self.last_sync_s, **self.counts}
        return out

