"""The OpenAPI 3.1 document of every route the hub serves, generated from the routes actually mounted.

Core routes and plugins' :class:`hub.specs.WebRoute` are described the same way, so the document can
never drift from what the server serves: every route (the ``/api/v1`` API, and the public pages, feeds,
assets, health and metrics too) is listed with its summary, tags, path parameters, request schema and
responses. Whether it needs the API token is said twice: ``security`` is ``[{"bearerAuth": []}]`` for a
token route and ``[]`` for a public one, and ``x-livehub-auth`` is ``"token"`` or ``"public"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from hub.specs import WebRoute

API_PREFIX = "/api/v1"
OPERATION_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
BEARER_SCHEME = {"type": "http", "scheme": "bearer",
                 "description": "The API token from `[web] token`: `Authorization: Bearer <token>`. "
                                "WebSocket routes also accept it as the `token` query parameter."}


def split_path_params(path: str) -> tuple[str, list[tuple[str, str | None]]]:
    """Turn an aiohttp path (``/a/{id}``, ``/a/{id:\\d+}``) into an OpenAPI path and its parameters.

    Returns ``(openapi_path, [(name, regex or None)])``. Regexes may themselves hold braces
    (``{n:\\d{1,3}}``), so this counts brace depth rather than using one regular expression.
    """
    out: list[str] = []
    params: list[tuple[str, str | None]] = []
    i = 0
    while i < len(path):
        if path[i] != "{":
            out.append(path[i])
            i += 1
            continue
        depth, j = 1, i + 1
        while j < len(path) and depth:
            depth += {"{": 1, "}": -1}.get(path[j], 0)
            j += 1
        inner = path[i + 1:j - 1]
        name, _, pattern = inner.partition(":")
        params.append((name, pattern or None))
        out.append("{" + name + "}")
        i = j
    return "".join(out), params


def operation_id(method: str, path: str) -> str:
    """A stable, unique id such as ``get_api_v1_events_ws`` from the method and the path."""
    words = re.sub(r"[^0-9A-Za-z]+", "_", path).strip("_")
    return f"{method.lower()}_{words}"


def describe_operation(plugin: str, route: WebRoute) -> dict[str, Any]:
    """The OpenAPI operation object of one route."""
    _, params = split_path_params(route.path)
    op: dict[str, Any] = {
        "operationId": operation_id(route.method, route.path),
        "summary": route.summary or f"{route.method.upper()} {route.path}",
        "tags": list(route.tags) or [plugin],
        "x-livehub-plugin": plugin,
    }
    if params:
        op["parameters"] = [
            {"name": name, "in": "path", "required": True,
             "schema": {"type": "string", **({"pattern": f"^{regex}$"} if regex else {})}}
            for name, regex in params
        ]
    if route.request_schema is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": route.request_schema}}}
    responses = {str(code): {"description": text} for code, text in route.responses.items()}
    if route.auth:
        op["security"] = [{"bearerAuth": []}]
        op["x-livehub-auth"] = "token"
        responses.setdefault("401", {"description": "Missing or wrong API token"})
    else:
        op["security"] = []  # explicitly public
        op["x-livehub-auth"] = "public"
    op["responses"] = dict(sorted(responses.items()))
    return op


def build_document(routes: Iterable[tuple[str, WebRoute]], *, title: str, version: str,
                   description: str = "") -> dict[str, Any]:
    """The whole document for the ``(plugin name, route)`` pairs."""
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, None] = {}
    for plugin, route in routes:
        method = route.method.lower()
        if method not in OPERATION_METHODS:
            continue  # "*" and other catch-alls have no OpenAPI operation
        openapi_path, _ = split_path_params(route.path)
        op = describe_operation(plugin, route)
        paths.setdefault(openapi_path, {})[method] = op
        tags.update(dict.fromkeys(op["tags"]))
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "servers": [{"url": "/"}],
        "tags": [{"name": t} for t in tags],
        "paths": dict(sorted(paths.items())),
        "components": {"securitySchemes": {"bearerAuth": BEARER_SCHEME}},
    }
