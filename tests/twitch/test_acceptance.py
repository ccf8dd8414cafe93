"""The acceptance run: 10,000 mixed viewer events through the stand-in while the socket is dropped twenty
times and the server asks for session reconnects; every event arrives once, counted by message id. (Twitch
has no likes: the mix is chat messages, cheers, subs, raids and follows.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.twitch.standin import TwitchStandin
from hub.testing import collect, fault, post_events, wait_for
from tests.twitch.helpers import event, fast_retries, http_get, stored_ids, twitch_hub

FIELDS = {"comment": {"text": "nice"}, "gift": {"gift": "bits", "count": 1, "value": "100"}, "enter": {},
          "follow": {}}


@pytest.mark.slow
async def test_ten_thousand_events_twenty_disconnects_and_reconnects_none_lost_none_repeated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    kinds = tuple(FIELDS)
    expected: dict[str, set[str]] = {kind: set() for kind in kinds}
    async with TwitchStandin(reconnect_every=300, duplicate_every=97) as standin, \
            twitch_hub(tmp_path, standin) as hub:
        connector = hub.connectors["twitch"]
        with collect(hub, types={"connector_state"}) as changes:
            for round_ in range(20):
                batch = []
                for n in range(round_ * 500, (round_ + 1) * 500):
                    kind = kinds[n % len(kinds)]
                    expected[kind].add(f"tw-{n}")
                    batch.append(event(kind, n, **FIELDS[kind]))
                await post_events(standin, *batch)
                if round_ % 4 == 1:  # session_reconnect: the client moves to the new socket, no gap, no retrying
                    moved = standin.ws_figures["reconnected"]
                    await fault(standin, "reconnect")
                    await wait_for(lambda moved=moved: standin.ws_figures["reconnected"] > moved, timeout=10)
                session = connector.client.session_id
                assert (await fault(standin, "disconnect"))["dropped"] >= 1
                await wait_for(lambda old=session: connector.state == "ready" and connector.client.session_id != old,
                               timeout=10)
            total = sum(len(ids) for ids in expected.values())
            await wait_for(lambda: connector.ingested >= total, timeout=60, interval=0.1)
            await wait_for(lambda: connector.state == "ready", timeout=10)
        states = [e.state for e in changes if e.connector == "twitch"]
        await hub.events_stored(timeout=10)
        for kind in kinds:
            ids = await stored_ids(hub, kind)
            assert len(ids) == len(set(ids)), f"{kind}: repeated"
            assert set(ids) == expected[kind], f"{kind}: {len(expected[kind] - set(ids))} lost"
        assert connector.ingested == total
        assert states.count("retrying") >= 10 and "ready" in states[states.index("retrying"):]
        assert standin.ws_figures["duplicates_sent"] > 0 and connector.duplicates > 0  # repeats came, once
        assert standin.ws_figures["reconnected"] >= 5 and standin.closes.get(4004, 0) == 0
        assert standin.closes.get(4003, 0) == 0 and standin.closes.get(4001, 0) == 0
        status = json.loads(await http_get(hub, "/api/v1/status"))
        assert [c["state"] for c in status["connectors"] if c["name"] == "twitch"] == ["ready"]
        metrics = await http_get(hub, "/metrics")
        assert 'livehub_connector_state{connector="twitch",state="ready"} 1.0' in metrics
        assert 'livehub_twitch_eventsub_messages_total{connector="twitch",message_type="notification"}' in metrics
