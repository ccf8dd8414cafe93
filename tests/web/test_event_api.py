"""Publishing events over HTTP and reading them back on the WebSocket stream."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from hub.app import Hub
from hub.events import Comment, Reply
from tests.web.webhub import TOKEN, auth


def comment(n: int) -> dict:
    return {"type": "comment", "platform": "test", "room": "r1", "text": f"comment {n}",
            "user": {"id": f"u{n}", "name": f"viewer {n}"}, "message_id": f"m{n}"}


async def receive_json(ws: aiohttp.ClientWebSocketResponse) -> dict:
    msg = await ws.receive(timeout=10)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return msg.json()


async def test_posted_events_stream_back_in_order(hub: Hub, client: aiohttp.ClientSession) -> None:
    async with client.ws_connect(f"{hub.web.url}/api/v1/events/ws", headers=auth()) as ws:
        first = [comment(1), comment(2), comment(3)]
        async with client.post(f"{hub.web.url}/api/v1/events", json=first, headers=auth()) as resp:
            assert resp.status == 202
            assert (await resp.json())["accepted"] == 3
        async with client.post(f"{hub.web.url}/api/v1/events", json=comment(4), headers=auth()) as resp:
            assert resp.status == 202
            assert (await resp.json())["accepted"] == 1
        received = [await receive_json(ws) for _ in range(4)]
    assert [e["text"] for e in received] == ["comment 1", "comment 2", "comment 3", "comment 4"]
    assert received[0]["user"] == {"id": "u1", "name": "viewer 1"}
    assert received[0]["type"] == "comment" and received[0]["message_id"] == "m1"


async def test_websocket_takes_the_token_as_query_and_filters_types(
        hub: Hub, client: aiohttp.ClientSession) -> None:
    url = f"{hub.web.url}/api/v1/events/ws"
    async with client.ws_connect(url, params={"token": TOKEN, "types": "reply,stage"}) as ws:
        await hub.publish(Comment(platform="test", room="r1", text="not for this client"))
        await hub.publish(Reply(platform="livehub", room="r1", text="hello", answers=["x"]))
        got = await receive_json(ws)
    assert got["type"] == "reply" and got["text"] == "hello" and got["answers"] == ["x"]


async def test_websocket_refuses_missing_or_wrong_token(hub: Hub, client: aiohttp.ClientSession) -> None:
    url = f"{hub.web.url}/api/v1/events/ws"
    for kwargs in ({}, {"params": {"token": "nope"}}, {"headers": auth("nope")}):
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await client.ws_connect(url, **kwargs)
        assert caught.value.status == 401


async def test_websocket_rejects_unknown_types_and_plain_http(hub: Hub, client: aiohttp.ClientSession) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
        await client.ws_connect(f"{hub.web.url}/api/v1/events/ws", params={"types": "comment,bogus"},
                                headers=auth())
    assert caught.value.status == 400
    async with client.get(f"{hub.web.url}/api/v1/events/ws", headers=auth()) as resp:
        assert resp.status == 400
        assert "error" in await resp.json()
    assert not any(s["name"].startswith("websocket-") for s in hub.bus.stats())


async def test_each_client_has_a_bounded_dropping_queue_removed_on_disconnect(
        hub: Hub, client: aiohttp.ClientSession) -> None:
    async with client.ws_connect(f"{hub.web.url}/api/v1/events/ws", headers=auth()):
        streams = [s for s in hub.bus.stats() if s["name"].startswith("websocket-")]
        assert len(streams) == 1
        assert streams[0]["overflow"] == "drop_oldest" and streams[0]["maxsize"] == 1000
    for _ in range(200):  # the server notices the close asynchronously; bounded poll
        if not any(s["name"].startswith("websocket-") for s in hub.bus.stats()):
            break
        await asyncio.sleep(0.05)
    assert not any(s["name"].startswith("websocket-") for s in hub.bus.stats())


async def test_stopping_the_hub_closes_websockets(hub: Hub, client: aiohttp.ClientSession) -> None:
    ws = await client.ws_connect(f"{hub.web.url}/api/v1/events/ws", headers=auth())
    await asyncio.wait_for(hub.stop(), timeout=10)
    msg = await ws.receive(timeout=10)
    assert msg.type == aiohttp.WSMsgType.CLOSE
    assert msg.data == aiohttp.WSCloseCode.GOING_AWAY
    await ws.close()


@pytest.mark.parametrize(("body", "field"), [
    ({"type": "comment", "platform": "test", "room": "r1"}, "text"),
    ({"type": "comment", "platform": "test", "room": "r1", "text": 5}, "text"),
    ({"type": "gift", "platform": "test", "room": "r1", "gift": "rose", "count": "many"}, "count"),
    ({"type": "comment", "platform": "test", "room": "r1", "text": "hi", "colour": "red"}, "colour"),
    ({"type": "teleport", "platform": "test", "room": "r1"}, "type"),
    ({"type": ["comment"], "platform": "test", "room": "r1"}, "type"),
    ({"type": "comment", "platform": "test", "room": "r1", "text": "hi", "user": "bob"}, "user"),
])
async def test_malformed_event_is_a_400_naming_the_field(
        hub: Hub, client: aiohttp.ClientSession, body: dict, field: str) -> None:
    async with client.post(f"{hub.web.url}/api/v1/events", json=body, headers=auth()) as resp:
        assert resp.status == 400
        error = await resp.json()
    assert error["field"] == field
    assert error["reason"] and field in error["error"]


async def test_one_bad_event_publishes_nothing_of_the_request(hub: Hub, client: aiohttp.ClientSession) -> None:
    before = hub.bus.accepted
    bad = {"type": "comment", "platform": "test", "room": "r1"}
    async with client.post(f"{hub.web.url}/api/v1/events", json=[comment(1), bad], headers=auth()) as resp:
        assert resp.status == 400
        assert (await resp.json())["index"] == 1
    async with client.post(f"{hub.web.url}/api/v1/events", data=b"{not json",
                           headers={**auth(), "Content-Type": "application/json"}) as resp:
        assert resp.status == 400
    assert hub.bus.accepted == before


async def test_posting_events_needs_the_token(hub: Hub, client: aiohttp.ClientSession) -> None:
    async with client.post(f"{hub.web.url}/api/v1/events", json=comment(1)) as resp:
        assert resp.status == 401
