"""Issue #11 item 5: one client cannot silence a room.

Before the fix one anonymous client could hold every chat feed slot of the built-in live room
(``max_viewers``), the comment rate limit was per address only (so behind a reverse proxy, where every
viewer comes from the proxy's address, one person silenced everyone), and ``X-Forwarded-For`` was not
understood at all. These tests run a real hub with the local live room over real HTTP on loopback. A
second address is ``127.0.0.2`` (a client socket bound there: all of 127.0.0.0/8 is loopback on Linux), or
a client forwarded by a trusted proxy (``X-Forwarded-For`` from ``127.0.0.1``).

Nothing here measures speed: "at once" means the very next request is accepted, not a timing.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from unittest import mock

import aiohttp
import pytest
from aiohttp.test_utils import make_mocked_request

from hub.app import Hub
from hub.config import load_config
from hub.errors import ConfigError
from hub.web.common import client_address
from tests.live_room.conftest import STARTER, room_config, started_room_hub

ROOM = "main"
FEEDS_PER_CLIENT = 2
PER_VIEWER = 3
PER_ADDRESS = 9
OTHER_ADDRESS = "127.0.0.2"
DEADLINE_S = 20.0


def one_client_config(**web: Any) -> dict[str, Any]:
    return room_config(
        web={"enabled": True, "port": 0, **web},
        connectors={"shop": {"type": "catalog_file", "path": str(STARTER)},
                    "room": {"type": "local", "room": ROOM, "rate_per_minute": PER_VIEWER,
                             "address_rate_per_minute": PER_ADDRESS, "max_feeds_per_client": FEEDS_PER_CLIENT}})


@contextlib.asynccontextmanager
async def room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **web: Any) -> AsyncIterator[Hub]:
    monkeypatch.setenv("LIVEHUB_CACHE_DIR", str(tmp_path / "cache"))
    async with started_room_hub(one_client_config(**web)) as hub:
        yield hub


@pytest.fixture
async def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Hub]:
    """The live room with no trusted proxy (the default)."""
    async with room(tmp_path, monkeypatch) as running:
        yield running


@pytest.fixture
async def proxied_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Hub]:
    """The live room behind a reverse proxy on this machine: ``127.0.0.1`` is a trusted proxy."""
    async with room(tmp_path, monkeypatch, trusted_proxies=["127.0.0.1", "10.0.0.0/8"]) as running:
        yield running


@pytest.fixture
async def other() -> AsyncIterator[aiohttp.ClientSession]:
    """A client on another loopback address (``127.0.0.2``)."""
    connector = aiohttp.TCPConnector(local_addr=(OTHER_ADDRESS, 0))
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=15)) as session:
        yield session


def forwarded(*chain: str) -> dict[str, str]:
    return {"X-Forwarded-For": ", ".join(chain)}


def feed_url(hub: Hub) -> str:
    return f"{hub.web.url}/live/{ROOM}/feed"


def comment(viewer: str, text: str, message_id: str) -> dict[str, str]:
    return {"name": "", "text": text, "viewer_id": viewer, "message_id": message_id}


async def open_feeds(stack: contextlib.AsyncExitStack, session: aiohttp.ClientSession, url: str, count: int,
                     headers: dict[str, str] | None = None) -> None:
    """Open ``count`` feeds that stay open until ``stack`` closes; each must greet with ``hello``."""
    for _ in range(count):
        ws = await stack.enter_async_context(session.ws_connect(url, headers=headers))
        assert (await ws.receive_json(timeout=10))["type"] == "hello"


async def feed_refusal(session: aiohttp.ClientSession, url: str,
                       headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of a WebSocket upgrade request the hub refuses (it must refuse it)."""
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(), **(headers or {})}
    async with session.get(url, headers=upgrade) as response:
        assert response.status != 101, "the upgrade was accepted"
        return response.status, await response.json()


