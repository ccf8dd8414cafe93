"""TikTok LIVE against the stand-in: room lookup, sign server, signed one-use push URL, echo-protocol,
cookie, im_enter_room, hb frames, gzip'd frames and acks, cursors across reconnects, reconnect requests,
handshake refusals, the stream's end, and the answer to a price question."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.tiktok.standin import TikTokStandin
from hub.events import LiveState, Reply
from hub.pushframe import WebcastMessage
from hub.testing import collect, comment, fault, make_event, post_events, running_hub, sent, wait_for
from tests.tiktok.helpers import ROOM, event, fast_retries, hub_config, hub_status, stored_ids, tiktok_hub


async def test_a_price_question_is_answered_on_voice_with_bot_chat_off(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TikTokStandin(ping_interval=0.1) as standin, tiktok_hub(tmp_path, standin) as hub:
        connector = hub.connectors["tiktok"]
        with collect(hub, types={"reply", "comment", "gift", "like", "enter", "follow", "stats"}) as events:
            await post_events(standin, comment("1号链接多少钱", user="6801", name="Lin", message_id="4242", room=ROOM),
                              event("gift", 1, gift="Rose", count=5, value="5"), event("like", 2, count=15),
                              event("enter", 3), event("follow", 4), event("stats", 5, viewers=321))
            await wait_for(lambda: any(isinstance(e, Reply) and e.askers for e in events), timeout=30)
        reply = next(e for e in events if isinstance(e, Reply) and e.askers)
        assert reply.askers[0].platform == "tiktok" and reply.askers[0].message_id == "4242"
        assert reply.channel == "voice" and "128" in reply.text
        # the combo streak of five came as five messages; the hub counts it once, at its end, in diamonds
        assert [(g.count, g.value, g.value_cny) for g in events if g.type == "gift"] == [(5, 5, None)]
        assert [(e.type, e.message_id) for e in events if e.type in ("like", "enter", "follow", "stats")] == [
            ("like", str(10**9 + 2)), ("enter", str(10**9 + 3)), ("follow", str(10**9 + 4)), ("stats", str(10**9 + 5))]
        assert next(e for e in events if e.type == "like").count == 15
        assert next(e for e in events if e.type == "stats").viewers == 321
        await wait_for(lambda: standin.figures["heartbeats"] >= 3 and standin.figures["acks"] >= 1)
        status = connector.status()
        assert status["can_send_chat"] is False and status["counts"]["streak_steps"] == 4
        assert (standin.figures["bad_acks"], standin.figures["refused"], standin.figures["enter_room"]) == (0, 0, 1)
        assert await sent(standin, "chat") == []


async def test_a_price_question_is_answered_in_chat_when_bot_chat_is_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TikTokStandin(send_chat=True) as standin, tiktok_hub(tmp_path, standin) as hub:
        assert hub.connectors["tiktok"].status()["can_send_chat"] is True
        await post_events(standin, comment("1号链接多少钱", user="6801", name="Lin", message_id="4243", room=ROOM))
        await wait_for(lambda: standin.sent("chat"), timeout=30)
        chat = standin.sent("chat")[0]
        assert chat["text"].startswith("@Lin ") and "128" in chat["text"] and chat["room"] == ROOM


async def test_the_chat_route_rate_limit_is_waited_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TikTokStandin(send_chat=True) as standin, tiktok_hub(tmp_path, standin) as hub:
        await fault(standin, "rate_limit", count=2)
        await post_events(standin, comment("1号链接多少钱", user="6801", name="Lin", message_id="4244", room=ROOM))
        await wait_for(lambda: standin.sent("chat"), timeout=30)
        outbox = hub.connectors["tiktok"].status()["outbox"]
        assert standin.figures["chat_rate_limited"] == 2 and outbox["delayed"] >= 1 and outbox["failed"] == 0


async def test_a_blocked_handshake_is_auth_failed_with_the_servers_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TikTokStandin(block="DEVICE_BLOCKED: too many connections") as standin:
        async with running_hub(config=hub_config(tmp_path, standin)) as hub:
            connector = hub.connectors["tiktok"]
            await wait_for(lambda: connector.state == "auth_failed", timeout=10)
            assert "DEVICE_BLOCKED: too many connections" in connector.last_error
            assert standin.figures["blocked"] == 1  # not retried blindly


async def test_a_refused_api_key_is_auth_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TikTokStandin() as standin, TikTokStandin(api_key="another") as other:
        async with running_hub(config=hub_config(tmp_path, standin, api_key=other.connector_config()["api_key"])) as hub:
            connector = hub.connectors["tiktok"]
            await wait_for(lambda: connector.state == "auth_failed", timeout=10)
            assert "401" in connector.last_error


async def test_a_silent_client_is_closed_and_comes_back_from_its_cursor_with_a_fresh_url(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TikTokStandin(ping_interval=30, heartbeat_timeout=0.3) as standin, \
            tiktok_hub(tmp_path, standin) as hub:  # the first hb only, then silence for 30 s
        await post_events(standin, *[event("comment", n, text=f"hi{n}") for n in range(3)])
        await wait_for(lambda: standin.figures["heartbeat_timeouts"] >= 1, timeout=10)
        await post_events(standin, *[event("comment", n, text=f"hi{n}") for n in range(3, 6)])
        connector = hub.connectors["tiktok"]
        await wait_for(lambda: connector.ingested >= 6, timeout=10)
        await hub.events_stored(timeout=5)
        assert sorted(await stored_ids(hub, "comment")) == [str(10**9 + n) for n in range(6)]
        assert standin.figures["fetches"] >= 2 and standin.figures["refused"] == 0  # a new URL each time


async def test_a_reconnect_request_reconnects_at_once_and_loses_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TikTokStandin(ping_interval=0.2) as standin, tiktok_hub(tmp_path, standin) as hub:
        connector = hub.connectors["tiktok"]
        with collect(hub, types={"connector_state"}) as changes:
            await post_events(standin, *[event("comment", n, text=f"a{n}") for n in range(5)])
            await wait_for(lambda: connector.ingested >= 5, timeout=10)
            assert (await fault(standin, "reconnect"))["asked"] == 1  # through the control API
            await post_events(standin, *[event("comment", n, text=f"b{n}") for n in range(5, 10)])
            await wait_for(lambda: connector.ingested >= 10, timeout=10)
        assert connector.status()["counts"]["reconnect_requests"] == 1
        assert standin.figures["connections"] == 2 and standin.figures["fetches"] == 2
        assert [e.state for e in changes if e.connector == "tiktok"] == []  # ready throughout


async def test_the_stream_end_is_published_and_the_connector_stops(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TikTokStandin(ping_interval=0.2) as standin, tiktok_hub(tmp_path, standin) as hub:
        with collect(hub, types={"live_state"}) as events:
            await post_events(standin, make_event("live_state", platform="tiktok", room=ROOM, state="ended"))
            connector = hub.connectors["tiktok"]
            await wait_for(lambda: connector.state == "stopped", timeout=10)
        assert [(e.state, e.platform, e.room) for e in events if isinstance(e, LiveState)] == [
            ("ended", "tiktok", "main")]
        calls = standin.calls
        await fault(standin, "disconnect")
        assert standin.calls == calls  # it does not come back


async def test_unknown_methods_are_counted_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TikTokStandin(ping_interval=0.2) as standin, tiktok_hub(tmp_path, standin) as hub:
        standin.log[ROOM] += [WebcastMessage("WebcastLinkMicBattle", b"\x08\x01", msg_id=77),
                              WebcastMessage("WebcastOecLiveShoppingMessage", b"", msg_id=78)]
        await post_events(standin, event("comment", 1, text="still here"))
        connector = hub.connectors["tiktok"]
        await wait_for(lambda: connector.ingested >= 1, timeout=10)
        assert connector.status()["unmapped"] == {"WebcastLinkMicBattle": 1, "WebcastOecLiveShoppingMessage": 1}
        assert connector.state == "ready"


async def test_ready_retrying_ready_across_an_outage_is_visible_in_the_status_api(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TikTokStandin(ping_interval=0.2) as standin, tiktok_hub(tmp_path, standin) as hub:
        connector = hub.connectors["tiktok"]
        with collect(hub, types={"connector_state"}) as changes:
            states = lambda: [e.state for e in changes if e.connector == "tiktok"]  # noqa: E731
            await fault(standin, "outage", seconds=0.5)
            await wait_for(lambda: "retrying" in states(), timeout=10)
            during = await hub_status(hub)
            await wait_for(lambda: "ready" in states()[states().index("retrying"):], timeout=15)
        rows = lambda status: [c for c in status["connectors"] if c["name"] == "tiktok"]  # noqa: E731
        assert [c["state"] for c in rows(during)] in (["retrying"], ["ready"])
        assert "503" in connector.last_error or rows(during)[0]["last_error"]
        after = rows(await hub_status(hub))[0]
        assert after["state"] == "ready" and after["platform"] == "tiktok" and after["room_id"] == ROOM


async def test_the_sign_servers_rate_limit_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with TikTokStandin(ping_interval=0.2, sign_rate=2, sign_burst=1) as standin, \
            tiktok_hub(tmp_path, standin) as hub:
        connector = hub.connectors["tiktok"]
        for _ in range(3):
            await fault(standin, "disconnect")
        await wait_for(lambda: standin.figures["sign_rate_limited"] >= 1, timeout=10)
        await wait_for(lambda: connector.state == "ready", timeout=15)
        await post_events(standin, event("comment", 9, text="back"))
        await wait_for(lambda: connector.ingested >= 1, timeout=10)
