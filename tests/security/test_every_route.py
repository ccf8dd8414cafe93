"""Issue #11 items 6 and 10, over every route a full hub mounts (so a route added later is covered too):

* a deeply nested JSON body gets a 4xx from every route that takes a body, never a 500;
* every HTML page carries a Content-Security-Policy with framing rules and no inline-script loophole;
* the OpenAPI document lists every route, public ones included, saying which need the token.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.app import Hub
from hub.config import load_config
from tests.security.test_drive_by import BUILTINS, SHOW, tokenless_config
from tests.show.conftest import SPRING_SHOW  # noqa: F401  (the rundown start_hub writes)

FULL_BUILTINS = (*BUILTINS, "plugins.console", "plugins.overlay", "plugins.output_webrtc")
NESTED = "[" * 4000 + "]" * 4000
NESTED_OBJECT = '{"a":' * 1300 + "1" + "}" * 1300
PARAMS = {"room": "main", "session": "0123456789abcdef", "name": "console.js", "item_id": "x", "id": "x",
          "schedule_id": "nope", "show": "spring"}


@pytest.fixture
async def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Hub]:
    monkeypatch.setenv("LIVEHUB_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "shows").mkdir(exist_ok=True)
    (tmp_path / "shows" / "spring.toml").write_text(SHOW, encoding="utf-8")
    running = Hub(load_config(data=tokenless_config(tmp_path), env=False), builtins=FULL_BUILTINS,
                  autoload=False)
    await running.start()
    try:
        for connector in running.connectors.values():
            assert await connector.wait_ready(10)
        yield running
    finally:
        await running.stop()


def concrete(path: str) -> str:
    """``/api/v1/rooms/{room}/show/start`` → ``/api/v1/rooms/main/show/start``."""
    return re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: PARAMS.get(m.group(1), "x"), path)


async def test_no_route_answers_500_to_deeply_nested_json(hub: Hub, client) -> None:
    origin = {"Origin": hub.web.url, "Content-Type": "application/json"}
    checked = []
    for _plugin, route in hub.web.mounted:
        if route.method not in ("POST", "PUT", "PATCH", "DELETE"):
            continue
        for body in (NESTED, NESTED_OBJECT):
            async with client.request(route.method, hub.web.url + concrete(route.path), data=body,
                                      headers=origin) as response:
                text = await response.text()
                assert response.status < 500, (route.method, route.path, response.status, text[:200])
                assert "Traceback" not in text
        checked.append(f"{route.method} {route.path}")
    assert len(checked) >= 7, checked  # the show, schedule, event, comment and WebRTC routes at least


async def test_every_page_has_a_content_security_policy_and_framing_rules(hub: Hub, client) -> None:
    pages = []
    for _plugin, route in hub.web.mounted:
        if route.method != "GET" or "/ws" in route.path or route.path.endswith("/feed"):
            continue
        async with client.get(hub.web.url + concrete(route.path)) as response:
            if not response.content_type.startswith("text/html"):
                continue
            pages.append(route.path)
            csp = response.headers.get("Content-Security-Policy", "")
            assert "frame-ancestors" in csp, (route.path, csp)
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (route.path, csp)
            assert response.headers.get("X-Content-Type-Options") == "nosniff", route.path
            script = re.search(r"script-src ([^;]*)", csp)
            assert script and "*" not in script.group(1), (route.path, csp)
    assert {"/overlay/{room}", "/watch/{room}", "/live/{room}"} <= set(pages), pages


async def test_the_overlay_may_not_be_framed_and_allows_only_its_own_inline_code(hub: Hub, client) -> None:
    async with client.get(f"{hub.web.url}/overlay/main") as response:
        csp = response.headers["Content-Security-Policy"]
        html = await response.text()
    assert "frame-ancestors 'none'" in csp and response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)", csp), csp  # its one inline script
    assert "<script>" in html


async def test_openapi_lists_every_route_and_which_need_the_token(hub: Hub, client) -> None:
    async with client.get(f"{hub.web.url}/api/v1/openapi.json") as response:
        doc = await response.json()
    missing = []
    for _plugin, route in hub.web.mounted:
        path = re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", route.path)
        op = doc["paths"].get(path, {}).get(route.method.lower())
        if op is None:
            missing.append(f"{route.method} {route.path}")
            continue
        assert op["x-livehub-auth"] == ("token" if route.auth else "public"), path
        assert op["security"] == ([{"bearerAuth": []}] if route.auth else []), path
    assert not missing, missing
    assert doc["paths"]["/live/{room}/comments"]["post"]["x-livehub-auth"] == "public"
    assert doc["paths"]["/api/v1/rooms/{room}/takeover"]["post"]["x-livehub-auth"] == "token"
