"""The GraphQL documents the Shopify connector sends (checked against Shopify's schema by a conformance test).

Products are read with their variants, pictures and the ``livehub.link`` metafield. The paged form asks
``products(first: $first, after: $cursor)``; the bulk form is the same selection without page sizes (a bulk
operation returns every node as a JSONL line, children with ``__parentId``).
"""

from __future__ import annotations

from connectors.shopify.client import BULK_RUN, BULK_STATUS

PRODUCT_SELECTION = """
      id
      title
      handle
      status
      description
      updatedAt
      metafield(namespace: "livehub", key: "link") { value }
      variants{VARIANTS_ARGS} {
        edges { node { id sku title price compareAtPrice inventoryQuantity inventoryItem { id } } }
      }
      images{IMAGES_ARGS} { edges { node { url } } }
"""

PRODUCTS_PAGE = """
query LiveHubProducts($first: Int!, $cursor: String) {
  products(first: $first, after: $cursor, query: "status:active") {
    edges { node {""" + PRODUCT_SELECTION.replace("{VARIANTS_ARGS}", "(first: 50)").replace(
    "{IMAGES_ARGS}", "(first: 5)") + """    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

BULK_PRODUCTS = """
{
  products(query: "status:active") {
    edges { node {""" + PRODUCT_SELECTION.replace("{VARIANTS_ARGS}", "").replace("{IMAGES_ARGS}", "") + """    } }
  }
}
"""

PRODUCT_BY_ID = """
query LiveHubProduct($id: ID!) {
  product(id: $id) {""" + PRODUCT_SELECTION.replace("{VARIANTS_ARGS}", "(first: 100)").replace(
    "{IMAGES_ARGS}", "(first: 5)") + """  }
}
"""

PRODUCTS_COUNT = """
query LiveHubProductsCount { productsCount(query: "status:active") { count } }
"""

SHOP = """
query LiveHubShop { shop { name currencyCode } }
"""

INVENTORY_ITEM = """
query LiveHubInventoryItem($id: ID!) {
  inventoryItem(id: $id) { id variant { id inventoryQuantity product { id } } }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query LiveHubWebhooks {
  webhookSubscriptions(first: 100) {
    edges { node { id topic endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } } }
  }
}
"""

WEBHOOK_CREATE = """
mutation LiveHubSubscribe($topic: WebhookSubscriptionTopic!, $url: URL!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {callbackUrl: $url, format: JSON,
                                                                 metafieldNamespaces: ["livehub"]}) {
    webhookSubscription { id }
    userErrors { field message }
  }
}
"""

TOPICS = ("PRODUCTS_CREATE", "PRODUCTS_UPDATE", "PRODUCTS_DELETE", "INVENTORY_LEVELS_UPDATE", "ORDERS_CREATE",
          "ORDERS_PAID", "REFUNDS_CREATE")

ALL = {"PRODUCTS_PAGE": PRODUCTS_PAGE, "PRODUCT_BY_ID": PRODUCT_BY_ID, "PRODUCTS_COUNT": PRODUCTS_COUNT,
       "SHOP": SHOP, "INVENTORY_ITEM": INVENTORY_ITEM, "BULK_RUN": BULK_RUN, "BULK_STATUS": BULK_STATUS,
       "WEBHOOK_SUBSCRIPTIONS": WEBHOOK_SUBSCRIPTIONS, "WEBHOOK_CREATE": WEBHOOK_CREATE}
"""Every document by name (the conformance test validates each; ``BULK_PRODUCTS`` is validated as a query)."""
