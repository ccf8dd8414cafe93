"""Douyin's open platform against its stand-in: tasks, signed pushes to the hub's callback, repeats, test
data, the look-back, refused forgeries, and the acceptance run (10,000 events, 20 disconnects)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import aiohttp
import pytest

from connectors.douyin.client import push_signature
from connectors.douyin.standin import DouyinStandin
from hub.events import Reply
from hub.testing import collect, comment, fault, make_event, post_events, wait_for
from tests.douyin.helpers import douyin_hub, fast_retries, stored_ids


async def post_push(hub: object, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    url = f"http://127.0.0.1:{hub.web.port}/douyin/push"  # type: ignore[attr-defined]
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=body, headers={**headers, "content-type": "application/json"}) as resp:
            return resp.status, await resp.json(content_type=None)


def signed(body: bytes, secret: str, room: str = "7001", msg_type: str = "live_comment",
           ts: int | None = None) -> dict[str, str]:
    headers = {"x-nonce-str": "n1", "x-timestamp": str(ts or int(time.time() * 1000)), "x-roomid": room,
               "x-msg-type": msg_type}
    return {**headers, "x-signature": push_signature(headers, body, secret)}


async def test_a_price_question_is_answered_on_voice_and_test_data_is_never_published(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with DouyinStandin() as standin, douyin_hub(tmp_path, standin) as hub:
        connector = hub.connectors["douyin"]
        assert {e["msg_type"] for e in standin.sent("api")} == {"live_comment", "live_gift", "live_like",
                                                                 "live_fansclub"}
        with collect(hub, types={"reply", "comment"}) as events:
            await post_events(standin, comment("1号链接多少钱", user="u1", name="小林", message_id="dy-q1", room="7001"))
            await wait_for(lambda: any(isinstance(e, Reply) and e.askers for e in events), timeout=30)
        reply = next(e for e in events if isinstance(e, Reply) and e.askers)
        assert reply.askers[0].platform == "douyin" and reply.askers[0].user.name == "小林"
        assert reply.channel == "voice" and "128" in reply.text  # no bot chat on Douyin: the host says it
        assert not standin.sent("chat")
        # every task start pushed one "test": true item: acknowledged, counted, never a hub event
        await wait_for(lambda: connector.counts["test"] >= 1, timeout=10)
        assert not any(e.message_id and e.message_id.startswith("test-") for e in events)
        assert connector.status()["recent_test_messages"]


async def test_forged_stale_and_malformed_pushes_are_refused_before_anything_is_parsed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with DouyinStandin() as standin, douyin_hub(tmp_path, standin) as hub:
        good = json.dumps([{"msg_id": "f1", "content": "hi", "sec_openid": "s"}]).encode()
        assert (await post_push(hub, good, signed(good, "wrong-secret")))[0] == 401
        # a body that is not even JSON with a bad signature: 401 (the signature is checked first)
        assert (await post_push(hub, b"{not json", signed(b"{x", standin.secret)))[0] == 401
        assert (await post_push(hub, b"{not json", signed(b"{not json", standin.secret)))[0] == 400
        stale = signed(good, standin.secret, ts=int(time.time() * 1000) - 3_600_000)
        assert (await post_push(hub, good, stale))[0] == 401
        assert (await post_push(hub, good, signed(good, standin.secret, room="9999")))[0] == 404
        headers = signed(good, standin.secret)
        del headers["x-nonce-str"]
        assert (await post_push(hub, good, headers))[0] == 400
        status, answer = await post_push(hub, good, signed(good, standin.secret))
        assert (status, answer["err_no"]) == (200, 0)
        assert (await post_push(hub, good, signed(good, standin.secret)))[0] == 200  # a repeat: stored once
        counts = hub.connectors["douyin"].counts
        assert counts["refused:signature"] == 2 and counts["refused:stale"] == 1
        await wait_for(lambda: hub.connectors["douyin"].duplicates >= 1, timeout=5)
        await hub.events_stored(timeout=5)
        assert (await stored_ids(hub, "comment")).count("f1") == 1


async def test_gifts_the_platform_failed_to_push_come_back_through_the_look_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    standin = DouyinStandin()
    standin.max_attempts = 1  # one failed push and the batch goes to the look-back list
    async with standin:
        gift = make_event("gift", platform="douyin", room="7001", gift="rose", count=2, value="200",
                          message_id="g-late", user={"id": "u9", "name": "大周"})
        async with douyin_hub(tmp_path, standin, task_check_s=0.2) as hub:
            standin.callback_url = "http://127.0.0.1:9/nowhere"  # the hub cannot be reached
            await post_events(standin, gift)
            await wait_for(lambda: standin.failed, timeout=10)
            standin.callback_url = f"http://127.0.0.1:{hub.web.port}/douyin/push"
            await fault(standin, "outage", seconds=0.5)  # the task check fails; the next run looks back
            connector = hub.connectors["douyin"]
            await wait_for(lambda: connector.counts["lookback"] >= 1, timeout=15)
            await hub.events_stored(timeout=5)
            rows = await hub.storage.recent_events(limit=10, type="gift", room="main")
        assert [(r["message_id"], r["value"], r["value_cny"]) for r in rows] == [("g-late", "200", "2")]


@pytest.mark.slow
async def test_ten_thousand_events_twenty_disconnects_none_lost_none_repeated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    kinds = ("comment", "gift", "like")
    expected: dict[str, set[str]] = {kind: set() for kind in kinds}
    async with DouyinStandin(batch=100) as standin, douyin_hub(tmp_path, standin, task_check_s=0.1) as hub:
        connector = hub.connectors["douyin"]
        changes = collect(hub, types={"connector_state"})
        state_events = changes.__enter__()
        states = lambda: [e.state for e in state_events if e.connector == "douyin"]  # noqa: E731
        for round_ in range(20):
            batch = []
            for n in range(round_ * 500, (round_ + 1) * 500):
                kind = kinds[n % 3]
                message_id = f"dy-{n}"
                expected[kind].add(message_id)
                fields = {"comment": {"text": f"好看{n}"}, "gift": {"gift": "rose", "count": 1 + n % 3, "value": "10"},
                          "like": {"count": 1 + n % 5}}[kind]
                batch.append(make_event(kind, platform="douyin", room="7001", message_id=message_id,
                                        user={"id": f"u{n % 50}", "name": f"观众{n % 50}"}, **fields))
            await post_events(standin, *batch)
            await fault(standin, "disconnect")  # the pushes in flight are dropped: pushed again
            if round_ == 10:  # the API goes away for a moment: retrying, then ready again
                await fault(standin, "outage", seconds=0.3)
                await wait_for(lambda: "retrying" in states(), timeout=10)
        total = sum(len(ids) for ids in expected.values())
        await wait_for(lambda: connector.ingested >= total, timeout=60, interval=0.1)
        await wait_for(lambda: connector.state == "ready", timeout=10)
        await hub.events_stored(timeout=10)
        for kind in kinds:
            ids = await stored_ids(hub, kind)
            assert len(ids) == len(set(ids)), f"{kind}: repeated"
            assert set(ids) == expected[kind], f"{kind}: {len(expected[kind] - set(ids))} lost"
        assert standin.push_figures["duplicates_pushed"] > 0 and connector.duplicates > 0  # repeats came, once
        changes.__exit__(None, None, None)
        assert "ready" in states()[states().index("retrying"):]  # ready -> retrying -> ready
        status = await _status(hub)
        assert [c["state"] for c in status["connectors"] if c["name"] == "douyin"] == ["ready"]
        metrics = await _get(hub, "/metrics")
        assert 'livehub_connector_state{connector="douyin",state="ready"} 1.0' in metrics
        assert 'livehub_connector_state{connector="douyin",state="retrying"} 0.0' in metrics


async def _status(hub: object) -> dict:
    return json.loads(await _get(hub, "/api/v1/status"))


async def _get(hub: object, path: str) -> str:
    url = f"http://127.0.0.1:{hub.web.port}{path}"  # type: ignore[attr-defined]
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            return await resp.text()
