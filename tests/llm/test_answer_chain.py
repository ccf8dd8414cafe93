"""The answer chain: fallback order, partial answers, the cache, and building it from config."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from hub.answer_chain import AnswerChain, build_answer_chain, chain_names, final_backends, normalise_question
from hub.answers import AnswerRequest
from hub.errors import BackendError, ConfigError
from hub.hookspecs import hookimpl
from hub.specs import BackendSpec
from plugins.llm_catalog.backend import CatalogBackend
from tests.llm.fakes import Scripted


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


def price_question(catalog, text: str = "1号链接多少钱？", sku: str = "TEE-1", **kw) -> AnswerRequest:
    return AnswerRequest(question=text, intent="price", products=[catalog.by_sku(sku)], shop=catalog.shop, **kw)


async def run(chain: AnswerChain, request: AnswerRequest) -> list[tuple[str, str, bool, bool]]:
    return [(c.text, c.backend, c.final, c.cached) async for c in chain.answer(request)]


async def test_a_failing_backend_hands_over_to_the_next(catalog, make_hub) -> None:
    hub = make_hub()
    broken = Scripted([BackendError("boom", retryable=True)], hub, name="llm")
    chain = AnswerChain(hub, [broken, CatalogBackend(None, hub)])
    chunks = await run(chain, price_question(catalog))
    assert chunks[0] == ("1号链接纯棉T恤，原价168元，直播间到手价128元。", "catalog", False, False)
    assert chunks[-1] == ("", "catalog", True, False)
    assert chain.stats.fallbacks == 1 and chain.stats.failures == {"llm": 1}
    assert chain.stats.calls == {"llm": 1, "catalog": 1} and chain.stats.llm_calls == 1


async def test_an_answer_that_fails_midway_ends_without_switching_voices(catalog, make_hub) -> None:
    hub = make_hub()
    llm = Scripted(["纯棉T恤到手价128元。", "还有", ConnectionResetError()], hub, name="llm")
    chain = AnswerChain(hub, [llm, CatalogBackend(None, hub)])
    assert await run(chain, price_question(catalog)) == [("纯棉T恤到手价128元。", "llm", False, False),
                                                          ("", "llm", True, False)]
    assert chain.stats.calls == {"llm": 1}
    assert chain.cache.get(chain.cache.key(price_question(catalog))) is None  # partial: not cached


async def test_the_same_question_twice_costs_one_llm_call(catalog, make_hub) -> None:
    hub = make_hub()
    llm = Scripted(["纯棉T恤到手价128元。"], hub, name="llm")
    chain = AnswerChain(hub, [llm, CatalogBackend(None, hub)])
    first = await run(chain, price_question(catalog, "1号链接多少钱？", asked_by=["A"]))
    second = await run(chain, price_question(catalog, " 1号链接 多少钱", asked_by=["B"]))
    assert llm.calls == 1 and len(llm.requests) == 1
    assert first == [("纯棉T恤到手价128元。", "llm", False, False), ("", "llm", True, False)]
    assert second == [("纯棉T恤到手价128元。", "llm", False, True), ("", "llm", True, True)]
    assert chain.stats.cache_hits == 1 and chain.stats.llm_calls == 1
    assert hub.metrics.get_sample_value("livehub_answer_cache_hits_total") == 1


async def test_the_cache_keys_on_product_intent_and_locale_and_expires(catalog, make_hub) -> None:
    hub, clock = make_hub(), FakeClock()
    llm = Scripted(["好的。"], hub, name="llm")
    chain = AnswerChain(hub, [llm], cache_ttl_s=60, clock=clock)
    await run(chain, price_question(catalog))
    await run(chain, price_question(catalog, sku="JEANS-2"))
    await run(chain, price_question(catalog, locale="en"))
    await run(chain, AnswerRequest(question="1号链接多少钱？", intent="stock", products=[catalog.by_sku("TEE-1")]))
    assert llm.calls == 4
    clock.t += 59
    await run(chain, price_question(catalog))
    assert llm.calls == 4
    clock.t += 2
    await run(chain, price_question(catalog))
    assert llm.calls == 5


async def test_catalog_and_failed_answers_are_not_cached(catalog, make_hub) -> None:
    hub = make_hub()
    catalog_backend = CatalogBackend(None, hub)
    flaky = Scripted([BackendError("429", retryable=True)], hub, name="llm")
    chain = AnswerChain(hub, [flaky, catalog_backend])
    await run(chain, price_question(catalog))
    await run(chain, price_question(catalog))
    assert flaky.calls == 2 and catalog_backend.calls == 2 and chain.stats.cache_hits == 0


async def test_a_listener_that_stops_early_closes_the_backends_stream(catalog, make_hub) -> None:
    hub = make_hub()
    llm = Scripted(["一。", "二。", "三。"], hub, name="llm")
    chain = AnswerChain(hub, [llm])
    async with contextlib.aclosing(chain.answer(price_question(catalog))) as chunks:
        assert (await anext(chunks)).text == "一。"
    assert llm.closed == 1


async def test_text_joins_the_sentences_for_the_locale(catalog, make_hub) -> None:
    hub = make_hub()
    chain = AnswerChain(hub, [Scripted(["One. ", "Two."], hub, name="llm")])
    assert await chain.text(price_question(catalog, locale="en")) == ("One. Two.", "llm")


def test_questions_are_normalised_for_the_cache() -> None:
    assert normalise_question("１号链接 多少钱？？") == normalise_question("1号链接多少钱") == "1号链接多少钱"
    assert normalise_question("How MUCH is link 1?") == "howmuchislink1"


def test_chain_names_come_from_config_and_always_end_with_catalog(make_hub) -> None:
    assert chain_names(make_hub()) == ["catalog"]
    hub = make_hub({"backends": {"llm": {"default": "openai", "fallback": ["langchain", "catalog"]}}})
    assert chain_names(hub) == ["openai", "langchain", "catalog"]
    assert chain_names(hub, ["langchain"]) == ["langchain", "catalog"]


class _FinalPlugin:
    """Registers a second final backend (``last``) and a plain one (``plain``)."""

    @hookimpl
    def livehub_register_backends(self) -> list[BackendSpec]:
        make = lambda settings, hub: Scripted([], hub, name="llm")  # noqa: E731
        return [BackendSpec(kind="llm", name="last", factory=make, final=True),
                BackendSpec(kind="llm", name="plain", factory=make)]


def test_every_chain_ends_with_the_backends_flagged_final(make_hub) -> None:
    hub = make_hub(plugins=[("finals", _FinalPlugin())])
    finals = final_backends(hub)
    assert sorted(finals) == ["catalog", "last"]
    assert chain_names(hub) == finals
    assert chain_names(hub, ["plain"]) == ["plain", *finals]
    assert chain_names(hub, ["last", "plain"]) == ["last", "plain", *[n for n in finals if n != "last"]]
    assert chain_names(hub, ()) == finals  # the final backends alone


def test_no_final_backend_and_none_configured_is_a_clear_error(make_hub) -> None:
    hub = make_hub({"plugins": {"llm_catalog": {"enabled": False}}})
    assert final_backends(hub) == []
    with pytest.raises(ConfigError, match=r"no llm backend.*final"):
        chain_names(hub)
    hub = make_hub({"plugins": {"llm_catalog": {"enabled": False}},
                    "backends": {"llm": {"default": "openai"}}})
    assert chain_names(hub) == ["openai"]


def test_build_answer_chain_uses_config_settings_and_overrides(make_hub) -> None:
    hub = make_hub({"backends": {"llm": {"default": "openai", "openai": {
        "model": "from-config", "base_url": "http://127.0.0.1:9/v1", "first_sentence_timeout_s": 3}}}})
    chain = build_answer_chain(hub)
    assert chain.names == ["openai", "catalog"]
    assert chain.backends[0].settings.model == "from-config"
    chain = build_answer_chain(hub, ["openai"], overrides={"model": "qwen2.5:0.5b"})
    assert chain.backends[0].settings.model == "qwen2.5:0.5b"
    assert chain.backends[0].settings.first_sentence_timeout_s == 3  # the rest of the config stays
    assert hub.settings.backends[("llm", "openai")].model == "from-config"  # config is not changed


def test_build_answer_chain_refuses_what_it_cannot_build(make_hub) -> None:
    hub = make_hub()
    with pytest.raises(ConfigError, match="unknown llm backend 'nope'.*catalog"):
        build_answer_chain(hub, ["nope"])
    with pytest.raises(ConfigError, match="no setting named 'temprature'"):
        build_answer_chain(hub, ["openai"], overrides={"temprature": 0.1})
    with pytest.raises(ConfigError, match="no setting named 'model'"):
        build_answer_chain(hub, ["catalog"], overrides={"model": "x"})
    with pytest.raises(ConfigError, match=r"backends\.llm\.openai\.model"):
        build_answer_chain(hub, ["openai"])  # no model configured
    with pytest.raises(ConfigError, match="max_tokens"):
        build_answer_chain(hub, ["openai"], overrides={"model": "m", "max_tokens": 0})


async def test_closing_the_chain_closes_every_backend(make_hub) -> None:
    hub = make_hub({"backends": {"llm": {"openai": {"model": "m", "base_url": "http://127.0.0.1:9/v1"}}}})
    chain = build_answer_chain(hub, ["openai"])
    chain.backends[0].client()
    await chain.aclose()
    assert chain.backends[0]._client is None


async def test_a_simulated_clock_counts_the_backends_time_but_not_the_listeners(catalog, make_hub) -> None:
    from hub.clock import SimClock

    hub, clock = make_hub(), SimClock()
    slow = Scripted([0.2, "一。", "二。"], hub, name="llm")
    chain = AnswerChain(hub, [slow], clock=clock)
    async for chunk in chain.answer(price_question(catalog)):
        if chunk.text == "一。":
            await asyncio.sleep(1.0)  # the listener speaking: not the backend's time
    assert 0.2 <= clock.now() < 0.8


async def test_what_a_listener_took_before_stopping_is_the_cached_answer(catalog, make_hub) -> None:
    hub = make_hub()
    llm = Scripted(["一。", "二。", "三。"], hub, name="llm")
    chain = AnswerChain(hub, [llm])
    async with contextlib.aclosing(chain.answer(price_question(catalog))) as chunks:
        assert (await anext(chunks)).text == "一。"
    assert await run(chain, price_question(catalog)) == [("一。", "llm", False, True), ("", "llm", True, True)]
    assert llm.calls == 1


def spec_question(catalog, text: str, sku: str | None = "TEE-1", stage: str | None = None) -> AnswerRequest:
    return AnswerRequest(question=text, intent="spec", products=[catalog.by_sku(sku)] if sku else [],
                         stage_product=catalog.by_sku(stage) if stage else None, shop=catalog.shop)


async def test_one_detail_question_in_other_words_costs_one_llm_call(catalog, make_hub) -> None:
    hub = make_hub()
    llm = Scripted(["面料是100%棉。"], hub, name="llm")
    chain = AnswerChain(hub, [llm])
    for text in ("1号链接什么面料？", "这个什么面料呀", "请问T恤什么面料呢 🙏", "一号什么面料"):
        await run(chain, spec_question(catalog, text))
    assert llm.calls == 1 and chain.stats.cache_hits == 3
    await run(chain, spec_question(catalog, "什么面料", sku="JEANS-2"))  # another product
    await run(chain, spec_question(catalog, "有几个尺码"))  # another question
    assert llm.calls == 3 and chain.stats.llm_calls_by_intent == {"spec": 3}


async def test_a_question_about_the_stage_product_is_not_shared_across_stages(catalog, make_hub) -> None:
    hub = make_hub()
    llm = Scripted(["这款很好。"], hub, name="llm")
    chain = AnswerChain(hub, [llm])
    await run(chain, spec_question(catalog, "这个能水洗吗", sku=None, stage="TEE-1"))
    await run(chain, spec_question(catalog, "能水洗吗", sku=None, stage="TEE-1"))
    assert llm.calls == 1
    await run(chain, spec_question(catalog, "这个能水洗吗", sku=None, stage="JEANS-2"))
    assert llm.calls == 2


async def test_llm_calls_are_counted_per_intent(catalog, make_hub) -> None:
    hub = make_hub()
    llm = Scripted([BackendError("boom", retryable=True)], hub, name="llm")
    chain = AnswerChain(hub, [llm, CatalogBackend(None, hub)])
    await run(chain, price_question(catalog))
    await run(chain, spec_question(catalog, "什么面料"))
    await run(chain, AnswerRequest(question="?", intent="no-such-intent", shop=catalog.shop))
    assert chain.stats.llm_calls == 3 and chain.stats.llm_calls_by_intent == {"price": 1, "spec": 1, "other": 1}
