"""The built-in live room over HTTP: the page, comment intake, the public feed, product data."""

from __future__ import annotations

import json

import aiohttp

from hub.events import Asker, Reply, StageChange, StreamState, User
from hub.testing import collect, wait_for

VIEWER = "viewer-0123456789"


def comment(text: str, message_id: str, **fields: object) -> dict:
    return {"name": "小雨", "text": text, "viewer_id": VIEWER, "message_id": message_id, **fields}


async def test_the_viewer_page_is_served_at_root_and_by_room_with_the_stable_test_ids(room_hub, client) -> None:
    for path in ("/", "/live/main"):
        async with client.get(room_hub.web.url + path) as response:
            assert response.status == 200
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
            page = await response.text()
        assert 'data-room="main"' in page and "晨光好物" in page
        for testid in ("stage-video", "chat-log", "comment-input", "send-button"):
            assert f'data-testid="{testid}"' in page
    async with client.get(room_hub.web.url + "/assets/live/room.js") as response:
        script = await response.text()
    assert response.status == 200 and 'dataset.testid = "chat-message"' in script and "dataset.author" in script


async def test_rooms_that_are_not_public_or_not_local_are_not_found(room_hub, client) -> None:
    url = room_hub.web.url
    for room in ("back", "other", "nope"):
        async with client.get(f"{url}/live/{room}") as response:
            assert response.status == 404
        async with client.post(f"{url}/live/{room}/comments", json=comment("hi", "m-0000-0001")) as response:
            assert response.status == 404
        async with client.get(f"{url}/live/{room}/feed") as response:
            assert response.status == 404
    async with client.get(f"{url}/assets/live/..%2Fconnector.py") as response:
        assert response.status == 404


async def test_a_comment_enters_the_bus_once_even_when_resent(room_hub, client) -> None:
    url = f"{room_hub.web.url}/live/main/comments"
    with collect(room_hub, ["comment"]) as seen:
        async with client.post(url, json=comment(" 1号链接\u200b多少钱\n", "m-1111-aaaa")) as response:
            assert response.status == 202
            # id and status only: submitted text is never echoed (it would pass the secret redactor)
            assert await response.json() == {"id": "m-1111-aaaa", "duplicate": False}
        async with client.post(url, json=comment("1号链接多少钱", "m-1111-aaaa")) as response:
            assert response.status == 200 and (await response.json())["duplicate"] is True
        async with client.post(url, json=comment("marker", "m-1111-zzzz")) as response:
            assert response.status == 202
        await wait_for(lambda: any(e.text == "marker" for e in seen), timeout=5)  # the bus keeps order
    assert [e.text for e in seen] == ["1号链接多少钱", "marker"]
    event = seen[0]
    assert (event.platform, event.room, event.text, event.message_id) == ("local", "main", "1号链接多少钱",
                                                                          "m-1111-aaaa")
    assert (event.user.id, event.user.name) == (VIEWER, "小雨")


async def test_bad_comments_say_which_field(room_hub, client) -> None:
    url = f"{room_hub.web.url}/live/main/comments"
    async with client.post(url, json=comment("x" * 201, "m-2222-bbbb")) as response:
        assert response.status == 400 and (await response.json())["field"] == "text"
    async with client.post(url, json={"text": "hi"}) as response:
        assert response.status == 400 and (await response.json())["field"] == "viewer_id"
    async with client.post(url, data=b"not json", headers={"Content-Type": "application/json"}) as response:
        assert response.status == 400 and (await response.json())["field"] == "body"


async def test_a_fast_viewer_is_told_to_wait(room_hub, client) -> None:
    url = f"{room_hub.web.url}/live/main/comments"
    statuses = []
    for i in range(4):  # the room allows 3 a minute per viewer (viewer id) and address
        async with client.post(url, json=comment(f"第{i}条", f"m-3333-{i:04d}")) as response:
            statuses.append(response.status)
            retry_after = response.headers.get("Retry-After")
    assert statuses == [202, 202, 202, 429]
    assert retry_after is not None and 1 <= int(retry_after) <= 60
    async with client.post(url, json=comment("换个名字", "m-3333-9998", name="阿明")) as response:
        assert response.status == 429  # a new display name is the same viewer
    async with client.post(url, json=comment("我是别人", "m-3333-9999", viewer_id="viewer-another-01")) as response:
        assert response.status == 202  # another viewer on the same address has its own allowance


