"""Twitch chat through Helix against the stand-in: a price question answered in chat (threaded to the
asker), drops (``is_sent: false``) counted and shown, the 429 of the chat limit, the 500-character limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.twitch.standin import TwitchStandin
from hub.events import Reply
from hub.testing import collect, comment, fault, post_events, wait_for
from tests.twitch.helpers import ROOM, fast_retries, twitch_hub


async def test_a_price_question_is_answered_in_chat_threaded_to_the_asker(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TwitchStandin() as standin, twitch_hub(tmp_path, standin) as hub:
        with collect(hub, types={"reply"}) as replies:
            await post_events(standin, comment("1号链接多少钱", user="4145994", name="viewer32", message_id="cc106a89",
                                               room=ROOM))
            await wait_for(lambda: standin.sent("chat"), timeout=30)
        chat = standin.sent("chat")
        assert chat[0]["text"].startswith("@viewer32 ") and "128" in chat[0]["text"]
        assert chat[0]["reply_parent_message_id"] == "cc106a89"
        assert chat[0]["sender_id"] == standin.bot_user_id
        assert all(len(m["text"]) <= 500 for m in chat)
        answer = next(r for r in replies if isinstance(r, Reply) and r.askers)
        assert answer.askers[0].platform == "twitch"
        status = hub.connectors["twitch"].status()
        assert status["outbox"]["sent"] >= 1 and status["ratelimit"]["limit"] == 800


async def test_a_dropped_message_is_counted_and_shown_and_a_429_is_waited_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TwitchStandin() as standin, twitch_hub(tmp_path, standin) as hub:
        connector = hub.connectors["twitch"]
        # the hub's own word list lets it through; Twitch's AutoMod (the stand-in's banned list) drops it
        connector.post_chat("this has a badword in it", key="k1")
        await wait_for(lambda: connector.chat_drops["msg_rejected"] == 1, timeout=10)
        status = connector.status()
        assert status["chat_drops"] == {"msg_rejected": 1} and status["outbox"]["drops"].get("rejected") == 1
        assert "msg_rejected" in status["outbox"]["last_error"]
        metrics = await _metrics(hub)
        assert 'livehub_twitch_chat_drops_total{code="msg_rejected",connector="twitch"} 1.0' in metrics
        await fault(standin, "rate_limit", count=1)
        connector.post_chat("hello chat", key="k2")
        await wait_for(lambda: any(m["text"] == "hello chat" for m in standin.sent("chat")), timeout=10)
        assert standin.figures["chat_rate_limited"] == 1 and connector.outbox_status()["delayed"] >= 1


async def test_the_stand_in_holds_the_chat_limit_and_the_length(tmp_path: Path) -> None:
    import aiohttp

    async with TwitchStandin(chat_limit="2") as standin:
        headers = {"Authorization": f"Bearer {standin.access_token}", "Client-Id": standin.client_id}
        body = {"broadcaster_id": ROOM, "sender_id": standin.bot_user_id, "message": "hi"}
        async with aiohttp.ClientSession() as http:
            statuses = []
            for _ in range(3):
                async with http.post(f"{standin.url}/helix/chat/messages", json=body, headers=headers) as resp:
                    statuses.append(resp.status)
                    last = resp.headers
            assert statuses == [200, 200, 429] and last["Ratelimit-Remaining"] == "0"
            async with http.post(f"{standin.url}/helix/chat/messages", headers=headers,
                                 json={**body, "message": "x" * 501}) as resp:
                assert resp.status == 400
            async with http.post(f"{standin.url}/helix/chat/messages", json=body,
                                 headers={**headers, "Client-Id": "other"}) as resp:
                assert resp.status == 401


async def _metrics(hub: object) -> str:
    from tests.twitch.helpers import http_get

    return await http_get(hub, "/metrics")
