"""Kuaishou's interactive long-poll, without a hub: the client against the stand-in over real sockets
(connect refusals, cursor continuity, the advised sleep, result 2, disconnect) and the mapping of each cmd."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import pytest

from connectors.kuaishou.client import (
    RESULT_RECONNECT,
    AuthError,
    InteractiveClient,
    KuaishouError,
    PollFormatError,
    decode_poll,
)
from connectors.kuaishou.mapping import ItemError, interactive_event
from connectors.kuaishou.standin import interactive_item
from hub.events import Comment, Follow, Gift, Like
from hub.testing import fault, make_event, post_events
from tests.kuaishou.helpers import ROOM, fast_standin


def event(kind: str, n: int, **fields: object) -> object:
    return make_event(kind, platform="kuaishou", room=ROOM, message_id=f"ks-{n}",
                      user={"id": f"u{n}", "name": f"观众{n}"}, **fields)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        yield session


def client(http: aiohttp.ClientSession, standin: object, **kw: object) -> InteractiveClient:
    settings = standin.connector_settings()  # type: ignore[attr-defined]
    args = {"api_base": settings["api_base"], "app_id": settings["app_id"], "code": settings["code"], **kw}
    return InteractiveClient(http, **args)  # type: ignore[arg-type]


async def test_connect_is_refused_for_a_wrong_app_id_or_code(http: aiohttp.ClientSession) -> None:
    async with fast_standin() as standin:
        with pytest.raises(AuthError):
            await client(http, standin, code="stolen").connect()
        with pytest.raises(AuthError):
            await client(http, standin, app_id="other-app").connect()
        opened = await client(http, standin, play_id=7).connect()
        assert opened.token and opened.user_name == "主播"
        assert standin.figures["refused_connects"] == 2
        assert standin.sent("api")[-1] == {**standin.sent("api")[-1], "action": "connect", "play_id": 7}


async def test_a_cursor_gets_exactly_what_follows_it_and_repeats_come_from_the_platform(
        http: aiohttp.ClientSession) -> None:
    async with fast_standin(sleep_ms=0, duplicate_every=5) as standin:
        await post_events(standin, *(event("comment", n, text=f"第{n}条") for n in range(12)))
        c = client(http, standin, poll_len=4)
        token = (await c.connect()).token
        first = await c.poll(token, "")
        assert [i["msgId"] for i in first.items] == ["ks-0", "ks-1", "ks-2", "ks-3"] and first.p_cursor
        second = await c.poll(token, first.p_cursor)
        # position 5 is a multiple of duplicate_every: the item before the page comes again, first
        assert [i["msgId"] for i in second.items] == ["ks-3", "ks-4", "ks-5", "ks-6", "ks-7"]
        again = await c.poll(token, first.p_cursor)  # the same cursor again: the same items
        assert [i["msgId"] for i in again.items] == [i["msgId"] for i in second.items]
        # a new session resumes from a cursor of the old one
        other = await c.connect()
        rest = await c.poll(other.token, second.p_cursor)
        assert [i["msgId"] for i in rest.items][-4:] == ["ks-8", "ks-9", "ks-10", "ks-11"]


async def test_a_poll_earlier_than_the_advised_sleep_gets_an_empty_answer(http: aiohttp.ClientSession) -> None:
    async with fast_standin(sleep_ms=60_000) as standin:
        await post_events(standin, event("comment", 1, text="在吗"), event("comment", 2, text="在"))
        c = client(http, standin, poll_len=1)
        token = (await c.connect()).token
        first = await c.poll(token, "")
        assert len(first.items) == 1 and first.sleep_ms == 60_000
        early = await c.poll(token, first.p_cursor)
        assert early.items == [] and early.p_cursor == first.p_cursor and 0 < early.sleep_ms <= 60_000
        assert standin.figures["early_polls"] == 1


async def test_result_2_every_n_polls_on_request_and_after_disconnect(http: aiohttp.ClientSession) -> None:
    async with fast_standin(sleep_ms=0, hold_s=0, reconnect_every=3) as standin:
        c = client(http, standin)
        token = (await c.connect()).token
        results = [(await c.poll(token, "")).result for _ in range(3)]
        assert results == [1, 1, RESULT_RECONNECT]
        assert (await c.poll(token, "")).result == RESULT_RECONNECT  # that session is over
        token = (await c.connect()).token
        assert (await fault(standin, "reconnect"))["asked"] == 1
        assert (await c.poll(token, "")).result == RESULT_RECONNECT
        token = (await c.connect()).token
        await c.disconnect(token)
        assert (await c.poll(token, "")).result == RESULT_RECONNECT
        assert [e["action"] for e in standin.sent("api")][-1] == "disconnect"
        with pytest.raises(KuaishouError, match="result 0"):
            await c.poll("never-issued", "")


async def test_a_held_poll_answers_when_an_event_arrives(http: aiohttp.ClientSession) -> None:
    async with fast_standin(sleep_ms=0, hold_s=30) as standin:
        c = client(http, standin)
        token = (await c.connect()).token
        waiting = asyncio.create_task(c.poll(token, ""))
        await asyncio.sleep(0)
        await post_events(standin, event("like", 3, count=4))
        answer = await asyncio.wait_for(waiting, 10)
        assert [i["msgId"] for i in answer.items] == ["ks-3"]


async def test_the_stand_in_refuses_what_the_interactive_feed_does_not_carry() -> None:
    from hub.standin_control import StandinError

    async with fast_standin() as standin:
        for kind, fields in (("enter", {}), ("stats", {"viewers": 3}), ("live_state", {"state": "ended"})):
            with pytest.raises(StandinError, match="interactive feed carries"):
                await post_events(standin, event(kind, 1, **fields))


def test_every_cmd_maps_to_its_event() -> None:
    def one(kind: str, **fields: object) -> object:
        return interactive_event(interactive_item(event(kind, 5, **fields)))  # type: ignore[arg-type]

    comment = one("comment", text="这个多少钱")
    assert isinstance(comment, Comment) and (comment.text, comment.user.id, comment.user.name, comment.message_id) == (
        "这个多少钱", "u5", "观众5", "ks-5")
    gift = one("gift", gift="棒棒糖", count=3, value="30")
    assert isinstance(gift, Gift) and (gift.gift, gift.count, gift.value, gift.value_cny) == (
        "棒棒糖", 3, Decimal(30), Decimal(3))
    like = one("like", count=9)
    assert isinstance(like, Like) and like.count == 9
    assert isinstance(one("follow"), Follow)
    for cmd in (5, 9, 99):  # task, share, unknown: no hub event
        assert interactive_event({"cmd": cmd, "payload": {"user": {"id": "1"}}}) is None
    with pytest.raises(ItemError):
        interactive_event({"cmd": 3, "payload": {"user": {"id": "1"}}})  # a comment without content
    # no message id in the item: a digest of it, the same for the same item
    bare = {"cmd": 7, "payload": {"user": {"id": "8", "userName": "x"}, "count": 2}}
    assert interactive_event(bare).message_id == interactive_event(dict(bare)).message_id  # type: ignore[union-attr]


def test_poll_bodies_plain_gzip_and_refused() -> None:
    body = json.dumps({"result": 1, "pCursor": "pc-3", "sleep": 500, "data": [{"cmd": 3}]}).encode()
    for raw, encoding in ((body, ""), (gzip.compress(body), "gzip")):
        answer = decode_poll(raw, encoding)
        assert (answer.result, answer.p_cursor, answer.sleep_ms, answer.items) == (1, "pc-3", 500, [{"cmd": 3}])
    assert decode_poll(b'{"result": 2}').result == RESULT_RECONNECT
    refused = decode_poll(b'{"result": 40, "errorMsg": "token expired"}')
    assert (refused.result, refused.message) == (40, "token expired")
    assert decode_poll(b'{"result": 1}').sleep_ms is None  # no advice: the connector's default
    for bad, encoding in ((b"[]", ""), (b'{"result": 1, "data": {}}', ""), (b"\x1f\x8bnope", "gzip"),
                          (b'{"result": "1"}', ""), (b'{"result": 1, "sleep": "5"}', ""), (body, "br")):
        with pytest.raises(PollFormatError):
            decode_poll(bad, encoding)


async def test_the_benchmark_decodes_stand_in_answers_down_to_hub_events() -> None:
    from bench.kuaishou_decode import run

    figures = await run(2000, repeats=1)
    assert figures["value"] > 0 and figures["messages"] == 2000 and figures["hub_events"] == 2000
