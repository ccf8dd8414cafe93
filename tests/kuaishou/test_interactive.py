"""Kuaishou's interactive long-poll through a hub: a price question answered on voice, refused
credentials, the advised sleep kept, and the acceptance run (10,000 events, 20 disconnects, reconnect
requests, an outage: none lost, none repeated; ready → retrying → ready in the status and /metrics)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.events import Reply
from hub.testing import collect, comment, fault, make_event, post_events, wait_for
from tests.kuaishou.helpers import (
    ROOM,
    fast_retries,
    fast_standin,
    http_get,
    hub_status,
    kuaishou_hub,
    stored_ids,
)


async def test_a_price_question_is_answered_on_voice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with fast_standin() as standin, kuaishou_hub(tmp_path, standin) as hub:
        connector = hub.connectors["kuaishou"]
        with collect(hub, types={"reply"}) as replies:
            await post_events(standin, comment("1号链接多少钱", user="k1", name="小快", message_id="ks-q1", room=ROOM))
            await wait_for(lambda: any(r.askers for r in replies), timeout=30)
        reply = next(r for r in replies if r.askers)
        assert isinstance(reply, Reply) and reply.askers[0].platform == "kuaishou"
        assert reply.askers[0].user.name == "小快" and reply.askers[0].message_id == "ks-q1"
        assert reply.channel == "voice" and "128" in reply.text  # no bot chat on Kuaishou: the host says it
        assert not standin.sent("chat")
        status = connector.status()
        assert status["can_send_chat"] is False and status["anchor"] == "主播" and status["mode"] == "interactive"
        assert standin.figures["early_polls"] == 0  # the advised sleep is kept
    assert standin.figures["disconnects"] == 1  # the hub stopped: the session was closed
    assert standin.sent("api")[-1]["action"] == "disconnect"


async def test_a_refused_code_is_auth_failed_and_not_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    from hub.secrets import SecretValue
    from hub.testing import running_hub
    from tests.kuaishou.helpers import hub_config

    async with fast_standin() as standin:
        config = hub_config(tmp_path, standin, code=SecretValue("wrong", "test"))
        async with running_hub(config=config) as hub:
            connector = hub.connectors["kuaishou"]
            await wait_for(lambda: connector.state == "auth_failed", timeout=10)
            assert "connect refused" in connector.last_error
            assert standin.figures["refused_connects"] == 1


async def test_unmapped_and_unreadable_items_are_counted_and_the_session_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with fast_standin() as standin, kuaishou_hub(tmp_path, standin) as hub:
        connector = hub.connectors["kuaishou"]
        standin.feed += [{"cmd": 9, "payload": {"user": {"id": "1"}}}, {"cmd": 5, "payload": {"taskId": 3}},
                         {"cmd": 3, "payload": "broken"}, "not an item"]
        await post_events(standin, comment("还有货吗", user="k2", message_id="ks-after", room=ROOM))
        await wait_for(lambda: connector.ingested >= 1, timeout=10)
        assert connector.counts["malformed"] == 2 and dict(connector.unmapped) == {"share": 1, "task": 1}
        assert connector.state == "ready"


async def test_a_hub_restart_goes_on_from_the_stored_cursor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)

    def events(first: int, last: int) -> list[object]:
        return [make_event("comment", platform="kuaishou", room=ROOM, message_id=f"r-{n}", text=f"第{n}条",
                           user={"id": f"u{n % 7}", "name": "观众"}) for n in range(first, last)]

    async with fast_standin(sleep_ms=5) as standin:
        async with kuaishou_hub(tmp_path, standin, poll_len=20) as hub:
            await post_events(standin, *events(0, 300))
            await wait_for(lambda: hub.connectors["kuaishou"].ingested >= 100, timeout=10)
        cursor_at_stop = standin.figures["items_sent"]
        await post_events(standin, *events(300, 500))  # while the hub is down
        async with kuaishou_hub(tmp_path, standin, poll_len=20) as hub:
            connector = hub.connectors["kuaishou"]
            assert connector.cursor  # loaded from the database

            async def all_stored() -> bool:
                await hub.events_stored(timeout=5)
                return len(await stored_ids(hub, "comment")) >= 500
            await wait_for(all_stored, timeout=20)
            ids = await stored_ids(hub, "comment")
        assert len(ids) == len(set(ids)) == 500
        # the second hub did not start from the beginning of the feed
        assert standin.figures["items_sent"] - cursor_at_stop < 500


@pytest.mark.slow
async def test_ten_thousand_events_twenty_disconnects_none_lost_none_repeated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    kinds = ("comment", "gift", "like", "follow")
    expected: dict[str, set[str]] = {kind: set() for kind in kinds}
    async with fast_standin(sleep_ms=5, reconnect_every=40) as standin, \
            kuaishou_hub(tmp_path, standin, poll_len=50) as hub:
        connector = hub.connectors["kuaishou"]
        changes = collect(hub, types={"connector_state"})
        state_events = changes.__enter__()
        states = lambda: [e.state for e in state_events if e.connector == "kuaishou"]  # noqa: E731
        dropped = 0

        def status_says(state: str) -> object:
            async def check() -> bool:
                status = await hub_status(hub)
                return [c["state"] for c in status["connectors"] if c["name"] == "kuaishou"] == [state]
            return check

        for round_ in range(20):
            batch = []
            for n in range(round_ * 500, (round_ + 1) * 500):
                kind = kinds[n % 4]
                message_id = f"ks-{n}"
                expected[kind].add(message_id)
                fields = {"comment": {"text": f"好看{n}"}, "gift": {"gift": "棒棒糖", "count": 1 + n % 3, "value": "10"},
                          "like": {"count": 1 + n % 5}, "follow": {}}[kind]
                batch.append(make_event(kind, platform="kuaishou", room=ROOM, message_id=message_id,
                                        user={"id": f"u{n % 50}", "name": f"观众{n % 50}"}, **fields))
            await post_events(standin, *batch)
            # mid-stream, with a poll in flight: dropped; its answer is lost, the cursor did not move past it
            await wait_for(lambda half=round_ * 500 + 250: connector.ingested >= half
                           and standin.state()["live_connections"] > 0, timeout=20, interval=0.002)
            dropped += (await fault(standin, "disconnect"))["dropped"]
            if round_ % 5 == 2:
                await fault(standin, "reconnect")  # the platform ends the session (result 2)
            if round_ == 10:  # the API goes away for a moment: retrying, then ready again
                await fault(standin, "outage", seconds=1.0)
                await wait_for(lambda: "retrying" in states(), timeout=10)
                await wait_for(status_says("retrying"), timeout=10)  # visible in GET /api/v1/status
        total = sum(len(ids) for ids in expected.values())
        await wait_for(lambda: connector.ingested >= total, timeout=60, interval=0.1)
        await wait_for(lambda: connector.state == "ready", timeout=10)
        await hub.events_stored(timeout=10)
        for kind in kinds:
            ids = await stored_ids(hub, kind)
            assert len(ids) == len(set(ids)), f"{kind}: repeated"
            assert set(ids) == expected[kind], f"{kind}: {len(expected[kind] - set(ids))} lost"
        figures = standin.figures
        assert figures["duplicates_sent"] > 0 and connector.duplicates > 0  # repeats came, and were dropped
        assert figures["reconnects_asked"] > 0 and connector.counts["reconnects"] > 0
        assert figures["early_polls"] == 0 and dropped >= 20  # every disconnect dropped a poll in flight
        changes.__exit__(None, None, None)
        assert "ready" in states()[states().index("retrying"):]  # ready -> retrying -> ready
        status = await hub_status(hub)
        assert [c["state"] for c in status["connectors"] if c["name"] == "kuaishou"] == ["ready"]
        metrics = await http_get(hub, "/metrics")
        assert 'livehub_connector_state{connector="kuaishou",state="ready"} 1.0' in metrics
        assert 'livehub_connector_state{connector="kuaishou",state="retrying"} 0.0' in metrics
        assert 'livehub_kuaishou_polls_total{connector="kuaishou",result="items"}' in metrics
