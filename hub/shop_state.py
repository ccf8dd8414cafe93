"""A shop's products as the hub holds them: validation, link numbers, and changes applied in any order.

:class:`CatalogState` is owned by a :class:`hub.shop.CatalogConnector`. It validates product dicts (a
missing or negative price, an unknown currency, a SKU or link another product has → a
:class:`~hub.shop_changes.ProductProblem`), numbers products the shop gives no link, and applies changes with
versions: an upsert older than the product's version is ignored, a removal wins over older upserts (a
tombstone), a stock level older than the variant's stock version is ignored and one newer than a later-applied
product update keeps its figure. So any delivery order ends at the shop's newest state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from hub.catalog import Product
from hub.shop_changes import Change, ProductProblem, ProductRemoval, ProductUpsert, StockLevel

__all__ = ["CatalogState", "ProductIndex", "Entry", "first_error"]


@dataclass(slots=True)
class Entry:
    product: Product
    version: float  # when the shop says this product's record was last changed (epoch s; 0: unknown)


class ProductIndex:
    """The products by shop id, and who owns each SKU, link number and stock id."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.sku_owner: dict[str, str] = {}
        self.link_owner: dict[int, str] = {}
        self.stock_owner: dict[str, str] = {}

    def put(self, entry: Entry) -> None:
        product = entry.product
        self.drop(product.id)
        self.entries[product.id] = entry
        for sku in product.skus():
            self.sku_owner[sku] = product.id
        self.link_owner[product.link] = product.id
        for variant in product.variants:
            if variant.stock_id:
                self.stock_owner[variant.stock_id] = product.id

    def drop(self, pid: str) -> None:
        entry = self.entries.pop(pid, None)
        if entry is None:
            return
        for sku in entry.product.skus():
            if self.sku_owner.get(sku) == pid:
                del self.sku_owner[sku]
        if self.link_owner.get(entry.product.link) == pid:
            del self.link_owner[entry.product.link]
        for variant in entry.product.variants:
            if self.stock_owner.get(variant.stock_id) == pid:
                del self.stock_owner[variant.stock_id]

    def free_link(self, high: int) -> int:
        """A link number no product has: one past the highest ever given."""
        link = high + 1
        while link in self.link_owner:
            link += 1
        return link