async def test_the_feed_carries_this_rooms_chat_and_host_replies_only(room_hub, client) -> None:
    url = room_hub.web.url
    async with client.ws_connect(f"{url}/live/main/feed?viewer_id={VIEWER}&name=小雨") as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["type"] == "hello" and hello["room"] == "main" and hello["viewers"] == 1
        async with client.post(f"{url}/live/main/comments", json=comment("包邮吗", "m-4444-0001")) as response:
            assert response.status == 202
        await room_hub.publish(Reply(platform="livehub", room="other", text="别的房间", channel="voice"))
        await room_hub.publish(StreamState(platform="livehub", room="main", output="rtmp", state="live"))
        await room_hub.publish(StageChange(platform="livehub", room="main", sku="TEA-001"))
        await room_hub.publish(Reply(platform="local", room="main", text="全国包邮哦", channel="chat",
                                     kind="answer"))
        messages = []
        while not any(m.get("text") == "全国包邮哦" for m in messages):
            messages.append(json.loads((await ws.receive(timeout=5)).data))
    chat = [m for m in messages if m["type"] == "chat"]
    assert {(m["author"], m["name"], m["text"], m["channel"]) for m in chat} >= {
        ("viewer", "小雨", "包邮吗", "chat"), ("host", "主播", "全国包邮哦", "chat")}
    assert all(m["text"] != "别的房间" for m in chat)
    assert {"type": "stage", "sku": "TEA-001"} in messages
    assert {m["type"] for m in messages} <= {"chat", "stage", "viewers"}


async def test_the_page_shows_every_voice_line_but_only_chat_answers_to_its_own_viewers(room_hub, client) -> None:
    def to(platform: str, name: str) -> list[Asker]:
        return [Asker(platform, User(f"id-{name}", name), f"m-{name}")]

    url = room_hub.web.url
    async with client.ws_connect(f"{url}/live/main/feed") as ws:
        await ws.receive_json(timeout=5)
        await room_hub.publish(Reply(platform="livehub", room="main", text="抖音观众问的包邮吗：包邮。",
                                     channel="voice", askers=to("douyin", "阿抖")))  # everyone hears it
        await room_hub.publish(Reply(platform="livehub", room="main", text="只在抖音聊天区",
                                     channel="chat", askers=to("douyin", "阿抖")))
        await room_hub.publish(Reply(platform="livehub", room="main", text="今天发货",
                                     channel="chat", askers=to("local", "小雨")))
        await room_hub.publish(Reply(platform="livehub", room="main", text="结束", channel="voice"))
        messages = []
        while sum(m.get("text") in ("@小雨 今天发货", "结束") for m in messages) < 2:
            messages.append(json.loads((await ws.receive(timeout=5)).data))
    chat = {(m["author"], m["text"], m["channel"]) for m in messages if m["type"] == "chat"}
    assert chat == {("host", "抖音观众问的包邮吗：包邮。", "voice"), ("host", "@小雨 今天发货", "chat"),
                    ("host", "结束", "voice")}
    status = room_hub.connectors["room"].status()
    assert (status["platform"], status["chat_replies"], status["outbox"]["sent"]) == ("local", "chat", 1)


