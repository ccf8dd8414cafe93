"""The core routes, token authorisation, OpenAPI and error handling, over real HTTP."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.app import Hub
from tests.web.webhub import TOKEN, HealthHijacker, auth, make_hub


async def test_healthz_answers_ok(hub: Hub, client: aiohttp.ClientSession) -> None:
    async with client.get(f"{hub.web.url}/healthz") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok"}


async def test_readyz_follows_hub_readiness(hub: Hub, client: aiohttp.ClientSession) -> None:
    async with client.get(f"{hub.web.url}/readyz") as resp:
        assert resp.status == 200
    hub.ready = False  # what the hub sets first thing when it stops
    async with client.get(f"{hub.web.url}/readyz") as resp:
        assert resp.status == 503
        assert (await resp.json())["status"] == "not ready"


async def test_status_needs_the_right_token(hub: Hub, client: aiohttp.ClientSession) -> None:
    url = f"{hub.web.url}/api/v1/status"
    refused = [{}, auth("wrong-token"), {"Authorization": f"Basic {TOKEN}"}, {"Authorization": "Bearer "}]
    for headers in refused:
        async with client.get(url, headers=headers) as resp:
            assert resp.status == 401, headers
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
            assert "error" in await resp.json()
    async with client.get(url, params={"token": TOKEN}) as resp:
        assert resp.status == 401  # ?token= is for WebSocket upgrades only
    async with client.get(url, headers=auth()) as resp:
        assert resp.status == 200
        status = await resp.json()
    assert status["ready"] is True
    assert status["name"] == hub.config.hub.name
    assert "status_api" in status["plugins"]["loaded"]


async def test_plugins_and_connectors_lists(hub: Hub, client: aiohttp.ClientSession) -> None:
    async with client.get(f"{hub.web.url}/api/v1/plugins", headers=auth()) as resp:
        assert resp.status == 200
        plugins = {p["name"]: p for p in await resp.json()}
    assert plugins["status_api"]["status"] == "loaded"
    assert "GET /api/v1/status" in plugins["status_api"]["provides"]["routes"]
    assert plugins["token_auth"]["description"].startswith("Bearer-token authorisation")
    async with client.get(f"{hub.web.url}/api/v1/connectors", headers=auth()) as resp:
        assert resp.status == 200
        assert await resp.json() == []


async def test_metrics_are_prometheus_text(hub: Hub, client: aiohttp.ClientSession) -> None:
    async with client.get(f"{hub.web.url}/healthz"):
        pass
    async with client.get(f"{hub.web.url}/metrics") as resp:
        assert resp.status == 200
        assert resp.content_type == "text/plain"
        text = await resp.text()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["livehub_up"].samples[0].value == 1.0
    served = [s for s in families["livehub_http_requests"].samples
              if s.name == "livehub_http_requests_total" and s.labels["route"] == "/healthz"]
    assert served and served[0].labels["status"] == "200" and served[0].value >= 1


async def test_openapi_lists_every_api_route(hub: Hub, client: aiohttp.ClientSession) -> None:
    async with client.get(f"{hub.web.url}/api/v1/openapi.json") as resp:  # public: no token
        assert resp.status == 200
        doc = await resp.json()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {**doc["components"]["securitySchemes"]
                                                                  ["bearerAuth"], "type": "http",
                                                                  "scheme": "bearer"}
    status = doc["paths"]["/api/v1/status"]["get"]
    assert status["security"] == [{"bearerAuth": []}]
    assert status["summary"] and status["tags"] == ["status"]
    assert "401" in status["responses"]
    assert doc["paths"]["/api/v1/openapi.json"]["get"]["security"] == []
    assert "requestBody" in doc["paths"]["/api/v1/events"]["post"]
    assert "/api/v1/events/ws" in doc["paths"]
    item = doc["paths"]["/api/v1/test/items/{item_id}"]["get"]
    assert item["parameters"][0]["name"] == "item_id" and item["parameters"][0]["in"] == "path"
    assert item["x-livehub-plugin"] == "test_routes"
    assert doc["paths"]["/healthz"]["get"]["x-livehub-auth"] == "public"  # every route, public ones too
    assert status["x-livehub-auth"] == "token"
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


async def test_plugin_route_with_path_parameter(hub: Hub, client: aiohttp.ClientSession) -> None:
    async with client.get(f"{hub.web.url}/api/v1/test/items/42") as resp:
        assert resp.status == 200
        assert await resp.json() == {"item": "42"}
    async with client.get(f"{hub.web.url}/api/v1/test/items/abc") as resp:
        assert resp.status == 404
        assert "error" in await resp.json()  # JSON errors under /api, not aiohttp's plain text


async def test_failing_route_is_a_500_and_the_hub_keeps_serving(
        hub: Hub, client: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        async with client.get(f"{hub.web.url}/api/v1/test/boom", headers=auth()) as resp:
            assert resp.status == 500
            body = await resp.text()
    assert resp.content_type == "application/json"
    assert "kaboom" not in body and "Traceback" not in body
    assert any("route:/api/v1/test/boom" in r.getMessage() for r in caplog.records)
    async with client.get(f"{hub.web.url}/api/v1/status", headers=auth()) as resp:
        assert resp.status == 200


async def test_a_plugin_cannot_take_over_a_core_route(
        tmp_path, client: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture) -> None:
    async with make_hub(tmp_path, extra_plugins=(("hijacker", HealthHijacker()),)) as hijacked:
        async with client.get(f"{hijacked.web.url}/healthz") as resp:
            assert resp.status == 200
            assert await resp.json() == {"status": "ok"}
        mounted = [(plugin, r.path) for plugin, r in hijacked.web.mounted if r.path == "/healthz"]
    assert mounted == [("core", "/healthz")]
    assert any("hijacker" in r.getMessage() and "/healthz not mounted" in r.getMessage()
               for r in caplog.records)


async def test_without_a_token_the_api_is_open_to_loopback_clients(
        tmp_path, client: aiohttp.ClientSession) -> None:
    async with make_hub(tmp_path) as open_hub:
        async with client.get(f"{open_hub.web.url}/api/v1/status") as resp:
            assert resp.status == 200
