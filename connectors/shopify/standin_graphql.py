"""The Shopify stand-in's Admin GraphQL: the schema subset it serves, query costs and the leaky bucket.

Documents are parsed and validated with graphql-core against :data:`SDL` (Shopify's own type and field names;
an unknown field is the GraphQL error Shopify gives) and executed against the stand-in's shop. Cost follows
Shopify's published rules closely enough to exercise a client's throttling: a scalar or enum costs 0, an object
1, a connection 2 plus ``first`` times the cost of its node, a mutation 10; once run, the difference between
that and what the result actually holds is refunded (:func:`actual_cost`). The bucket holds ``maximum`` points
and refills ``restore_rate`` per second; a query costing more than is available is refused with
``THROTTLED`` (HTTP 200), one costing more than :data:`MAX_QUERY_COST` with ``MAX_COST_EXCEEDED``.
"""

from __future__ import annotations

import time
from typing import Any

from graphql import (
    FieldNode,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    parse,
    validate,
    value_from_ast_untyped,
)
from graphql.language import DocumentNode, SelectionSetNode

MAX_QUERY_COST = 1000

SDL = """
scalar DateTime
scalar Money
scalar URL
enum ProductStatus { ACTIVE ARCHIVED DRAFT }
enum WebhookSubscriptionTopic { PRODUCTS_CREATE PRODUCTS_UPDATE PRODUCTS_DELETE INVENTORY_LEVELS_UPDATE
  ORDERS_CREATE ORDERS_PAID REFUNDS_CREATE }
enum WebhookSubscriptionFormat { JSON XML }
enum BulkOperationStatus { CANCELED CANCELING COMPLETED CREATED EXPIRED FAILED RUNNING }
enum BulkOperationType { MUTATION QUERY }
type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! endCursor: String startCursor: String }
type Count { count: Int! }
type Shop { name: String! currencyCode: String! }
type Metafield { namespace: String! key: String! value: String! }
type Image { url: URL! }
type ImageEdge { cursor: String! node: Image! }
type ImageConnection { edges: [ImageEdge!]! pageInfo: PageInfo! }
type InventoryItem { id: ID! variant: ProductVariant! }
type ProductVariant { id: ID! sku: String title: String! price: Money! compareAtPrice: Money
  inventoryQuantity: Int inventoryItem: InventoryItem! product: Product! }
type ProductVariantEdge { cursor: String! node: ProductVariant! }
type ProductVariantConnection { edges: [ProductVariantEdge!]! pageInfo: PageInfo! }
type Product { id: ID! title: String! handle: String! status: ProductStatus! description: String!
  updatedAt: DateTime! metafield(namespace: String!, key: String!): Metafield
  variants(first: Int, after: String): ProductVariantConnection! images(first: Int): ImageConnection! }
type ProductEdge { cursor: String! node: Product! }
type ProductConnection { edges: [ProductEdge!]! pageInfo: PageInfo! }
type BulkOperation { id: ID! status: BulkOperationStatus! errorCode: String objectCount: String! url: URL }
type UserError { field: [String!] message: String! }
type BulkOperationRunQueryPayload { bulkOperation: BulkOperation userErrors: [UserError!]! }
type WebhookHttpEndpoint { callbackUrl: URL! }
type WebhookPubSubEndpoint { pubSubProject: String! pubSubTopic: String! }
union WebhookSubscriptionEndpoint = WebhookHttpEndpoint | WebhookPubSubEndpoint
type WebhookSubscription { id: ID! topic: WebhookSubscriptionTopic! endpoint: WebhookSubscriptionEndpoint! }
type WebhookSubscriptionEdge { cursor: String! node: WebhookSubscription! }
type WebhookSubscriptionConnection { edges: [WebhookSubscriptionEdge!]! pageInfo: PageInfo! }
input WebhookSubscriptionInput { callbackUrl: URL format: WebhookSubscriptionFormat metafieldNamespaces: [String!] }
type WebhookSubscriptionCreatePayload { webhookSubscription: WebhookSubscription userErrors: [UserError!]! }
type QueryRoot {
  shop: Shop!
  productsCount(query: String): Count
  products(first: Int, after: String, query: String): ProductConnection!
  product(id: ID!): Product
  inventoryItem(id: ID!): InventoryItem
  currentBulkOperation(type: BulkOperationType): BulkOperation
  webhookSubscriptions(first: Int): WebhookSubscriptionConnection!
}
type Mutation {
  bulkOperationRunQuery(query: String!): BulkOperationRunQueryPayload
  webhookSubscriptionCreate(topic: WebhookSubscriptionTopic!, webhookSubscription: WebhookSubscriptionInput!
    ): WebhookSubscriptionCreatePayload
}
schema { query: QueryRoot mutation: Mutation }
"""

