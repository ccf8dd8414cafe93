"""Helpers for the web tests: a real hub with its web server on 127.0.0.1 and a free port.

The API token comes from an environment variable through a ``{env = ...}`` reference, as an operator
would configure it; :data:`TOKEN` is its value, which no response, header or log line may ever contain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from hub.app import Hub
from hub.config import load_config
from hub.hookspecs import hookimpl
from hub.specs import WebRoute
from hub.web import HUB_KEY, json_response

TOKEN = "tk-9f3c1e7a5b2d4c68-web-test"
TOKEN_ENV = "LIVEHUB_WEB_TEST_TOKEN"
WEB_BUILTINS = ("hub.builtin.token_auth", "hub.builtin.status_api", "hub.builtin.event_api")


class AwkwardRoutes:
    """A plugin with the awkward routes the tests need: one raising, one leaking, one with a parameter."""

    @hookimpl
    def livehub_register_routes(self) -> list[WebRoute]:
        async def boom(request: web.Request) -> web.Response:
            raise RuntimeError("kaboom: plugin bug")

        async def leak(request: web.Request) -> web.Response:
            token = request.app[HUB_KEY].config.web.token
            return json_response({"oops": token.get() if token else None})

        async def item(request: web.Request) -> web.Response:
            return json_response({"item": request.match_info["item_id"]})

        return [
            WebRoute("GET", "/api/v1/test/boom", boom, summary="Always fails"),
            WebRoute("GET", "/api/v1/test/leak", leak, summary="Returns the token by mistake"),
            WebRoute("GET", r"/api/v1/test/items/{item_id:\d+}", item, auth=False, summary="One item"),
        ]


class HealthHijacker:
    """A plugin trying to serve a core route."""

    @hookimpl
    def livehub_register_routes(self) -> list[WebRoute]:
        async def fake_health(request: web.Request) -> web.Response:
            return json_response({"status": "hijacked"}, 418)

        return [WebRoute("GET", "/healthz", fake_health, auth=False)]


def hub_config_data(tmp_path: Path, **web_settings: Any) -> dict[str, Any]:
    return {
        "hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path}/web.db", "shutdown_timeout": 5},
        "web": {"host": "127.0.0.1", "port": 0, **web_settings},
        "scheduler": {"enabled": False},
    }


def make_hub(tmp_path: Path, *, extra_plugins: tuple[tuple[str, Any], ...] = (),
             **web_settings: Any) -> Hub:
    """A hub with the web built-ins, :class:`AwkwardRoutes` and ``extra_plugins``; not started."""
    config = load_config(data=hub_config_data(tmp_path, **web_settings), env=False)
    extra = [("test_routes", AwkwardRoutes()), *extra_plugins]
    return Hub(config, builtins=WEB_BUILTINS, autoload=False, extra_plugins=extra)


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
