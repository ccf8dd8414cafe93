"""The Shopify stand-in's GraphQL resolvers: the shop's data as Admin GraphQL answers, bulk operations.

:class:`ShopifyApi` is the root value graphql-core executes documents against (fields are dict keys or
callables taking the field's arguments). Connections are paged by ``first``/``after`` with opaque cursors. A
bulk operation runs the given query with no page sizes and writes every node as a JSONL line, children (variants,
images) after their product with ``__parentId``, served at ``/_bulk/<id>.jsonl`` once the operation is
``COMPLETED`` (it reports ``RUNNING`` to the first poll).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from graphql import ExecutionResult, execute

from connectors.shopify.standin_graphql import SCHEMA, GraphQLProblem, checked
from connectors.shopify.standin_store import ShopifyStore


def _cursor(index: int) -> str:
    return base64.b64encode(f"i{index}".encode()).decode()


def _after(cursor: str | None) -> int:
    if not cursor:
        return -1
    try:
        return int(base64.b64decode(cursor).decode()[1:])
    except ValueError:
        return -1


def connection(items: list[Any], first: int | None, after: str | None, make: Any = None) -> dict[str, Any]:
    """A page of ``items`` (``make`` turns each chosen item into its node)."""
    start = _after(after) + 1
    chosen = items[start:] if first is None else items[start:start + first]
    edges = [{"cursor": _cursor(start + n), "node": make(node) if make else node} for n, node in enumerate(chosen)]
    return {"edges": edges, "pageInfo": {"hasNextPage": start + len(chosen) < len(items),
                                         "hasPreviousPage": start > 0,
                                         "startCursor": edges[0]["cursor"] if edges else None,
                                         "endCursor": edges[-1]["cursor"] if edges else None}}


def _number(gid: str) -> int:
    tail = str(gid).rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else -1


class ShopifyApi:
    """Resolvers over a :class:`ShopifyStore`, plus its webhook subscriptions and bulk operations."""

    def __init__(self, store: ShopifyStore, base_url: Any) -> None:
        self.store = store
        self.base_url = base_url  # a callable: the stand-in's address once it listens
        self.subscriptions: list[dict[str, Any]] = []
        self.bulk: dict[str, Any] | None = None
        self.bulk_files: dict[str, bytes] = {}
        self.bulk_runs = 0

    # -- nodes ----------------------------------------------------------------------------------

    def product_node(self, product: dict[str, Any]) -> dict[str, Any]:
        node = self.store.graphql_product(product)
        variants, images = node.pop("variants"), node.pop("images")
        for variant in variants:
            variant["inventoryItem"]["variant"] = variant
        node["variants"] = lambda info, first=None, after=None: connection(variants, first, after)
        node["images"] = lambda info, first=None: connection(images, first, None)
        link = node.pop("metafield")
        node["metafield"] = lambda info, namespace, key: (
            {"namespace": namespace, "key": key, **link} if (namespace, key) == ("livehub", "link") else None)
        return node

    def _active(self, query: str | None) -> list[dict[str, Any]]:
        products = [self.store.products[pid] for pid in sorted(self.store.products)]
        if query and "status:active" in query:
            products = [p for p in products if p["status"] == "ACTIVE"]
        return products

    # -- the root -------------------------------------------------------------------------------

    def root(self) -> dict[str, Any]:
        store = self.store
        return {
            "shop": {"name": store.name, "currencyCode": store.currency},
            "productsCount": lambda info, query=None: {"count": len(self._active(query))},
            "products": lambda info, first=None, after=None, query=None: connection(
                self._active(query), first, after, self.product_node),
            "product": lambda info, id: (self.product_node(store.products[_number(id)])
                                         if _number(id) in store.products else None),
            "inventoryItem": self._inventory_item,
            "currentBulkOperation": self._current_bulk,
            "webhookSubscriptions": lambda info, first=None: connection(
                [{"id": s["id"], "topic": s["topic"], "endpoint": {"__typename": "WebhookHttpEndpoint",
                                                                    "callbackUrl": s["url"]}}
                 for s in self.subscriptions], first, None),
            "bulkOperationRunQuery": self._run_bulk,
            "webhookSubscriptionCreate": self._subscribe,
        }

    def _inventory_item(self, info: Any, id: str) -> dict[str, Any] | None:
        found = self.store.variant_by_item(_number(id))
        if found is None:
            return None
        product, variant = found
        node = self.store.graphql_variant(product, variant)
        node["product"] = self.product_node(product)
        return {"id": id, "variant": node}

    def _subscribe(self, info: Any, topic: str, webhookSubscription: dict[str, Any]) -> dict[str, Any]:
        url = webhookSubscription.get("callbackUrl")
        if not url or not str(url).startswith(("http://", "https://")):
            return {"webhookSubscription": None, "userErrors": [{"field": ["webhookSubscription", "callbackUrl"],
                                                                 "message": "Address is invalid"}]}
        subscription = {"id": f"gid://shopify/WebhookSubscription/{self.store.new_id()}", "topic": topic,
                        "url": url, "namespaces": list(webhookSubscription.get("metafieldNamespaces") or [])}
        self.subscriptions.append(subscription)
        return {"webhookSubscription": {"id": subscription["id"], "topic": topic,
                                        "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": url}},
                "userErrors": []}

    # -- bulk operations ------------------------------------------------------------------------

    def _run_bulk(self, info: Any, query: str) -> dict[str, Any]:
        if self.bulk is not None and self.bulk["status"] in ("CREATED", "RUNNING"):
            return {"bulkOperation": None, "userErrors": [{"field": None, "message":
                    "A bulk query operation for this app and shop is already in progress"}]}
        try:
            tree = checked(query)
        except GraphQLProblem as exc:
            return {"bulkOperation": None, "userErrors": [{"field": ["query"], "message": str(exc)}]}
        result: ExecutionResult = execute(SCHEMA, tree, root_value=self.root())  # type: ignore[assignment]
        if result.errors:
            return {"bulkOperation": None, "userErrors": [{"field": ["query"], "message": result.errors[0].message}]}
        self.bulk_runs += 1
        op_id = f"gid://shopify/BulkOperation/{self.store.new_id()}"
        lines = [json.dumps(line) for line in flatten(result.data or {})]
        self.bulk_files[op_id.rsplit("/", 1)[-1]] = ("\n".join(lines) + "\n").encode() if lines else b""
        self.bulk = {"id": op_id, "status": "RUNNING", "errorCode": None, "objectCount": str(len(lines)),
                     "url": None, "polls": 0}
        return {"bulkOperation": {"id": op_id, "status": "CREATED"}, "userErrors": []}

    def _current_bulk(self, info: Any, type: str | None = None) -> dict[str, Any] | None:
        bulk = self.bulk
        if bulk is None:
            return None
        bulk["polls"] += 1
        if bulk["status"] == "RUNNING" and bulk["polls"] > 1:
            number = bulk["id"].rsplit("/", 1)[-1]
            bulk.update(status="COMPLETED", url=f"{self.base_url()}/_bulk/{number}.jsonl"
                        if self.bulk_files.get(number) else None)
        return {k: v for k, v in bulk.items() if k != "polls"}


def flatten(data: dict[str, Any]) -> list[dict[str, Any]]:
    """A query's result as bulk JSONL lines: each node of each connection, children with ``__parentId``."""
    lines: list[dict[str, Any]] = []

    def walk(node: dict[str, Any], parent: str | None) -> None:
        own = {k: v for k, v in node.items() if not (isinstance(v, dict) and "edges" in v)}
        if parent is not None:
            own["__parentId"] = parent
        lines.append(own)
        for value in node.values():
            if isinstance(value, dict) and "edges" in value:
                for edge in value["edges"]:
                    walk(edge["node"], node.get("id"))

    for value in data.values():
        if isinstance(value, dict) and "edges" in value:
            for edge in value["edges"]:
                walk(edge["node"], None)
    return lines