SCHEMA: GraphQLSchema = build_schema(SDL)
CONNECTIONS = frozenset({"products", "variants", "images", "webhookSubscriptions"})
SCALAR_FIELDS = frozenset({"id", "sku", "title", "handle", "status", "description", "updatedAt", "price",
                           "compareAtPrice", "inventoryQuantity", "url", "value", "name", "currencyCode", "count",
                           "hasNextPage", "hasPreviousPage", "endCursor", "startCursor", "cursor", "errorCode",
                           "objectCount", "callbackUrl", "topic", "message", "field", "namespace", "key",
                           "__typename", "pubSubProject", "pubSubTopic"})


class GraphQLProblem(Exception):
    """A document that does not parse or validate: answered in GraphQL's ``errors`` shape."""


def checked(document: str) -> DocumentNode:
    """``document`` parsed and validated against :data:`SDL` (raises :class:`GraphQLProblem`)."""
    try:
        tree = parse(document)
    except Exception as exc:  # graphql-core's GraphQLSyntaxError
        raise GraphQLProblem(str(exc).splitlines()[0]) from None
    errors = validate(SCHEMA, tree)
    if errors:
        raise GraphQLProblem("; ".join(e.message for e in errors[:3]))
    return tree


def query_cost(tree: DocumentNode, variables: dict[str, Any]) -> tuple[int, bool]:
    """The requested cost of the document's operation, and whether it is a mutation."""
    operation = next(d for d in tree.definitions if isinstance(d, OperationDefinitionNode))
    if operation.operation.value == "mutation":
        return 10, True
    return _selection_cost(operation.selection_set, variables), False


def _selection_cost(selection: SelectionSetNode | None, variables: dict[str, Any]) -> int:
    if selection is None:
        return 0
    total = 0
    for node in selection.selections:
        if not isinstance(node, FieldNode):  # an inline fragment: its fields count
            total += _selection_cost(getattr(node, "selection_set", None), variables)
            continue
        name = node.name.value
        if name in CONNECTIONS:
            first = next((value_from_ast_untyped(a.value, variables) for a in node.arguments
                          if a.name.value == "first"), None) if node.arguments else None
            total += 2 + int(first or 250) * _node_cost(node.selection_set, variables)
        elif name in SCALAR_FIELDS and node.selection_set is None:
            continue
        else:
            total += 1 + _selection_cost(node.selection_set, variables)
    return total


def _node_cost(selection: SelectionSetNode | None, variables: dict[str, Any]) -> int:
    """The cost of one ``edges { node { … } }`` of a connection."""
    if selection is None:
        return 1
    for field in selection.selections:
        if isinstance(field, FieldNode) and field.name.value == "edges" and field.selection_set is not None:
            return max(1, _selection_cost(field.selection_set, variables))
    return 1


def actual_cost(data: Any) -> int:
    """What a result cost once run: each object returned 1, each connection 2 plus its nodes (Shopify refunds
    the difference to the requested cost)."""
    if isinstance(data, list):
        return sum(actual_cost(item) for item in data)
    if not isinstance(data, dict):
        return 0
    if "edges" in data:
        return 2 + sum(actual_cost(edge.get("node")) for edge in data["edges"] if isinstance(edge, dict))
    return 1 + sum(actual_cost(value) for key, value in data.items() if key != "pageInfo")


class Bucket:
    """The shop's leaky bucket of cost points."""

    def __init__(self, maximum: float = 1000.0, restore_rate: float = 100.0) -> None:
        self.maximum, self.restore_rate = maximum, restore_rate
        self._available, self._at = maximum, time.monotonic()
        self.throttled = 0

    def available(self) -> float:
        return min(self.maximum, self._available + (time.monotonic() - self._at) * self.restore_rate)

    def take(self, cost: float) -> bool:
        now = self.available()
        if cost > now:
            self.throttled += 1
            return False
        self._available, self._at = now - cost, time.monotonic()
        return True

    def refund(self, points: float) -> None:
        self._available, self._at = min(self.maximum, self.available() + max(0.0, points)), time.monotonic()

    def status(self) -> dict[str, float]:
        return {"maximumAvailable": self.maximum, "currentlyAvailable": round(self.available(), 1),
                "restoreRate": self.restore_rate}
