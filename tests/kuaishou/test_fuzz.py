"""Hypothesis over every Kuaishou decoder: poll bodies (plain, gzip, deflate, damaged, bombs) and items.
Only the modules' own errors escape; a bad answer on a live session is counted and skipped."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.kuaishou.client import MAX_BODY, PollFormatError, decode_poll
from connectors.kuaishou.mapping import ItemError, interactive_event
from connectors.kuaishou.standin import KuaishouStandin, interactive_item, poll_body
from hub.testing import comment, make_event, post_events, wait_for
from tests.kuaishou.helpers import ROOM, fast_retries, kuaishou_hub

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENCODINGS = st.sampled_from(["", "identity", "gzip", "deflate", "br", "GZIP "])


def good_body() -> bytes:
    items = [interactive_item(make_event(kind, platform="kuaishou", room=ROOM, message_id=str(n),
                                         user={"id": "2", "name": "n"}, **fields))
             for n, (kind, fields) in enumerate((("comment", {"text": "你好"}), ("like", {"count": 2}),
                                                ("gift", {"gift": "g", "count": 2, "value": "4"})))]
    return poll_body(items, "pc-3", 100)


def decode_all(body: bytes, encoding: str = "") -> None:
    try:
        answer = decode_poll(body, encoding)
    except PollFormatError:
        return
    for item in answer.items:
        try:
            interactive_event(item)
        except ItemError:
            pass


@FUZZ
@given(st.binary(max_size=400), ENCODINGS)
def test_any_bytes_as_a_poll_body(data: bytes, encoding: str) -> None:
    decode_all(data, encoding)


@FUZZ
@given(st.data(), st.sampled_from(["", "gzip", "deflate"]))
def test_a_damaged_good_body(data: st.DataObject, encoding: str) -> None:
    body = good_body()
    raw = bytearray(gzip.compress(body) if encoding == "gzip" else zlib.compress(body) if encoding else body)
    for _ in range(data.draw(st.integers(1, 6))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if kind == "flip" and raw:
            raw[at] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "cut":
            del raw[at:]
        else:
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    decode_all(bytes(raw), encoding)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
                    max_leaves=20)
USER = st.fixed_dictionaries({}, optional={"id": JSON, "userName": JSON})
PAYLOAD = st.fixed_dictionaries({}, optional={"user": USER | JSON, "content": JSON, "count": JSON, "giftId": JSON,
                                              "giftName": JSON, "giftTotalDou": JSON})
ITEM = st.fixed_dictionaries({"cmd": st.sampled_from([2, 3, 5, 7, 9, 10, 11, "3", -1]) | JSON},
                             optional={"payload": PAYLOAD | JSON, "msgId": JSON})


@FUZZ
@given(JSON | ITEM)
def test_any_item(item: Any) -> None:
    try:
        event = interactive_event(item)
    except ItemError:
        return
    if event is not None:
        assert event.message_id and event.user is not None


@FUZZ
@given(st.dictionaries(st.sampled_from(["result", "pCursor", "sleep", "data", "errorMsg"]), JSON, max_size=5))
def test_any_answer_object(answer: dict[str, Any]) -> None:
    decode_all(json.dumps(answer).encode())


def test_a_gzip_bomb_and_deep_nesting_are_format_errors() -> None:
    bomb = gzip.compress(b" " * (MAX_BODY + 1024), compresslevel=9)
    with pytest.raises(PollFormatError, match="inflates beyond"):
        decode_poll(bomb, "gzip")
    with pytest.raises(PollFormatError, match="not JSON"):
        decode_poll(b"[" * 100_000)


class GarbageFirst(KuaishouStandin):
    """Answers its first three polls with bad bodies (not JSON, bad gzip, wrong types), then as usual."""

    bad = [(b"\xff\xfe not json", {}), (b"\x1f\x8b\x08broken", {"Content-Encoding": "gzip"}),
           (b'{"result": 1, "data": "items"}', {})]

    async def poll(self, request: web.Request) -> web.Response:
        if self.bad:
            body, headers = self.bad.pop(0)
            return web.Response(body=body, headers={"Content-Type": "application/json", **headers})
        return await super().poll(request)


async def test_bad_answers_on_a_live_session_are_counted_and_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_retries(monkeypatch)
    async with GarbageFirst(sleep_ms=10, hold_s=0.5) as standin, \
            kuaishou_hub(tmp_path, standin, default_sleep_s=0.01) as hub:
        await post_events(standin, comment("还在", user="k3", message_id="ks-44", room=ROOM))
        connector = hub.connectors["kuaishou"]
        await wait_for(lambda: connector.ingested >= 1, timeout=10)
        assert connector.state == "ready" and connector.counts["malformed_polls"] == 3
        assert connector.counts["reconnects"] == 0 and standin.figures["connects"] == 1  # the same session
