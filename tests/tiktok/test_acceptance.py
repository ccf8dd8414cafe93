"""The acceptance run: 10,000 mixed viewer events through the stand-in while the connection is dropped
twenty times and the push server asks for reconnects; every event arrives once, counted by message id."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.tiktok.standin import TikTokStandin
from hub.testing import collect, fault, post_events, wait_for
from tests.tiktok.helpers import event, fast_retries, hub_status, stored_ids, tiktok_hub

FIELDS = {"comment": {"text": "nice"}, "gift": {"gift": "Rose", "count": 2, "value": "2"}, "like": {"count": 3},
          "enter": {}, "follow": {}}


@pytest.mark.slow
async def test_ten_thousand_events_twenty_disconnects_and_reconnect_requests_none_lost_none_repeated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    kinds = tuple(FIELDS)
    expected: dict[str, set[str]] = {kind: set() for kind in kinds}
    async with TikTokStandin(batch=40, ping_interval=0.5, reconnect_every=60) as standin, \
            tiktok_hub(tmp_path, standin) as hub:
        connector = hub.connectors["tiktok"]
        with collect(hub, types={"connector_state"}) as changes:
            for round_ in range(20):
                batch = []
                for n in range(round_ * 500, (round_ + 1) * 500):
                    kind = kinds[n % len(kinds)]
                    expected[kind].add(str(10**9 + n))
                    batch.append(event(kind, n, **FIELDS[kind]))
                await post_events(standin, *batch)
                await wait_for(lambda: connector.state == "ready", timeout=10)
                if round_ % 5 == 2:
                    standin.request_reconnect()
                await fault(standin, "disconnect")
            total = sum(len(ids) for ids in expected.values())
            await wait_for(lambda: connector.ingested >= total, timeout=60, interval=0.1)
        states = [e.state for e in changes if e.connector == "tiktok"]
        await hub.events_stored(timeout=10)
        for kind in kinds:
            ids = await stored_ids(hub, kind)
            assert len(ids) == len(set(ids)), f"{kind}: repeated"
            assert set(ids) == expected[kind], f"{kind}: {len(expected[kind] - set(ids))} lost"
        assert connector.ingested == total
        assert states.count("retrying") >= 10 and "ready" in states[states.index("retrying"):]
        assert standin.figures["duplicates_sent"] > 0 and connector.duplicates > 0  # repeats came, once
        assert connector.status()["counts"]["reconnect_requests"] >= 1
        assert standin.figures["refused"] == 0 and standin.figures["bad_acks"] == 0
        rows = [c for c in (await hub_status(hub))["connectors"] if c["name"] == "tiktok"]
        assert [c["state"] for c in rows] == ["ready"]