async def eventually(attempt: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll ``attempt`` until it answers True (generous deadline: the machine may be loaded)."""
    deadline = time.monotonic() + DEADLINE_S
    while not await attempt():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.1)


async def post(session: aiohttp.ClientSession, hub: Hub, body: dict[str, str],
               headers: dict[str, str] | None = None) -> int:
    async with session.post(f"{hub.web.url}/live/{ROOM}/comments", json=body, headers=headers) as response:
        await response.read()
        return response.status


# -- feeds --------------------------------------------------------------------------------------------


async def test_one_address_cannot_hold_every_feed_and_another_address_still_gets_in(hub, client, other) -> None:
    url = feed_url(hub)
    async with contextlib.AsyncExitStack() as stack:
        await open_feeds(stack, client, url, FEEDS_PER_CLIENT)
        status, body = await feed_refusal(client, url)
        assert status == 429, body
        assert "feed" in body["error"] and str(FEEDS_PER_CLIENT) in body["error"], body
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            async with client.ws_connect(url):
                pass
        assert refused.value.status == 429
        await open_feeds(stack, other, url, 1)  # another viewer, another address: welcome
    assert hub.connectors["room"].status()["viewers"] <= FEEDS_PER_CLIENT + 1


async def test_a_closed_feed_frees_its_clients_slot(hub, client) -> None:
    url = feed_url(hub)
    async with contextlib.AsyncExitStack() as stack:
        await open_feeds(stack, client, url, FEEDS_PER_CLIENT)
        async with contextlib.AsyncExitStack() as inner:
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await open_feeds(inner, client, url, 1)

    async def reopened() -> bool:
        async with contextlib.AsyncExitStack() as again:
            try:
                await open_feeds(again, client, url, FEEDS_PER_CLIENT)
            except aiohttp.WSServerHandshakeError as exc:
                assert exc.status == 429
                return False
        return True

    await eventually(reopened, "the closed feeds' slots are free again")


async def test_the_room_limit_still_applies_with_its_own_answer(hub, client, other) -> None:
    connector = hub.connectors["room"]
    connector.config = connector.config.model_copy(update={"max_viewers": 1})
    async with contextlib.AsyncExitStack() as stack:
        await open_feeds(stack, client, feed_url(hub), 1)
        status, body = await feed_refusal(other, feed_url(hub))
    assert status == 503, body


async def test_a_spoofed_forwarded_for_gets_no_feed_slot_without_trusted_proxies(hub, client) -> None:
    url = feed_url(hub)
    async with contextlib.AsyncExitStack() as stack:
        await open_feeds(stack, client, url, FEEDS_PER_CLIENT)
        for spoof in ("198.51.100.7", "203.0.113.1, 198.51.100.8", "not-an-address"):
            status, body = await feed_refusal(client, url, forwarded(spoof))
            assert status == 429, (spoof, body)


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_feed_cap(proxied_hub, client, other) -> None:
    url = feed_url(proxied_hub)
    async with contextlib.AsyncExitStack() as stack:
        await open_feeds(stack, client, url, FEEDS_PER_CLIENT, forwarded("203.0.113.5"))
        status, body = await feed_refusal(client, url, forwarded("203.0.113.5"))
        assert status == 429, body
        # What the client wrote left of the proxy's entry does not make it someone else.
        status, body = await feed_refusal(client, url, forwarded("192.0.2.77", "203.0.113.5"))
        assert status == 429, body
        # Trusted hops right of the client are skipped: 10.1.2.3 is a trusted proxy too.
        status, body = await feed_refusal(client, url, forwarded("203.0.113.5", "10.1.2.3"))
        assert status == 429, body
        # Another viewer behind the same proxy is another client.
        await open_feeds(stack, client, url, FEEDS_PER_CLIENT, forwarded("203.0.113.6"))
        # 127.0.0.2 is not a trusted proxy: what it forwards is ignored, it is one client of its own.
        await open_feeds(stack, other, url, FEEDS_PER_CLIENT, forwarded("203.0.113.99"))
        status, body = await feed_refusal(other, url, forwarded("203.0.113.100"))
        assert status == 429, body


# -- comments -----------------------------------------------------------------------------------------


async def test_a_flooding_viewer_does_not_make_another_viewer_on_its_address_wait(hub, client) -> None:
    """Viewers A and B share one address (a NAT, an untrusted proxy): A floods, changing its display name
    every time (the page lets anyone rename themselves), and B's comment still goes in at once."""
    flood = []
    for i in range(PER_VIEWER * 4):
        body = {**comment("viewer-a-0000001", f"刷屏{i}", f"m-flood-a-{i:04d}"), "name": f"刷屏者{i}"}
        flood.append(await post(client, hub, body))
    assert flood[:PER_VIEWER] == [202] * PER_VIEWER and set(flood[PER_VIEWER:]) == {429}, flood
    assert await post(client, hub, comment("viewer-b-0000002", "请问包邮吗", "m-flood-b-0001")) == 202
    # A's refused comments did not use the address's allowance either: B has its whole own allowance.
    assert [await post(client, hub, comment("viewer-b-0000002", f"再问{i}", f"m-flood-b-{i + 2:04d}"))
            for i in range(PER_VIEWER - 1)] == [202] * (PER_VIEWER - 1)
    assert await post(client, hub, comment("viewer-a-0000001", "还想刷", "m-flood-a-9999")) == 429


async def test_a_viewer_changing_its_id_every_time_is_bounded_by_the_address(hub, client, other) -> None:
    statuses = [await post(client, hub, comment(f"rotating-{i:06d}", f"第{i}条", f"m-rotate-{i:04d}"))
                for i in range(PER_ADDRESS * 2)]
    assert statuses.count(202) == PER_ADDRESS and set(statuses[PER_ADDRESS:]) == {429}, statuses
    # Another address is not touched by it.
    assert await post(other, hub, comment("viewer-c-0000003", "我来了", "m-rotate-other")) == 202


async def test_a_spoofed_forwarded_for_gets_no_fresh_comment_allowance(hub, client) -> None:
    """Without trusted proxies X-Forwarded-For is ignored: spoofing it is no way around the limits."""
    viewer = "viewer-spoof-001"
    statuses = [await post(client, hub, comment(viewer, f"刷{i}", f"m-spoof-{i:04d}")) for i in range(PER_VIEWER)]
    assert statuses == [202] * PER_VIEWER
    spoofs = ("198.51.100.7", "198.51.100.8, 127.0.0.1", "garbage")
    assert [await post(client, hub, comment(viewer, "换地址", f"m-spoof-x{i:03d}"), forwarded(s))
            for i, s in enumerate(spoofs)] == [429] * len(spoofs)
    # Rotating the id and spoofing the address at once is still bounded by the (real) address.
    rotated = [await post(client, hub, comment(f"spoof-{i:07d}", "又来", f"m-spoof-r{i:03d}"), forwarded(f"198.51.100.{i}"))
               for i in range(PER_ADDRESS * 2)]
    assert rotated.count(202) == PER_ADDRESS - PER_VIEWER, rotated


async def test_behind_a_trusted_proxy_comments_are_limited_per_forwarded_client(proxied_hub, client, other) -> None:
    hub = proxied_hub
    statuses = [await post(client, hub, comment(f"proxied-{i:06d}", "刷", f"m-proxy-{i:04d}"),
                           forwarded("203.0.113.5")) for i in range(PER_ADDRESS + 2)]
    assert statuses.count(202) == PER_ADDRESS, statuses
    # The client cannot choose its address by writing a chain: the proxy's entry (right-most) counts.
    assert await post(client, hub, comment("proxied-left-01", "刷", "m-proxy-left"),
                      forwarded("192.0.2.1", "203.0.113.5")) == 429
    # Another viewer behind the same proxy is unaffected.
    assert await post(client, hub, comment("proxied-other-1", "你好", "m-proxy-other"), forwarded("203.0.113.6")) == 202
    # A peer that is not a trusted proxy is limited by its own address, whatever it forwards.
    untrusted = [await post(other, hub, comment(f"untrusted-{i:05d}", "刷", f"m-proxy-u{i:03d}"),
                            forwarded(f"198.51.100.{i}")) for i in range(PER_ADDRESS + 2)]
    assert untrusted.count(202) == PER_ADDRESS, untrusted


# -- the client address and its configuration ------------------------------------------------------------


def request_from(peer: str | None, *forwarded_for: str) -> Any:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda key, default=None: (
        (peer, 40000) if key == "peername" and peer is not None else default)
    headers = [("X-Forwarded-For", value) for value in forwarded_for]
    return make_mocked_request("GET", "/live/main/feed", headers=headers, transport=transport)


@pytest.mark.parametrize(("peer", "headers", "trusted", "expected"), [
    ("198.51.100.4", (), [], "198.51.100.4"),
    ("198.51.100.4", ("1.2.3.4",), [], "198.51.100.4"),                      # no trusted proxies: header ignored
    ("198.51.100.4", ("1.2.3.4",), ["127.0.0.1"], "198.51.100.4"),           # the peer is not a trusted proxy
    ("127.0.0.1", ("1.2.3.4",), ["127.0.0.1"], "1.2.3.4"),
    ("127.0.0.1", ("6.6.6.6, 1.2.3.4",), ["127.0.0.1"], "1.2.3.4"),          # right-most untrusted entry
    ("127.0.0.1", ("6.6.6.6", "1.2.3.4, 10.0.0.5"), ["127.0.0.1", "10.0.0.0/8"], "1.2.3.4"),  # several headers
    ("10.9.8.7", ("1.2.3.4, 10.0.0.5, 10.0.0.6",), ["10.0.0.0/8"], "1.2.3.4"),
    ("127.0.0.1", (), ["127.0.0.1"], "127.0.0.1"),                           # no header: the proxy itself
    ("127.0.0.1", ("10.0.0.5",), ["127.0.0.1", "10.0.0.0/8"], "10.0.0.5"),   # every hop trusted: the first
    ("127.0.0.1", ("1.2.3.4, junk",), ["127.0.0.1"], "127.0.0.1"),           # garbage: never a fresh bucket
    ("127.0.0.1", ("  1.2.3.4:5678 ",), ["127.0.0.1"], "1.2.3.4"),           # a port some proxies add
    ("127.0.0.1", ("[2001:db8::1]:443",), ["127.0.0.1"], "2001:db8::1"),
    ("::ffff:127.0.0.1", ("2001:DB8::1",), ["127.0.0.1"], "2001:db8::1"),    # IPv4-mapped peer, normalised
    ("::1", ("1.2.3.4",), ["::1"], "1.2.3.4"),
    ("::ffff:198.51.100.4", (), [], "198.51.100.4"),
    (None, ("1.2.3.4",), ["127.0.0.1"], ""),                                  # no peer (a Unix socket)
])
def test_client_address(peer, headers, trusted, expected) -> None:
    assert client_address(request_from(peer, *headers), trusted) == expected


@pytest.mark.parametrize("value", [["10.0.0.0/33"], ["proxy.lan"], ["10.0.0.1/8"], ["0.0.0.0/0"], ["::/0"], [""]])
def test_a_bad_trusted_proxy_is_a_config_error_naming_the_key(value) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(data={"web": {"trusted_proxies": value}}, env=False)
    assert "web.trusted_proxies" in str(caught.value)


def test_trusted_proxies_default_to_none_and_are_normalised() -> None:
    assert load_config(data={}, env=False).web.trusted_proxies == []
    web = load_config(data={"web": {"trusted_proxies": ["127.0.0.1", "10.0.0.0/8", "2001:DB8::/32"]}}, env=False).web
    assert web.trusted_proxies == ["127.0.0.1/32", "10.0.0.0/8", "2001:db8::/32"]


def test_an_ipv6_client_is_limited_by_its_64_block_and_the_defaults_are_fair() -> None:
    from connectors.local.client import address_key
    from connectors.local.connector import LocalRoomSettings

    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("203.0.113.5") == "203.0.113.5" and address_key("") == ""
    settings = LocalRoomSettings()
    assert (settings.max_feeds_per_client, settings.rate_per_minute, settings.address_rate) == (4, 10, 60)
    with pytest.raises(ValueError, match="address_rate_per_minute"):
        LocalRoomSettings(rate_per_minute=10, address_rate_per_minute=15)
