"""Bearer-token authorisation of API routes against the configured ``[web] token``.

How a request to an ``auth=True`` route is judged:

* **A token is configured**: the request must carry ``Authorization: Bearer <token>``. WebSocket
  upgrade requests may carry it as the ``token`` query parameter instead, because browsers cannot set
  headers on a WebSocket. Tokens are compared in constant time (:func:`hmac.compare_digest`).
* **No token is configured**: the web server only ever listens on a loopback address then (it refuses
  any other), and API routes are open to clients on this machine, i.e. requests whose TCP peer is a
  loopback address. Requests from any other peer are refused. Put a token in place before exposing the
  hub through a reverse proxy on the same machine: the proxy's requests come from loopback too.

**Tenants** (``[tenants.<name>] token``): a tenant's token is accepted too, and the request is marked with the
tenant (:data:`TENANT`): the web server then lets it reach only routes about the tenant's own rooms
(docs/scale-out.md, Tenants). The ``[web] token`` is the operator's and reaches everything.

The answer is final (True or False), since this plugin is the built-in default. A plugin registered
later (every third-party plugin) is asked first and can allow or refuse before this one is consulted.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from aiohttp import web

from hub.hookspecs import hookimpl
from hub.web.common import TENANT, is_loopback_peer

if TYPE_CHECKING:
    from hub.app import Hub


def bearer_token(request: web.BaseRequest) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def is_websocket_upgrade(request: web.BaseRequest) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def presented_token(request: web.BaseRequest) -> str | None:
    """The token a client presented: the bearer header, else ``?token=`` on WebSocket upgrades."""
    token = bearer_token(request)
    if token is None and is_websocket_upgrade(request):
        token = request.query.get("token") or None
    return token


def token_matches(presented: str, expected: str) -> bool:
    """Constant-time comparison, so response timing says nothing about how much of a guess was right."""
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


@hookimpl
def livehub_authorize(request: web.Request, hub: Hub) -> bool:
    configured = hub.config.web.token
    if configured is None:
        return is_loopback_peer(request)
    presented = presented_token(request)
    if presented is None:
        return False
    if token_matches(presented, configured.get()):
        return True
    for name, tenant in hub.config.tenants.items():
        if token_matches(presented, tenant.token.get()):
            request[TENANT] = name
            return True
    return False
