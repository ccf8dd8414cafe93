"""The YouTube connector against its stand-in: answers in chat, streams that end and are reopened, the
fallback to polling, read-only API keys, refused refreshes, the end of the live, quota exhaustion."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.youtube.standin import VIDEO_ID, YoutubeStandin
from hub.events import LiveState, Reply
from hub.secrets import SecretValue
from hub.testing import collect, comment, make_event, post_events, wait_for
from tests.youtube.helpers import fast_retries, stored_ids, youtube_hub


async def test_a_price_question_is_answered_in_chat_and_the_echo_is_not_a_viewer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with YoutubeStandin() as standin, youtube_hub(tmp_path, standin) as hub:
        connector = hub.connectors["youtube"]
        assert connector.transport == "stream" and connector.can_send_chat
        await post_events(standin, comment("这个多少钱", user="UCxiaolin", name="小林", message_id="LCC.ask-1"))
        chat = await wait_for(lambda: standin.sent("chat"), timeout=30)
        assert chat[0]["text"].startswith("@小林 ") and "128" in chat[0]["text"] and len(chat[0]["text"]) <= 200
        await wait_for(lambda: connector.counts["own_messages"] >= 1, timeout=10)  # YouTube echoes it back
        await hub.events_stored(timeout=5)
        assert await stored_ids(hub, "comment") == ["LCC.ask-1"]
        assert (await connector.check()).startswith(f"live chat {connector.chat_id} (OAuth")
        quota = connector.status()["quota"]
        assert quota["calls"]["insert"] == 1 and quota["used"] >= 1 + 5 + 20
        assert standin.quota.today(f"client:{standin.client_id}") == quota["used"]  # both sides agree


async def test_streams_the_server_ends_are_reopened_from_the_page_token_without_an_error_state(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with YoutubeStandin(stream_close_s=0.2) as standin, youtube_hub(tmp_path, standin) as hub:
        connector = hub.connectors["youtube"]
        with collect(hub, types={"connector_state", "comment"}) as seen:
            await post_events(standin, comment("first", user="UC1", message_id="LCC.s1"))
            await wait_for(lambda: connector.counts["streams_closed"] >= 3, timeout=10)
            await post_events(standin, comment("second", user="UC1", message_id="LCC.s2"))
            await wait_for(lambda: [e for e in seen if getattr(e, "message_id", "") == "LCC.s2"], timeout=10)
        assert not [e for e in seen if e.type == "connector_state" and e.state == "retrying"]
        assert [e.message_id for e in seen if e.type == "comment"] == ["LCC.s1", "LCC.s2"]
        offsets = [call["offset"] for call in standin.sent("api") if call["call"] == "streamList"]
        assert offsets[0] == 0 and offsets == sorted(offsets) and 1 in offsets  # resumed after the last message


async def test_auto_falls_back_to_polling_when_streamlist_is_unimplemented(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with YoutubeStandin(stream="off", polling_ms=100) as standin, youtube_hub(tmp_path, standin) as hub:
        connector = hub.connectors["youtube"]
        await post_events(standin, comment("hello", user="UC2", message_id="LCC.p1"))
        await wait_for(lambda: "LCC.p1" in connector.ingested_ids, timeout=10)
        assert connector.transport == "poll" and connector.counts["fallback_to_poll"] == 1
        assert connector.counts["rate_limited"] == 0  # it waited pollingIntervalMillis every time


async def test_an_api_key_reads_and_the_host_answers_on_voice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with YoutubeStandin(credentials="api_key") as standin, youtube_hub(tmp_path, standin) as hub:
        connector = hub.connectors["youtube"]
        assert not connector.can_send_chat and connector.status()["chat_replies"].startswith("voice only")
        with collect(hub, types={"reply"}) as replies:
            await post_events(standin, comment("这个多少钱", user="UC3", name="Mia", message_id="LCC.k1"))
            await wait_for(lambda: [r for r in replies if isinstance(r, Reply) and r.askers], timeout=30)
        assert not standin.sent("chat") and standin.quota.today(f"key:{standin.api_key}") > 0


async def test_a_refused_refresh_token_is_auth_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with YoutubeStandin() as standin:
        standin.refresh_token = "rotated-by-the-user"  # the printed table still has the old one
        async with youtube_hub(tmp_path, standin, ready=False,
                               refresh_token=SecretValue("standin-refresh-token", "test")) as hub:
            connector = hub.connectors["youtube"]
            await wait_for(lambda: connector.state == "auth_failed", timeout=10)
            assert "invalid_grant" in connector.last_error


async def test_the_end_of_the_live_stops_the_connector_and_deletions_and_bans_are_counted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with YoutubeStandin() as standin, youtube_hub(tmp_path, standin) as hub:
        connector = hub.connectors["youtube"]
        await post_events(standin, comment("bye", user="UC4", message_id="LCC.e1"))
        standin.add_message("messageDeletedEvent", message_deleted_details={"deleted_message_id": "LCC.e1"})
        standin.add_message("userBannedEvent", user_banned_details={"ban_type": 1})
        standin.add_message("pollEvent")
        with collect(hub, types={"live_state"}) as ended:
            await post_events(standin, make_event("live_state", platform="youtube", state="ended"))
            await wait_for(lambda: connector.state == "stopped", timeout=10)
        assert isinstance(ended[0], LiveState) and ended[0].state == "ended" and "offlineAt" in ended[0].detail
        assert (connector.counts["deleted"], connector.counts["banned"]) == (1, 1)
        assert connector.unmapped["pollEvent"] == 1
        assert standin.chat(VIDEO_ID).offline_at


async def test_a_spent_quota_is_visible_and_retried_after_the_reset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with YoutubeStandin(quota=11, stream_close_s=0.1) as standin, \
            youtube_hub(tmp_path, standin, ready=False, stream_reopen_s=0) as hub:
        connector = hub.connectors["youtube"]  # 1 (videos) + 5 + 5: the third stream is refused
        await wait_for(lambda: connector.state == "retrying" and "quota" in connector.last_error.lower(), timeout=10)
        status = connector.status()["quota"]
        assert status["left"] == 0 and status["chat_paused"] and standin.quota.refused >= 1
        assert connector.budget.read_delay(0.0) > 0  # it waits for the next Pacific midnight, not hammering


async def test_a_restarted_hub_resumes_from_its_stored_page_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with YoutubeStandin(history=500) as standin:
        async with youtube_hub(tmp_path, standin) as hub:
            await post_events(standin, *(comment(f"a{n}", user="UC5", message_id=f"LCC.r{n}") for n in range(5)))
            await wait_for(lambda: "LCC.r4" in hub.connectors["youtube"].ingested_ids, timeout=10)
        # while the hub is down, viewers go on writing; the history would repeat all ten
        await post_events(standin, *(comment(f"b{n}", user="UC5", message_id=f"LCC.r{n}") for n in range(5, 10)))
        async with youtube_hub(tmp_path, standin) as hub:
            connector = hub.connectors["youtube"]
            await wait_for(lambda: "LCC.r9" in connector.ingested_ids, timeout=10)
            await hub.events_stored(timeout=5)
            assert sorted(await stored_ids(hub, "comment")) == sorted(f"LCC.r{n}" for n in range(10))
            assert connector.duplicates == 0 and connector.ingested == 5  # it asked from the stored page token
