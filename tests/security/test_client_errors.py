"""Issue #11 item 6 (the rest): client errors are logged once per kind a minute, not per request, and a
WebRTC offer that is not UTF-8 is a 400, not a 500. Against a real running hub."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.app import Hub
from hub.web.client_errors import ClientErrorLog
from tests.live_room.conftest import room_config, started_room_hub


@pytest.fixture
async def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Hub]:
    monkeypatch.setenv("LIVEHUB_CACHE_DIR", str(tmp_path / "cache"))
    async with started_room_hub(room_config()) as running:
        yield running


async def raw_request(port: int, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.read(300), 10)
    finally:
        writer.close()


MALFORMED = [b"GARBAGE\r\n\r\n",
             b"GET /\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
             b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: x\r\n\r\n"]


async def test_a_flood_of_client_errors_logs_one_line_per_kind(hub, client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    base = hub.web.url
    for _ in range(40):
        for payload in MALFORMED:
            assert (await raw_request(hub.web.port, payload)).startswith(b"HTTP/1.")
        async with client.post(f"{base}/api/v1/events", data="{{{",
                               headers={"Content-Type": "application/json"}) as response:
            assert response.status == 400
        async with client.post(f"{base}/live/main/comments", data="[" * 4000,
                               headers={"Content-Type": "application/json"}) as response:
            assert response.status == 400
        async with client.get(f"{base}/api/v1/no-such-route") as response:
            assert response.status == 404
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING and not r.name.startswith("asyncio")]
    assert not [r for r in loud if r.exc_info], "a client error was logged with a traceback"
    assert not [r for r in loud if r.levelno >= logging.ERROR], [r.getMessage() for r in loud]
    # 3 kinds of malformed HTTP + bad JSON on the event API + nested JSON on comments + unknown route
    assert len(loud) <= 6, [r.getMessage()[:120] for r in loud]
    assert any("malformed HTTP" in r.getMessage() for r in loud)
    assert any("POST /api/v1/events" in r.getMessage() for r in loud)
    assert hub.web.client_errors.total >= 40 * 6


def test_the_next_window_says_how_many_were_not_logged(caplog) -> None:
    now = [0.0]
    errors = ClientErrorLog(interval=60, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="livehub.web")
    assert errors.note("400 POST /x", "bad") is True
    assert [errors.note("400 POST /x", "bad") for _ in range(99)] == [False] * 99
    assert errors.note("404 GET unmatched", "nope") is True  # another kind has its own window
    now[0] = 61.0
    assert errors.note("400 POST /x", "bad") is True
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert "99 more of this kind were not logged" in lines[-1]


async def test_an_offer_that_is_not_utf8_is_a_400(hub, client) -> None:
    offer = b"v=0\r\no=- 0 0 IN IP4 \xff\xfe\r\n"
    for path in ("/live/main/webrtc", "/api/v1/rooms/main/webrtc"):
        async with client.post(hub.web.url + path, data=offer,
                               headers={"Content-Type": "application/sdp"}) as response:
            assert response.status == 400, (path, response.status, await response.text())
            assert "UTF-8" in (await response.json())["error"]
