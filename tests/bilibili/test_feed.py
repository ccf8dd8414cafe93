"""Bilibili against the stand-in: the price question (chat in web mode, voice on the open platform), the
chat's error codes, the connector's states in /api/v1/status, and refused credentials."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from connectors.bilibili.standin import BilibiliStandin
from hub.events import Reply
from hub.secrets import SecretValue
from hub.testing import collect, comment, fault, post_events, running_hub, sent, wait_for
from tests.bilibili.helpers import ROOM, bilibili_hub, event, fast_retries, hub_config, hub_status

QUESTION = "1号链接多少钱"


def chat_text(standin: BilibiliStandin) -> str:
    return "".join(m["text"] for m in standin.sent("chat"))


async def test_a_price_question_is_answered_in_chat_in_web_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with BilibiliStandin(mode="web", chat_interval=0.05) as standin, \
            bilibili_hub(tmp_path, standin, chat_rate_per_s=10, chat_burst=1) as hub:
        with collect(hub, types={"reply"}) as replies:
            await post_events(standin, comment(QUESTION, user="3001", name="Lin", message_id="q-1", room=ROOM))
            await wait_for(lambda: any(r.askers for r in replies), timeout=30)
        reply = next(r for r in replies if r.askers)
        assert reply.askers[0].platform == "bilibili" and reply.askers[0].message_id == "q-1" and "128" in reply.text
        await wait_for(lambda: "128" in chat_text(standin), timeout=30)
        parts = [m["text"] for m in standin.sent("chat")]
        assert parts[0].startswith("@Lin ") and all(len(p) <= 20 for p in parts)  # the safe default length
        connector = hub.connectors["bilibili"]
        await wait_for(lambda: connector.counts["own_chat"] == len(parts))  # the room echoes them: not viewers
        status = connector.status()
        assert status["can_send_chat"] is True and status["chat_auth"] == "ok" and status["ingested"] == 1
        assert status["outbox"]["failed"] == 0 and status["outbox"]["sent"] == len(parts)


async def test_a_price_question_is_answered_on_voice_on_the_open_platform(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with BilibiliStandin(mode="open_live") as standin, bilibili_hub(tmp_path, standin) as hub:
        with collect(hub, types={"reply", "comment", "gift"}) as events:
            await post_events(standin, comment(QUESTION, user="open-abc", name="Lin", message_id="q-2", room=ROOM),
                              event("gift", 1, gift="舰长", count=1, value="198000"),
                              event("gift", 2, gift="小花花", count=3, value="300"))
            await wait_for(lambda: any(isinstance(e, Reply) and e.askers for e in events), timeout=30)
            await wait_for(lambda: len([e for e in events if e.type == "gift"]) == 2)
        reply = next(e for e in events if isinstance(e, Reply) and e.askers)
        assert reply.channel == "voice" and "128" in reply.text and reply.askers[0].user.id == "open-abc"
        gifts = sorted((g.gift, g.count, g.value, g.value_cny) for g in events if g.type == "gift")
        assert gifts == [("小花花", 3, Decimal(300), Decimal("0.3")), ("舰长", 1, Decimal(198000), Decimal(198))]
        assert hub.connectors["bilibili"].status()["can_send_chat"] is False and await sent(standin, "chat") == []


async def test_chat_answers_too_fast_is_waited_out_and_too_long_is_dropped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with BilibiliStandin(mode="web", chat_interval=0.05) as standin, \
            bilibili_hub(tmp_path, standin, chat_rate_per_s=10, too_fast_wait_s=0.05) as hub:
        connector = hub.connectors["bilibili"]
        await fault(standin, "rate_limit", count=2)  # 10031 twice
        connector.post_chat("测试一下", key="k1")
        await wait_for(lambda: standin.sent("chat"), timeout=10)
        outbox = connector.status()["outbox"]
        assert standin.api_figures["chat_too_fast"] == 2 and outbox["delayed"] >= 1 and outbox["failed"] == 0
        standin.chat_max_chars = 4  # the account's level allows less than the hub was told: 1003212
        connector.post_chat("这一句话太长了", key="k2")
        await wait_for(lambda: connector.status()["outbox"]["drops"].get("rejected") == 1, timeout=10)
        assert [m["text"] for m in standin.sent("chat")] == ["测试一下"]


async def test_a_wrong_csrf_stops_the_chat_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with BilibiliStandin(mode="web") as standin, bilibili_hub(tmp_path, standin, bili_jct=SecretValue("wrong", "test")) as hub:
        connector = hub.connectors["bilibili"]
        connector.post_chat("你好", key="k1")
        await wait_for(lambda: connector.chat_auth == "refused", timeout=10)
        assert connector.state == "ready"  # the feed goes on; only the chat is refused
        assert standin.sent("chat") == [] and standin.api_figures["chat_refused"] == 1


async def test_a_logged_out_sessdata_is_auth_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with BilibiliStandin(mode="web") as standin:
        async with running_hub(config=hub_config(tmp_path, standin, sessdata=SecretValue("expired", "test"))) as hub:
            connector = hub.connectors["bilibili"]
            await wait_for(lambda: connector.state == "auth_failed", timeout=10)
            assert "not logged in" in connector.last_error


async def test_a_wrong_open_platform_secret_is_auth_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with BilibiliStandin(mode="open_live") as standin:
        async with running_hub(config=hub_config(tmp_path, standin, access_key_secret=SecretValue("wrong", "test"))) as hub:
            connector = hub.connectors["bilibili"]
            await wait_for(lambda: connector.state == "auth_failed", timeout=10)
            assert "4002" in connector.last_error and standin.api_figures["bad_signature"] == 1


async def test_the_state_goes_ready_retrying_ready_across_an_outage_and_shows_in_the_status_api(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with BilibiliStandin(mode="web") as standin, bilibili_hub(tmp_path, standin) as hub:
        connector = hub.connectors["bilibili"]
        rows = [c for c in (await hub_status(hub))["connectors"] if c["name"] == "bilibili"]
        assert rows[0]["state"] == "ready" and rows[0]["mode"] == "web"
        with collect(hub, types={"connector_state"}) as changes:
            await fault(standin, "outage", seconds=0.5)
            await wait_for(lambda: connector.state == "retrying", timeout=10)
            during = [c for c in (await hub_status(hub))["connectors"] if c["name"] == "bilibili"]
            await wait_for(lambda: connector.state == "ready", timeout=15)
            states = lambda: [e.state for e in changes if e.connector == "bilibili"]  # noqa: E731
            await wait_for(lambda: states()[-1:] == ["ready"])  # the bus delivers it a moment later
        states = states()
        assert during[0]["state"] == "retrying" and during[0]["last_error"]
        assert states[0] == "retrying" and states[-1] == "ready"
        rows = [c for c in (await hub_status(hub))["connectors"] if c["name"] == "bilibili"]
        assert rows[0]["state"] == "ready"
