"""hub.standin: the control API every stand-in shares, recording, faults, and the table it prints."""

from __future__ import annotations

import asyncio
import tomllib

import aiohttp
import pytest

from hub.app import Hub
from hub.config import load_config
from hub.standin_control import StandinError, UnknownStandin, create_standin, find_standin
from hub.testing import CORE_PLUGINS, comment, config_for_tests, make_event
from tests.standin.parrot import Parrot, ParrotPlugin


@pytest.fixture
async def parrot():
    async with Parrot() as platform:
        yield platform


async def test_events_are_validated_then_encoded_and_queued(parrot):
    control = parrot.control()
    encoded = await control.post_events(
        {"type": "comment", "text": "hello", "user": {"id": "u1", "name": "Ann"}},
        make_event("like", count=3, user={"id": "u2", "name": "Bo"}), room="other")
    assert encoded == [{"seq": 1, "kind": "comment", "room": "other", "who": "Ann", "text": "hello"},
                       {"seq": 2, "kind": "like", "room": "other", "who": "Bo", "text": ""}]
    await control.post_events(comment("hi there", name="Cy"))  # an Event object: its test room is dropped
    assert parrot.queue[-1] == {"seq": 3, "kind": "comment", "room": "demo", "who": "Cy", "text": "hi there"}
    bad = [({"type": "reply", "text": "x"}, "not a viewer event"),
           ({"type": "nonsense"}, "not a viewer event"),
           ({"type": "comment"}, "text: required"),
           ({"type": "comment", "text": 5}, "text: expected str"),
           ({"type": "comment", "text": "x", "platform": "elsewhere"}, "this stand-in is 'parrot'"),
           ({"type": "order", "order_id": "o1", "sku": "A1"}, "parrots take no orders")]
    for event, reason in bad:
        with pytest.raises(StandinError) as caught:
            await control.post_events(event)
        assert caught.value.status == 400 and reason in caught.value.message, (event, caught.value)
    assert len(parrot.queue) == 3 and parrot.posted == 3


async def test_events_in_a_list_are_all_checked_before_any_is_queued(parrot):
    async with aiohttp.ClientSession() as session:
        body = [{"type": "comment", "text": "fine"}, {"type": "comment"}]
        async with session.post(f"{parrot.url}/_standin/events", json=body) as response:
            assert response.status == 400
            assert (await response.json())["error"] == "[1] text: required for 'comment' events"
        async with session.post(f"{parrot.url}/_standin/events", data=b"not json") as response:
            assert response.status == 400
    assert parrot.queue == []


async def test_sent_lists_what_the_hub_sent_and_can_be_cleared(parrot):
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer cracker"}) as session:
        for text in ("one", "two"):
            async with session.post(f"{parrot.url}/say", json={"text": text}) as response:
                assert response.status == 201
    parrot.record("ack", cursor="7")
    control = parrot.control()
    assert [e["text"] for e in await control.sent("chat")] == ["one", "two"]
    assert [e["kind"] for e in await control.sent()] == ["chat", "chat", "ack"]
    assert await control.clear_sent() == 3
    assert await control.sent() == []


async def test_rate_limit_fault_answers_the_next_sends_with_the_platform_answer(parrot):
    parrot.bucket.burst, parrot.bucket.tokens = 100, 100.0  # only the forced answers may refuse here
    assert (await parrot.control().fault("rate_limit", count=2))["count"] == 2
    statuses = []
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer cracker"}) as session:
        for _ in range(3):
            async with session.post(f"{parrot.url}/say", json={"text": "hi"}) as response:
                statuses.append((response.status, response.headers.get("Retry-After")))
    assert statuses == [(429, "1.00"), (429, "1.00"), (201, None)]
    assert len(parrot.sent("chat")) == 1


async def test_token_bucket_holds_the_platform_rate():
    async with Parrot() as parrot, aiohttp.ClientSession(headers={"Authorization": "Bearer cracker"}) as session:
        statuses = []
        for _ in range(4):
            async with session.post(f"{parrot.url}/say", json={"text": "hi"}) as response:
                statuses.append(response.status)
        assert statuses == [201, 201, 429, 429]  # burst 2, then 1 a second
        await asyncio.sleep(1.05)
        async with session.post(f"{parrot.url}/say", json={"text": "again"}) as response:
            assert response.status == 201


async def test_disconnect_drops_live_long_polls_and_websockets(parrot):
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"{parrot.url}/feed")
        poll = asyncio.create_task(session.post(f"{parrot.url}/wait"))
        await asyncio.sleep(0.1)
        assert (await parrot.control().state())["live_connections"] == 2
        assert (await parrot.control().fault("disconnect"))["dropped"] == 2
        with pytest.raises(aiohttp.ClientError):
            await asyncio.wait_for(poll, 5)
        assert (await asyncio.wait_for(ws.receive(), 5)).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                                                  aiohttp.WSMsgType.ERROR)
        # the platform is still there: a new connection works and sees what was queued
        await parrot.control().post_events({"type": "comment", "text": "after"})
        ws = await session.ws_connect(f"{parrot.url}/feed")
        assert (await asyncio.wait_for(ws.receive_json(), 5))["text"] == "after"
        await ws.close()


