"""The acceptance run: 10,000 mixed viewer events through the stand-in while the connection is dropped
twenty times and the server asks for reconnects (``REENTER_LIVE_ROOM``); every event arrives once,
counted by message id. Also: the open platform through dropped connections, a game's end and expiry."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.bilibili.standin import BilibiliStandin
from hub.testing import collect, fault, post_events, wait_for
from tests.bilibili.helpers import bilibili_hub, event, fast_retries, hub_status, stored_ids

FIELDS = {"comment": {"text": "主播好"}, "gift": {"gift": "小花花", "count": 2, "value": "200"}, "like": {},
          "enter": {}, "follow": {}}


@pytest.mark.slow
async def test_ten_thousand_events_twenty_disconnects_and_reconnect_requests_none_lost_none_repeated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    kinds = tuple(FIELDS)
    expected: dict[str, set[str]] = {kind: set() for kind in kinds}
    async with BilibiliStandin(mode="web", batch=40) as standin, \
            bilibili_hub(tmp_path, standin, heartbeat_s=0.5, reenter_max_s=0) as hub:
        connector = hub.connectors["bilibili"]
        with collect(hub, types={"connector_state"}) as changes:
            for round_ in range(20):
                batch = [event(kinds[n % len(kinds)], n, **FIELDS[kinds[n % len(kinds)]])
                         for n in range(round_ * 500, (round_ + 1) * 500)]
                for answer, sent in zip(await post_events(standin, *batch), batch, strict=True):
                    assert answer["message_id"] == sent.message_id  # the platform's id fields carry it
                    expected[sent.type].add(answer["message_id"])
                await wait_for(lambda: standin.conns and connector.state == "ready", timeout=10)
                if round_ % 5 == 2:
                    assert standin.request_reconnect() == 1
                await fault(standin, "disconnect")
                await wait_for(lambda: not standin.conns, timeout=10)
            total = sum(len(ids) for ids in expected.values())
            await wait_for(lambda: connector.ingested >= total, timeout=60, interval=0.1)
        states = [e.state for e in changes if e.connector == "bilibili"]
        await hub.events_stored(timeout=10)
        for kind in kinds:
            ids = await stored_ids(hub, kind)
            assert len(ids) == len(set(ids)), f"{kind}: repeated"
            assert set(ids) == expected[kind], f"{kind}: {len(expected[kind] - set(ids))} lost"
        assert connector.ingested == total == 10_000
        assert states.count("retrying") >= 10 and "ready" in states[states.index("retrying"):]
        figures = standin.figures
        assert figures["duplicates_sent"] > 0 and figures["redelivered"] > 0 and connector.duplicates > 0
        assert figures["unknown_sent"] > 0 and connector.unmapped["STANDIN_UNKNOWN_CMD"] > 0
        assert figures["auth_refused"] == 0 and standin.api_figures["bad_wbi"] == 0
        counts = connector.status()["counts"]
        assert counts["reconnect_requests"] >= 1 and counts.get("malformed_frames", 0) == 0
        rows = [c for c in (await hub_status(hub))["connectors"] if c["name"] == "bilibili"]
        assert [c["state"] for c in rows] == ["ready"] and rows[0]["ingested"] == 10_000


async def test_open_live_through_disconnects_a_game_end_and_an_expired_game(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    kinds = ("comment", "gift", "like", "enter")
    async with BilibiliStandin(mode="open_live", game_timeout=1.0) as standin, \
            bilibili_hub(tmp_path, standin, heartbeat_s=0.3, project_heartbeat_s=0.2) as hub:
        connector = hub.connectors["bilibili"]
        expected: set[str] = set()
        for round_ in range(4):
            batch = [event(kinds[n % 4], n, **FIELDS[kinds[n % 4]]) for n in range(round_ * 50, (round_ + 1) * 50)]
            expected |= {a["message_id"] for a in await post_events(standin, *batch)}
            await wait_for(lambda: standin.conns and connector.state == "ready", timeout=10)
            if round_ == 1:
                assert standin.request_reconnect() == 1  # LIVE_OPEN_PLATFORM_INTERACTION_END: a new game
            else:
                await fault(standin, "disconnect")
            await wait_for(lambda: not standin.conns, timeout=10)
        await wait_for(lambda: connector.ingested >= len(expected), timeout=20)
        await wait_for(lambda: connector.counts["project_heartbeats"] >= 3, timeout=10)
        await hub.events_stored(timeout=10)
        ids = await stored_ids(hub, *kinds)
        assert sorted(ids) == sorted(expected)
        assert connector.counts["interaction_end"] == 1 and connector.counts["games_started"] >= 5
        calls = [s["call"] for s in standin.sent("api")]
        assert calls.count("start") >= 5 and calls.count("end") >= 4 and "heartbeat" in calls
        # a game whose project heartbeat stops expires (7003): its feed closes and a new game starts
        game = connector.game_id
        monkeypatch.setattr(connector.config, "project_heartbeat_s", 30.0)
        await wait_for(lambda: connector.game_id not in ("", game) and connector.state == "ready", timeout=15)
        assert not standin.games[game]["alive"]  # expired: its connection was closed
