"""WebSockets about a room reach the room's process from any process (#18 item 3): the public live page's chat
feed opened on a process that does not run the room is bridged to the one that does, both ways, and a comment
posted through the first process comes back on it; a handshake the room's process refuses is refused alike."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from hub.testing import running_hub, wait_for


def config(db_url: str, node: str, capacity: int) -> dict[str, Any]:
    return {"hub": {"database_url": db_url, "name": node}, "web": {"enabled": True, "port": 0},
            "connectors": {"room": {"type": "local", "room": "main"}},
            "rooms": {"main": {"public": True, "locale": "en"}},
            "cluster": {"enabled": True, "node": node, "lease_s": 1.5, "capacity": capacity}}


async def test_the_live_pages_chat_feed_on_any_process_is_the_rooms_own(db_url: str) -> None:
    async with running_hub(config=config(db_url, "a", 1)) as a:
        await wait_for(lambda: a.cluster.owns("main") and "room" in a.connectors, timeout=10)
        async with running_hub(config=config(db_url, "b", 0)) as b, aiohttp.ClientSession() as http:
            assert "room" not in b.connectors  # the room's connector runs in a only
            base = f"http://127.0.0.1:{b.web.port}/live/main"
            viewer = "viewer-0001"
            async with http.ws_connect(f"{base}/feed?viewer_id={viewer}&name=Ann") as ws:
                hello = await asyncio.wait_for(ws.receive_json(), 10)
                assert hello["type"] == "hello", hello
                async with http.post(f"{base}/comments", json={"name": "Ann", "text": "is the tea fresh?",
                                                              "viewer_id": viewer, "message_id": "msg-0001"}) as answer:
                    assert answer.status == 202, await answer.text()
                seen: list[dict[str, Any]] = []
                while not any(m.get("text") == "is the tea fresh?" for m in seen):
                    seen.append(await asyncio.wait_for(ws.receive_json(), 10))
                await ws.send_str("ping from the page")  # the page's own messages reach the room (and are ignored)
            assert (await a.storage.recent_events(limit=5, type="comment", room="main"))[0]["message_id"] == "msg-0001"
            async with http.get(f"{base}/feed") as refused:  # no Upgrade: the room's process says why
                assert refused.status == 400
