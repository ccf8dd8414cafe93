"""Douyin's webcast feed against the stand-in: page, signer, signed WebSocket, gzip'd frames, acks, PING
heartbeats, cursors across reconnects, the room's end, and the acceptance run."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.douyin.standin import DouyinStandin
from hub.events import LiveState, Reply
from hub.testing import collect, comment, fault, make_event, post_events, wait_for
from tests.douyin.helpers import douyin_hub, fast_retries, stored_ids


def event(kind: str, n: int, **fields: object) -> object:
    return make_event(kind, platform="douyin", room="7001", message_id=str(10**9 + n),
                      user={"id": str(5000 + n % 40), "name": f"观众{n % 40}"}, **fields)


async def test_comments_arrive_acked_with_heartbeats_and_a_price_question_is_answered_on_voice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with DouyinStandin(mode="webcast") as standin, douyin_hub(tmp_path, standin, heartbeat_s=0.1) as hub:
        with collect(hub, types={"reply", "comment", "gift"}) as events:
            await post_events(standin, comment("1号链接多少钱", user="61", name="小林", message_id="4242", room="7001"),
                              event("gift", 1, gift="小心心", count=5, value="50"))
            await wait_for(lambda: any(isinstance(e, Reply) and e.askers for e in events), timeout=30)
        reply = next(e for e in events if isinstance(e, Reply) and e.askers)
        assert reply.askers[0].platform == "douyin" and reply.askers[0].message_id == "4242"
        assert reply.channel == "voice" and "128" in reply.text
        gifts = [e for e in events if e.type == "gift"]
        # the combo streak of five came as five messages; the hub counts it once, at its end
        assert [(g.count, g.value, g.value_cny) for g in gifts] == [(5, 50, 5)]
        await wait_for(lambda: standin.webcast_figures["pings"] >= 3 and standin.webcast_figures["acks"] >= 1)
        assert standin.webcast_figures["bad_acks"] == 0
        assert standin.webcast_figures["refused"] == 0


async def test_a_wrong_signature_is_refused_and_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with DouyinStandin(mode="webcast") as standin, DouyinStandin(mode="webcast", signer_key="other") as bad:
        from hub.testing import running_hub
        from tests.douyin.helpers import hub_config

        config = hub_config(tmp_path, standin, signer_url=f"{bad.url}/signer")
        async with running_hub(config=config) as hub:
            connector = hub.connectors["douyin"]
            await wait_for(lambda: standin.webcast_figures["refused"] >= 1, timeout=10)
            await wait_for(lambda: connector.state == "retrying", timeout=10)
            assert "403" in connector.last_error


async def test_a_silent_client_is_closed_and_comes_back_from_its_cursor(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with DouyinStandin(mode="webcast", heartbeat_timeout=0.3) as standin, \
            douyin_hub(tmp_path, standin, heartbeat_s=30) as hub:  # the first PING only, then silence
        await post_events(standin, *[event("comment", n, text=f"在吗{n}") for n in range(3)])
        await wait_for(lambda: standin.webcast_figures["heartbeat_timeouts"] >= 1, timeout=10)
        await post_events(standin, *[event("comment", n, text=f"在吗{n}") for n in range(3, 6)])
        connector = hub.connectors["douyin"]
        await wait_for(lambda: connector.ingested >= 6, timeout=10)
        await hub.events_stored(timeout=5)
        assert sorted(await stored_ids(hub, "comment")) == [str(10**9 + n) for n in range(6)]


async def test_the_end_of_the_live_is_published_and_the_connector_stops(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with DouyinStandin(mode="webcast") as standin, douyin_hub(tmp_path, standin, heartbeat_s=0.2) as hub:
        with collect(hub, types={"live_state"}) as events:
            await post_events(standin, make_event("live_state", platform="douyin", room="7001", state="ended"))
            connector = hub.connectors["douyin"]
            await wait_for(lambda: connector.state == "stopped", timeout=10)
        assert [(e.state, e.platform, e.room) for e in events if isinstance(e, LiveState)] == [
            ("ended", "douyin", "main")]
        connections = standin.calls
        await fault(standin, "disconnect")
        assert standin.calls == connections  # it does not come back


@pytest.mark.slow
async def test_ten_thousand_events_twenty_disconnects_none_lost_none_repeated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    fields = {"comment": {"text": "好看"}, "gift": {"gift": "玫瑰", "count": 2, "value": "20"}, "like": {"count": 3},
              "enter": {}, "follow": {}}
    kinds = tuple(fields)
    expected: dict[str, set[str]] = {kind: set() for kind in kinds}
    async with DouyinStandin(mode="webcast", batch=40) as standin, \
            douyin_hub(tmp_path, standin, heartbeat_s=0.5) as hub:
        connector = hub.connectors["douyin"]
        with collect(hub, types={"connector_state"}) as changes:
            for round_ in range(20):
                batch = []
                for n in range(round_ * 500, (round_ + 1) * 500):
                    kind = kinds[n % len(kinds)]
                    expected[kind].add(str(10**9 + n))
                    batch.append(event(kind, n, **fields[kind]))
                await post_events(standin, *batch)
                await wait_for(lambda: connector.state == "ready", timeout=10)
                await fault(standin, "disconnect")
            total = sum(len(ids) for ids in expected.values())
            await wait_for(lambda: connector.ingested >= total, timeout=60, interval=0.1)
        states = [e.state for e in changes if e.connector == "douyin"]
        await hub.events_stored(timeout=10)
        for kind in kinds:
            ids = await stored_ids(hub, kind)
            assert len(ids) == len(set(ids)), f"{kind}: repeated"
            assert set(ids) == expected[kind], f"{kind}: {len(expected[kind] - set(ids))} lost"
        assert states.count("retrying") >= 10 and "ready" in states[states.index("retrying"):]
        assert standin.webcast_figures["duplicates_sent"] > 0 and connector.duplicates > 0