async def test_outage_answers_503_for_its_duration_but_not_on_the_control_api(parrot):
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer cracker"}) as session:
        poll = asyncio.create_task(session.post(f"{parrot.url}/wait"))
        await asyncio.sleep(0.1)
        answer = await parrot.control().fault("outage", seconds=0.6)
        assert answer["dropped"] == 1 and 0 < answer["seconds"] <= 0.6
        with pytest.raises(aiohttp.ClientError):
            await asyncio.wait_for(poll, 5)
        async with session.post(f"{parrot.url}/say", json={"text": "x"}) as response:
            assert response.status == 503 and response.headers["Retry-After"] == "1"
        assert (await parrot.control().state())["outage_s"] > 0  # the control API still answers
        await asyncio.sleep(0.7)
        async with session.post(f"{parrot.url}/say", json={"text": "x"}) as response:
            assert response.status == 201


@pytest.mark.parametrize("body, reason", [
    ({"kind": "meteor"}, "kind: one of disconnect, outage, rate_limit, reconnect"),
    ({"kind": "reconnect"}, "parrot has no reconnect request"),
    ({"kind": "outage"}, "seconds: a positive number"),
    ({"kind": "outage", "seconds": -1}, "seconds: a positive number"),
    ({"kind": "rate_limit", "count": 1.5}, "count: a positive integer"),
])
async def test_bad_faults_are_refused(parrot, body, reason):
    with pytest.raises(StandinError) as caught:
        await parrot.control().fault(**body)
    assert caught.value.status == 400 and reason in caught.value.message


async def test_state_counts_and_restart_keeps_port_and_state(parrot):
    control = parrot.control()
    await control.post_events({"type": "enter", "user": {"id": "u1"}})
    state = await control.state()
    assert state["system"] == "parrot" and state["port"] == parrot.port and state["url"] == parrot.url
    assert state["posted"] == 1 and state["queued"] == 1 and state["sent"] == 0
    port = parrot.port
    await parrot.stop()
    with pytest.raises(aiohttp.ClientError):
        await control.state()
    await parrot.start()
    assert parrot.port == port and (await control.state())["queued"] == 1


def test_connector_table_parses_and_validates_as_the_connector_config(monkeypatch):
    parrot = Parrot(port=45678, token="s3cret")  # not started: the table only needs the port
    text = parrot.connector_table(room="shop")
    assert text.startswith("[connectors.parrot]\ntype = \"parrot_chat\"\nroom = \"shop\"\n")
    assert 'token = {env = "PARROT_TOKEN"}' in text and "s3cret" not in text
    assert parrot.env() == {"PARROT_TOKEN": "s3cret"}
    monkeypatch.setenv("PARROT_TOKEN", "s3cret")
    hub = Hub(load_config(data=config_for_tests(tomllib.loads(text)), env=False),
              extra_plugins=[("parrot", ParrotPlugin())], builtins=CORE_PLUGINS, autoload=False).build()
    spec, settings = hub.settings.connectors["parrot"]
    assert spec.type == "parrot_chat" and settings.room == "shop"
    assert settings.api_base == "http://127.0.0.1:45678" and settings.token.get() == "s3cret"
    assert settings.poll_s == 2.5 and settings.rooms == ["demo"]
    assert hub.rooms["shop"].bindings == ["parrot"]
    # the same settings as a dict for in-process config: the secret is a value, no environment needed
    monkeypatch.delenv("PARROT_TOKEN")
    config = {"connectors": {"p2": parrot.connector_config(room="shop")}}
    hub = Hub(load_config(data=config_for_tests(config), env=False), extra_plugins=[("parrot", ParrotPlugin())],
              builtins=CORE_PLUGINS, autoload=False).build()
    assert hub.settings.connectors["p2"][1].token.get() == "s3cret"


def test_connector_table_quotes_odd_names_and_strings():
    class Odd(Parrot):
        def connector_settings(self):
            return {"api_base": 'say "hi"\\\x7f\n', "flag": True, "n": 3}

    parsed = tomllib.loads(Odd(port=1).connector_table("my shop"))
    assert parsed["connectors"]["my shop"] == {"type": "parrot_chat", "room": "main",
                                               "api_base": 'say "hi"\\\x7f\n', "flag": True, "n": 3}


def test_stand_ins_are_found_through_the_registry():
    plugin, spec = find_standin("parrot", plugins=[("parrot", ParrotPlugin())])
    assert plugin == "parrot" and spec.factory is Parrot and spec.connector_type == "parrot_chat"
    built = create_standin("parrot", plugins=[("parrot", ParrotPlugin())], port=5, token="t")
    assert isinstance(built, Parrot) and built.port == 5 and built.token == "t" and not built.running
    with pytest.raises(UnknownStandin, match=r"no stand-in of 'macaw'; known stand-ins: (.*, )?parrot"):
        find_standin("macaw", plugins=[("parrot", ParrotPlugin())])


async def test_the_control_client_names_an_answer_that_is_not_a_stand_ins():
    from aiohttp import web

    from hub.standin_control import StandinControl, StandinError

    async def plain(request):
        return web.Response(status=502, text="Bad Gateway from a proxy")

    app = web.Application()
    app.router.add_route("*", "/_standin/{path}", plain)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        with pytest.raises(StandinError, match="Bad Gateway from a proxy"):
            await StandinControl(f"http://127.0.0.1:{port}").state()
    finally:
        await runner.cleanup()