class CatalogState:
    """The products of one shop and the versions that order its changes (see the module docstring)."""

    def __init__(self, counts: dict[str, int], report: Callable[[list[ProductProblem]], None]) -> None:
        self.index = ProductIndex()
        self.counts = counts  # the connector's counters ("ignored_stale")
        self.report = report  # called with a product a change brought that does not validate
        self.removed: dict[str, float] = {}  # product id → when it was removed
        self.links: dict[str, int] = {}  # product id → its link number (kept across syncs)
        self.links_high = 0
        self.stock_at: dict[str, float] = {}  # stock id → version of the stock figure held
        self.stock: dict[str, int] = {}  # stock id → the last stock level a change gave

    # -- full catalogs ---------------------------------------------------------------------------

    def build(self, fetched: list[dict[str, Any] | Product | ProductProblem]
              ) -> tuple[ProductIndex, list[ProductProblem]]:
        """A new index of ``fetched`` (a full sync) and the products it skipped. Products the shop gives a
        link number keep it; the others get free numbers after them."""
        fetched = sorted(fetched, key=lambda raw: (raw.link if isinstance(raw, Product) else raw.get("link")) is None)
        index = ProductIndex()
        problems: list[ProductProblem] = []
        for raw in fetched:
            checked = self.validate(raw, index)
            if isinstance(checked, ProductProblem):
                problems.append(checked)
            else:
                index.put(Entry(*checked))
        return index, problems

    def replace(self, index: ProductIndex, synced_at: float) -> None:
        """Hold ``index`` (a full sync that began at ``synced_at``): removals before it are in it."""
        self.index = index
        self.removed = {pid: at for pid, at in self.removed.items() if at > synced_at}

    def remember_links(self, product: Product) -> None:
        self.links.setdefault(product.id, product.link)
        self.links_high = max(self.links_high, product.link)

    # -- validation ----------------------------------------------------------------------------------

    def validate(self, raw: dict[str, Any] | Product | ProductProblem, index: ProductIndex
                 ) -> tuple[Product, float] | ProductProblem:
        """A product and its version, or the problem that skips it (a SKU or link another product of
        ``index`` has, a field that does not validate)."""
        if isinstance(raw, ProductProblem):  # the connector could not even map it
            return raw
        if isinstance(raw, Product):
            product, version = raw, 0.0
            pid = product.id or product.sku
        else:
            data = dict(raw)
            version = version_of(data.pop("updated_at", None))
            pid = str(data.get("id") or data.get("sku") or "?")
            if data.get("link") is None:
                data["link"] = self.links.get(pid) or index.free_link(self.links_high)
            try:
                product = Product.model_validate({**data, "id": pid})
            except ValidationError as exc:
                where, reason = first_error(exc)
                return ProductProblem(pid, where, reason)
        for sku in product.skus():
            if index.sku_owner.get(sku, pid) != pid:
                return ProductProblem(pid, "sku", f"duplicate sku {sku!r} (product {index.sku_owner[sku]} has it)")
        if index.link_owner.get(product.link, pid) != pid:
            return ProductProblem(pid, "link",
                                  f"duplicate link {product.link} (product {index.link_owner[product.link]})")
        if product.id != pid:
            product = product.model_copy(update={"id": pid})
        self.remember_links(product)
        return product, version

    # -- changes ---------------------------------------------------------------------------------

    def touches(self, change: Change) -> list[str]:
        """The product ids ``change`` may change."""
        if isinstance(change, ProductUpsert):
            return [product_id(change.product)]
        if isinstance(change, ProductRemoval):
            return [change.product_id]
        if isinstance(change, StockLevel):
            pid = self.index.stock_owner.get(change.stock_id)
            return [pid] if pid is not None else []
        return []

    def apply(self, change: Change) -> None:
        """Apply a product, removal or stock change (orders are not the catalog's)."""
        if isinstance(change, ProductUpsert):
            self._upsert(change)
        elif isinstance(change, ProductRemoval):
            entry = self.index.entries.get(change.product_id)
            if entry is not None and entry.version > change.at:
                self.counts["ignored_stale"] += 1
                return
            self.removed[change.product_id] = max(change.at, self.removed.get(change.product_id, 0.0))
            self.index.drop(change.product_id)
        elif isinstance(change, StockLevel):
            self._set_stock(change)

    def _upsert(self, change: ProductUpsert) -> None:
        pid = product_id(change.product)
        at = version_of(change.product.get("updated_at")) or change.at
        current = self.index.entries.get(pid)
        if (current is not None and current.version > at) or self.removed.get(pid, -1.0) >= at:
            self.counts["ignored_stale"] += 1
            return
        checked = self.validate({**change.product, "id": pid, "updated_at": at}, self.index)
        if isinstance(checked, ProductProblem):
            self.report([checked])
            return
        product, _ = checked
        if current is not None:  # stock levels newer than this update keep their figure
            product = self._keep_newer_stock(product, at)
        self.index.put(Entry(product, at))
        for variant in product.variants:
            if variant.stock_id and self.stock_at.get(variant.stock_id, -1.0) < at:
                self.stock_at[variant.stock_id] = at

    def _keep_newer_stock(self, new: Product, at: float) -> Product:
        kept = {sid: self.stock[sid] for v in new.variants if (sid := v.stock_id)
                and self.stock_at.get(sid, -1.0) > at and sid in self.stock}
        if not kept:
            return new
        variants = [v.model_copy(update={"stock": kept[v.stock_id]}) if v.stock_id in kept else v
                    for v in new.variants]
        return new.model_copy(update={"variants": variants, "stock": sum(v.stock for v in variants)})

    def _set_stock(self, change: StockLevel) -> None:
        if self.stock_at.get(change.stock_id, -1.0) > change.at:
            self.counts["ignored_stale"] += 1
            return
        stock = max(0, change.stock)
        self.stock_at[change.stock_id] = change.at
        self.stock[change.stock_id] = stock  # also for a variant the hub does not have yet
        pid = self.index.stock_owner.get(change.stock_id)
        entry = self.index.entries.get(pid) if pid is not None else None
        if entry is None:
            return
        variants = entry.product.variants
        for i, variant in enumerate(variants):
            if variant.stock_id == change.stock_id and variant.stock != stock:
                updated = [*variants[:i], variant.model_copy(update={"stock": stock}), *variants[i + 1:]]
                product = entry.product.model_copy(update={"variants": updated,
                                                           "stock": sum(v.stock for v in updated)})
                self.index.put(Entry(product, entry.version))
                return


def product_id(raw: dict[str, Any]) -> str:
    return str(raw.get("id") or raw.get("sku") or "?")


def version_of(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return 0.0


def first_error(exc: ValidationError) -> tuple[str, str]:
    """(field path, reason) of a validation error's first problem."""
    err = exc.errors(include_input=False, include_url=False)[0]
    where = ".".join(str(p) for p in err["loc"]) or "product"
    msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
    return where, msg.removeprefix("Value error, ")