async def test_a_late_viewer_gets_the_recent_chat_and_the_stage(room_hub, client) -> None:
    url = room_hub.web.url
    await room_hub.publish(StageChange(platform="livehub", room="main", sku="MUG-002"))
    await room_hub.publish(Reply(platform="local", room="main", text="2号链接89元", kind="answer"))
    connector = room_hub.connectors["room"]
    await wait_for(lambda: connector.history and connector.stage_sku == "MUG-002", timeout=5)
    async with client.ws_connect(f"{url}/live/main/feed") as ws:
        hello = await ws.receive_json(timeout=5)
    assert hello["stage_sku"] == "MUG-002"
    assert [(m["author"], m["text"], m["kind"]) for m in hello["history"]] == [("host", "2号链接89元", "answer")]


async def test_opening_the_feed_announces_the_viewer_once(room_hub, client) -> None:
    url = f"{room_hub.web.url}/live/main/feed?viewer_id={VIEWER}&name=小雨"
    with collect(room_hub, ["enter"]) as entered:
        for _ in range(2):
            async with client.ws_connect(url) as ws:
                await ws.receive_json(timeout=5)
        async with client.ws_connect(f"{room_hub.web.url}/live/main/feed?viewer_id=marker-0123456") as ws:
            await ws.receive_json(timeout=5)
        await wait_for(lambda: any(e.user.id == "marker-0123456" for e in entered), timeout=5)
    assert [(e.platform, e.room, e.user.id, e.user.name) for e in entered] == [
        ("local", "main", VIEWER, "小雨"), ("local", "main", "marker-0123456", "观众3456")]


async def test_links_and_abuse_are_not_shown_to_other_viewers(room_hub, client) -> None:
    url = room_hub.web.url
    async with client.ws_connect(f"{url}/live/main/feed") as ws:
        await ws.receive_json(timeout=5)
        for i, text in enumerate(("加我看 www.cheap-deals.com", "正常的问题")):
            async with client.post(f"{url}/live/main/comments",
                                   json=comment(text, f"m-5555-{i:04d}", viewer_id=f"viewer-{i}-abcdefgh")) as r:
                assert r.status == 202  # accepted: the sender sees it, triage decides about it
        shown = []
        while "正常的问题" not in shown:
            message = json.loads((await ws.receive(timeout=5)).data)
            if message["type"] == "chat":
                shown.append(message["text"])
    assert shown == ["正常的问题"]


async def test_room_info_lists_the_products_and_serves_their_images(room_hub, client) -> None:
    url = room_hub.web.url
    async with client.get(f"{url}/live/main/info") as response:
        info = await response.json()
    assert info["room"] == "main" and info["title"].startswith("晨光好物") and info["max_comment_chars"] == 200
    first = info["products"][0]
    assert (first["link"], first["sku"], first["price"], first["promo_price"]) == (1, "TEA-001", "168.00", "128.00")
    async with client.get(url + first["image"]) as response:
        assert response.status == 200 and (await response.read())[:4] == b"\x89PNG"
    async with client.get(f"{url}/live/main/products/NOPE/image") as response:
        assert response.status == 404


async def test_the_feed_refuses_viewers_beyond_the_rooms_limit(room_hub, client) -> None:
    connector = room_hub.connectors["room"]
    connector.config = connector.config.model_copy(update={"max_viewers": 1})
    url = f"{room_hub.web.url}/live/main/feed"
    async with client.ws_connect(url) as first:
        await first.receive_json(timeout=5)
        try:
            async with client.ws_connect(url):
                raise AssertionError("a second viewer was let in")
        except aiohttp.WSServerHandshakeError as exc:
            assert exc.status == 503


async def test_the_rooms_own_title_names_the_page_unless_the_connector_sets_one(tmp_path, client) -> None:
    from hub.testing import running_hub
    from tests.live_room.conftest import room_config

    config = room_config(rooms={"main": {"public": True, "title": "春茶专场"}})
    async with running_hub(config=config) as hub:
        async with client.get(f"{hub.web.url}/live/main/info") as response:
            assert (await response.json())["title"] == "春茶专场"
        hub.connectors["room"].config = hub.connectors["room"].config.model_copy(update={"title": "页面标题"})
        async with client.get(f"{hub.web.url}/live/main/info") as response:
            assert (await response.json())["title"] == "页面标题"
