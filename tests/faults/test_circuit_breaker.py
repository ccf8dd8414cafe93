"""A dead or hanging LLM cannot eat the room's time: the answer chain's circuit breaker (hub/breaker.py).

The openai backend talks to a real HTTP server on 127.0.0.1 that accepts every connection, reads the
request and never answers (until told to). The first questions each wait the backend's first-sentence
deadline and get the catalog's answer; after ``breaker_failures`` of them the breaker opens and the next
questions are answered by the catalog without the backend being asked at all. Once the server answers
again, the one probe call after the cool-down succeeds and the breaker closes.

Nothing here asserts how fast anything was: the assertions are on how many calls reached the server,
on the breaker's state and on who answered. The cool-down runs on a hand-driven clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from hub.answer_chain import AnswerChain, build_answer_chain
from hub.answers import AnswerBackend, AnswerBackendSettings, AnswerRequest
from hub.app import Hub
from hub.catalog import Catalog, build_catalog
from hub.config import load_config
from hub.errors import ConfigError
from hub.testing import CORE_PLUGINS, StepClock, config_for_tests, running_hub, wait_for
from plugins.llm_catalog.backend import CatalogBackend

SHOP = {"name": "小美服饰", "currency": "CNY", "locale": "zh-CN", "shipping": "48小时内发货，全国包邮"}
ROWS = [{"sku": "TEE-1", "link": 1, "name": "纯棉T恤", "price": "168.00", "promo_price": "128.00", "stock": 300,
         "attributes": {"面料": "100%棉"}}]
LLM_ANSWER = "Link 1 is made of pure cotton."
DEADLINE_S = 1.0  # the backend's first-sentence deadline (short, but far above a local round trip)
ANSWERING_PLUGINS = (*CORE_PLUGINS, "plugins.llm_catalog", "plugins.llm_openai", "plugins.triage")


class HangingLLM:
    """An OpenAI-compatible server on 127.0.0.1 that reads each request and, while ``answering`` is
    False, never sends a byte back (the connection stays open). ``requests`` counts the requests that
    reached it. With ``answering`` True it streams :data:`LLM_ANSWER` as a chat completion."""

    def __init__(self) -> None:
        self.answering = False
        self.requests = 0
        self.url = ""
        self._server: asyncio.Server | None = None
        self._held: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/v1"

    async def stop(self) -> None:
        for writer in self._held:
            writer.transport.abort()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._held.append(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = json.loads(await reader.readexactly(length)) if length else {}
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            return
        self.requests += 1
        if not self.answering:
            return  # accepted and read, never answered: the client waits for its own deadline
        chunk = {"id": "chatcmpl-hanging", "object": "chat.completion.chunk", "created": 1700000000,
                 "model": body.get("model", "m"),
                 "choices": [{"index": 0, "delta": {"role": "assistant", "content": LLM_ANSWER},
                              "finish_reason": "stop"}]}
        events = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                     + f"Content-Length: {len(events)}\r\nConnection: close\r\n\r\n".encode() + events)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()


@pytest.fixture
async def hanging_llm() -> AsyncIterator[HangingLLM]:
    server = HangingLLM()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def catalog() -> Catalog:
    return build_catalog(SHOP, ROWS)


def llm_config(url: str, **breaker: Any) -> dict[str, Any]:
    return {"backends": {"llm": {"default": "openai", **breaker,
                                 "openai": {"model": "m", "base_url": url, "first_sentence_timeout_s": DEADLINE_S,
                                            "total_timeout_s": 10}}}}


def built_hub(config: dict[str, Any]) -> Hub:
    return Hub(load_config(data=config_for_tests(config), env=False), builtins=ANSWERING_PLUGINS,
               autoload=False).build()


def question(catalog: Catalog, n: int) -> AnswerRequest:
    """A spec question (an LLM's to answer), worded differently each time so no answer comes from the cache."""
    return AnswerRequest(question=f"1号链接什么面料{'呀' * n}", intent="spec", products=[catalog.by_sku("TEE-1")],
                         shop=catalog.shop)


async def ask(chain: AnswerChain, request: AnswerRequest) -> tuple[list[str], str]:
    """The answer's sentences and the backend that gave them (bounded: a hang here is a failure)."""
    async with asyncio.timeout(30):
        chunks = [c async for c in chain.answer(request)]
    assert chunks[-1].final
    return [c.text for c in chunks if c.text], chunks[-1].backend


async def test_a_hanging_llm_is_skipped_once_its_breaker_opens_and_taken_back_when_it_answers(
        hanging_llm: HangingLLM, catalog: Catalog) -> None:
    hub = built_hub(llm_config(hanging_llm.url, breaker_failures=3, breaker_cooldown_s=30))
    clock = StepClock()
    chain = build_answer_chain(hub, clock=clock, cache_ttl_s=0)
    try:
        assert chain.names == ["openai", "catalog"]
        openai, breaker = chain.backends[0], chain.breaker("openai")
        assert breaker is not None and chain.breaker("catalog") is None  # the last one is always tried

        # 1. Three questions each wait the deadline; the catalog answers each; the third opens the breaker.
        for n in range(3):
            sentences, backend = await ask(chain, question(catalog, n))
            assert backend == "catalog" and sentences and "纯棉T恤" in sentences[0]
            assert breaker.state == ("open" if n == 2 else "closed")
        await wait_for(lambda: hanging_llm.requests == 3)
        assert openai.calls == 3 and chain.stats.failures == {"openai": 3}
        assert breaker.consecutive_failures == 3 and breaker.retry_in() == pytest.approx(breaker.current_cooldown)

        # 2. While open, the next questions go straight to the catalog: not one reaches the server.
        for n in range(3, 13):
            sentences, backend = await ask(chain, question(catalog, n))
            assert backend == "catalog" and "纯棉T恤" in sentences[0]
        assert openai.calls == 3 and hanging_llm.requests == 3
        assert chain.stats.short_circuits == {"openai": 10} and breaker.short_circuited == 10
        assert chain.stats.failures == {"openai": 3}

        # 3. The server answers again; until the cool-down is over the backend is still skipped.
        hanging_llm.answering = True
        assert breaker.retry_at is not None
        clock.t = breaker.retry_at - 1.0
        _, backend = await ask(chain, question(catalog, 13))
        assert backend == "catalog" and breaker.state == "open" and hanging_llm.requests == 3

        # 4. After it, one probe goes through, succeeds, and the breaker closes.
        clock.t = breaker.retry_at
        sentences, backend = await ask(chain, question(catalog, 14))
        assert (sentences, backend) == ([LLM_ANSWER], "openai")
        assert breaker.state == "closed" and breaker.consecutive_failures == 0
        assert hanging_llm.requests == 4
        sentences, backend = await ask(chain, question(catalog, 15))
        assert backend == "openai" and hanging_llm.requests == 5 and openai.calls == 5
    finally:
        await chain.aclose()
    value = hub.metrics.get_sample_value
    assert value("livehub_answer_breaker_state", {"backend": "openai"}) == 0
    assert value("livehub_answer_breaker_opens_total", {"backend": "openai"}) == 1
    assert value("livehub_answer_breaker_short_circuits_total", {"backend": "openai"}) == 11


async def test_a_failed_probe_opens_the_breaker_again(hanging_llm: HangingLLM, catalog: Catalog) -> None:
    hub = built_hub(llm_config(hanging_llm.url, breaker_failures=2, breaker_cooldown_s=10,
                               breaker_cooldown_max_s=60))
    clock = StepClock()
    chain = build_answer_chain(hub, clock=clock, cache_ttl_s=0)
    breaker = chain.breaker("openai")
    assert breaker is not None
    try:
        for n in range(2):
            await ask(chain, question(catalog, n))
        assert breaker.state == "open" and breaker.opens == 1
        first_cooldown = breaker.current_cooldown
        assert breaker.retry_at is not None
        clock.t = breaker.retry_at
        # four questions at once after the cool-down: one is the probe (it hangs too), three skip at once
        answers = await asyncio.gather(*(ask(chain, question(catalog, n)) for n in range(2, 6)))
        assert [backend for _, backend in answers] == ["catalog"] * 4
        await wait_for(lambda: hanging_llm.requests == 3)
        assert chain.backends[0].calls == 3 and breaker.short_circuited == 3
        assert breaker.state == "open" and breaker.opens == 2
        assert breaker.current_cooldown > first_cooldown  # doubled (with jitter)
        await ask(chain, question(catalog, 6))
        assert hanging_llm.requests == 3 and chain.backends[0].calls == 3
    finally:
        await chain.aclose()


async def test_the_breaker_is_visible_in_the_status_api_and_the_metrics(
        hanging_llm: HangingLLM, catalog: Catalog) -> None:
    from plugins.triage.service import service_for

    config = {**llm_config(hanging_llm.url, breaker_failures=2, breaker_cooldown_s=60),
              "web": {"enabled": True, "port": 0}}
    async with running_hub(config=config, builtins=ANSWERING_PLUGINS) as hub:
        service = service_for(hub)
        assert service is not None
        chain = service.chain_for()  # the configured chain, built when triage started
        for n in range(3):  # two failures open it; the third question skips the backend
            _, backend = await ask(chain, question(catalog, n))
            assert backend == "catalog"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as client:
            async with client.get(f"{hub.web.url}/api/v1/status") as resp:
                assert resp.status == 200
                status = await resp.json()
            async with client.get(f"{hub.web.url}/metrics") as resp:
                assert resp.status == 200
                metrics = await resp.text()
    configured = next(c for c in status["answers"]["chains"] if c["name"] == "configured")
    assert configured["backends"] == ["openai", "catalog"]
    state = configured["breakers"]["openai"]
    assert state["state"] == "open" and state["failures"] == 2 and state["threshold"] == 2
    assert state["short_circuited"] == 1 and state["opens"] == 1 and state["opened_at"] > 0
    assert 0 < state["retry_in_s"] <= 66 and "no first sentence" in state["last_error"]
    assert "catalog" not in configured["breakers"]
    assert 'livehub_answer_breaker_state{backend="openai"} 2.0' in metrics
    assert 'livehub_answer_breaker_short_circuits_total{backend="openai"} 1.0' in metrics
    assert 'livehub_answer_breaker_opens_total{backend="openai"} 1.0' in metrics


class Silent(AnswerBackend):
    """Never says anything (within its generous deadline, the listener gives up first)."""

    name = "silent"

    async def _stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        await asyncio.Event().wait()
        yield ""


async def test_a_listener_that_gives_up_counts_neither_way(catalog: Catalog) -> None:
    hub = built_hub({})
    silent = Silent(AnswerBackendSettings(first_sentence_timeout_s=600, total_timeout_s=600), hub)
    chain = AnswerChain(hub, [silent, CatalogBackend(None, hub)], breaker_failures=2)
    breaker = chain.breaker("silent")
    assert breaker is not None
    for n in range(5):  # the listener's own time runs out while the backend has said nothing
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await ask(chain, question(catalog, n))
    assert silent.calls == 5 and breaker.state == "closed" and breaker.consecutive_failures == 0
    assert chain.stats.failures == {}


def test_breaker_settings_are_validated() -> None:
    hub = built_hub({"backends": {"llm": {"breaker_failures": 5, "breaker_cooldown_s": 12.5}}})
    choice = hub.settings.backend_choice["llm"]
    assert (choice.breaker_failures, choice.breaker_cooldown_s, choice.breaker_cooldown_max_s) == (5, 12.5, 300)
    for bad, where in [({"breaker_failures": -1}, "backends.llm.breaker_failures"),
                       ({"breaker_cooldown_s": 0}, "backends.llm.breaker_cooldown_s"),
                       ({"breaker_cooldown_s": 60, "breaker_cooldown_max_s": 30}, "breaker_cooldown_max_s")]:
        with pytest.raises(ConfigError, match=where):
            built_hub({"backends": {"llm": bad}})


def test_breaker_failures_zero_turns_it_off() -> None:
    hub = built_hub({"backends": {"llm": {"breaker_failures": 0}}})
    chain = build_answer_chain(hub, ["openai"], overrides={"model": "m", "base_url": "http://127.0.0.1:9/v1"})
    breaker = chain.breaker("openai")
    assert breaker is not None and not breaker.enabled
    assert chain.status()["breakers"] == {}
