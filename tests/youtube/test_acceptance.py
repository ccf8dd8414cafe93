"""YouTube acceptance against the stand-in: 10,000 events with 20 forced disconnects and server-side stream
ends (none lost, none repeated), ready → retrying → ready in /api/v1/status and /metrics, and a whole
simulated YouTube day that stays within its 10,000 units while reading and answering."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from connectors.youtube.connector import YoutubeConnector
from connectors.youtube.standin import YoutubeStandin
from hub.testing import collect, comment, fault, make_event, post_events, wait_for
from tests.youtube.helpers import SimDay, fast_retries, stored_ids, youtube_hub

KINDS = ("comment", "super_chat", "gift", "follow")


def viewer_event(n: int) -> tuple[str, object]:
    kind = KINDS[n % len(KINDS)] if n % 10 else "comment"
    user = {"id": f"UCviewer{n % 50:04d}", "name": f"观众{n % 50}"}
    message_id = f"LCC.yt-{n}"
    if kind == "comment":
        return "comment", make_event("comment", platform="youtube", message_id=message_id, user=user, text=f"好看{n}")
    if kind == "super_chat":
        return "comment", make_event("comment", platform="youtube", message_id=message_id, user=user,
                                     text="" if n % 3 == 0 else f"加油{n}", paid=True, amount="5.00", currency="USD")
    if kind == "gift":
        return "gift", make_event("gift", platform="youtube", message_id=message_id, user=user, gift="membership:VIP",
                                  count=1 + n % 5)
    return "follow", make_event("follow", platform="youtube", message_id=message_id, user=user)


@pytest.mark.slow
@pytest.mark.parametrize("transport", ["stream", "poll"])
async def test_ten_thousand_events_twenty_disconnects_none_lost_none_repeated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transport: str) -> None:
    fast_retries(monkeypatch)
    expected: dict[str, set[str]] = {"comment": set(), "gift": set(), "follow": set()}
    async with YoutubeStandin(stream_close_s=0.5, stream_batch=100, quota=1_000_000, polling_ms=20) as standin, \
            youtube_hub(tmp_path, standin, quota_per_day=1_000_000, transport=transport) as hub:
        connector = hub.connectors["youtube"]
        with collect(hub, types={"connector_state"}) as state_events:
            states = lambda: [e.state for e in state_events if e.connector == "youtube"]  # noqa: E731
            for round_ in range(20):
                batch = []
                for n in range(round_ * 500, (round_ + 1) * 500):
                    kind, event = viewer_event(n)
                    expected[kind].add(event.message_id)
                    batch.append(event)
                await post_events(standin, *batch)
                await fault(standin, "disconnect")  # the stream in flight breaks: reopened from the page token
                if round_ % 4 == 1:
                    await fault(standin, "reconnect")  # YouTube ends the stream: reopened, no error
                if round_ == 10:  # the API goes away for a moment: retrying, then ready again
                    await fault(standin, "outage", seconds=0.3)
                    await wait_for(lambda: "retrying" in states(), timeout=10)
            total = sum(len(ids) for ids in expected.values())
            await wait_for(lambda: connector.ingested >= total, timeout=60, interval=0.1)
            await wait_for(lambda: connector.state == "ready", timeout=10)
        await hub.events_stored(timeout=10)
        for kind, ids_expected in expected.items():
            ids = await stored_ids(hub, kind)
            assert len(ids) == len(set(ids)), f"{kind}: repeated"
            assert set(ids) == ids_expected, f"{kind}: {len(ids_expected - set(ids))} lost"
        assert connector.duplicates == 0  # page tokens resume exactly: YouTube sends nothing twice
        if transport == "stream":
            assert standin.servicer.figures["dropped"] >= 1 and connector.counts["responses"] > 0
        else:
            assert connector.counts["polls"] > 0 and not connector.counts["rate_limited"]
        assert "ready" in states()[states().index("retrying"):]  # ready -> retrying -> ready
        rows = await hub.storage.recent_events(limit=5, type="comment", room="main")
        paid = [r for r in await hub.storage.recent_events(limit=100, type="comment", room="main") if r.get("paid")]
        assert rows and paid and Decimal(str(paid[0]["amount"])) == Decimal("5") and paid[0]["currency"] == "USD"
        status = json.loads(await _get(hub, "/api/v1/status"))
        mine = [c for c in status["connectors"] if c["name"] == "youtube"]
        assert mine[0]["state"] == "ready" and mine[0]["quota"]["used"] > 0
        metrics = await _get(hub, "/metrics")
        assert 'livehub_connector_state{connector="youtube",state="ready"} 1.0' in metrics
        gauge = re.search(r'^livehub_youtube_quota_units_used\{connector="youtube"\} ([0-9.]+)$', metrics, re.M)
        assert gauge and 0 < float(gauge.group(1)) <= connector.budget.used  # streams reopen meanwhile
        call = "stream" if transport == "stream" else "list"
        assert f'livehub_youtube_quota_units_total{{call="{call}",connector="youtube"}}' in metrics


@pytest.mark.slow
async def test_a_simulated_youtube_day_stays_within_ten_thousand_units_reading_and_answering(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    day = SimDay()  # both sides' clocks: the stand-in's quota day and the connector's waits and budget
    monkeypatch.setattr(YoutubeConnector, "make_clocks", staticmethod(lambda: (day, day.now)))
    async with YoutubeStandin(polling_ms=3000, clock=day.now) as standin, \
            youtube_hub(tmp_path, standin, transport="poll",
                        plugins={"triage": {"recent_answer_s": 0}}) as hub:  # the same question every 4 h
        connector = hub.connectors["youtube"]
        in_chat, on_voice, paused = [], [], []
        with collect(hub, types={"reply"}) as replies:
            for hour in range(1, 24, 4):  # a price question every four hours of the day
                await wait_for(lambda h=hour: day.hours >= h, timeout=30, interval=0.002)
                question = f"LCC.q{hour}"
                await post_events(standin, comment("这个多少钱", user=f"UCq{hour}", name=f"客人{hour}",
                                                   message_id=question))
                await wait_for(lambda q=question: q in connector.ingested_ids, timeout=30, interval=0.002)
                async with day.hold():  # the hub answers in real time; the day waits
                    mine = lambda q=question: [r for r in replies if r.askers and r.askers[0].message_id == q]  # noqa: E731
                    reply = (await wait_for(mine, timeout=30))[0]
                    if reply.channel != "chat":
                        on_voice.append(hour)  # triage chose the host's voice for this one
                    elif not connector.budget.can_post():
                        paused.append(hour)  # the budget keeps the rest of the day's units for reading
                    else:
                        await wait_for(lambda h=hour: [s for s in standin.sent("chat") if f"客人{h}" in s["text"]],
                                       timeout=30)
                        in_chat.append(hour)
        await wait_for(lambda: day.hours >= 24.05, timeout=30, interval=0.005)  # past the next midnight
        used = dict(standin.quota.used)
        print(f"\nYouTube day simulated: units used per (credential, Pacific day) {used}; the connector counted "
              f"{connector.budget.total_units} in all, {dict(connector.budget.calls)} today; "
              f"answered in chat at hours {in_chat}, answered on voice at {on_voice}, "
              f"chat paused by the budget at {paused}")
        first_day = max(units for (_, d), units in used.items() if d == "2026-12-03")
        # reading spent its 8,000 units spread over the whole day (every question was read), chat a few of its 2,000
        assert 8_000 <= first_day <= 10_000 and connector.budget.total_units <= 10_000 + 400
        assert standin.quota.refused == 0 and standin.figures["rate_limited_polls"] == 0
        assert len(in_chat) >= 4 and not paused and "128" in standin.sent("chat")[0]["text"]
        assert connector.state == "ready"


async def _get(hub: object, path: str) -> str:
    url = f"http://127.0.0.1:{hub.web.port}{path}"  # type: ignore[attr-defined]
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            return await resp.text()
