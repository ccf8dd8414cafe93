"""The openai and langchain backends against a real llama.cpp server running SmolLM2-135M.

The model is tiny: what it says is not checked (it invents prices, which the fact guard handles), only
that real streaming works end to end: sentences arrive as the server generates them, the chain uses
the answer and caches it, and the server's own usage report is what gets counted. llama-cpp-python's
server sends no usage in streamed answers (it ignores ``stream_options``), so there the token counts
must stay zero rather than be estimated.
"""

from __future__ import annotations

import pytest

from hub.answer_chain import AnswerChain, build_answer_chain
from hub.answers import AnswerRequest
from hub.sentences import has_words, spoken_width
from plugins.llm_catalog.backend import CatalogBackend
from plugins.llm_langchain.backend import LangChainBackend, LangChainSettings
from plugins.llm_openai.backend import OpenAIBackend, OpenAISettings

pytestmark = pytest.mark.slow

# A 135M model on 2 shared cores under CI: deadlines wide enough that only a broken stream misses them.
PATIENT = {"first_sentence_timeout_s": 90, "total_timeout_s": 180, "max_sentences": 3}


def question(catalog, locale: str = "en") -> AnswerRequest:
    return AnswerRequest(question="How much is link 1?", intent="price", locale=locale,
                         products=[catalog.by_sku("TEE-1")], stage_product=catalog.by_sku("JEANS-2"),
                         shop=catalog.shop)


def assert_sentences(sentences: list[str], limit: int = 60) -> None:
    assert sentences, "the server streamed no sentence"
    assert len(sentences) <= PATIENT["max_sentences"]
    for sentence in sentences:
        assert sentence == sentence.strip() and has_words(sentence)
        assert spoken_width(sentence) <= limit


async def test_the_openai_backend_streams_sentences_from_llama_cpp(llama_server, catalog, make_hub) -> None:
    hub = make_hub()
    backend = OpenAIBackend(OpenAISettings(model="smollm2", base_url=llama_server, max_tokens=64, **PATIENT), hub)
    try:
        for locale in ("en", "zh-CN"):
            assert_sentences([s async for s in backend.answer(question(catalog, locale))])
    finally:
        await backend.aclose()
    assert hub.metrics.get_sample_value("livehub_llm_calls_total", {"backend": "openai", "outcome": "ok"}) == 2
    # the server reported no usage in its stream: nothing may be invented
    assert backend.usage == {"prompt": 0, "completion": 0}


async def test_the_langchain_backend_streams_sentences_from_llama_cpp(llama_server, catalog, make_hub) -> None:
    hub = make_hub()
    settings = LangChainSettings(model_class="langchain_openai.ChatOpenAI", model="smollm2",
                                 kwargs={"base_url": llama_server, "api_key": "none", "max_tokens": 64}, **PATIENT)
    backend = LangChainBackend(settings, hub)
    assert_sentences([s async for s in backend.answer(question(catalog))])
    assert hub.metrics.get_sample_value("livehub_llm_calls_total", {"backend": "langchain", "outcome": "ok"}) == 1


async def test_the_chain_answers_from_llama_cpp_and_caches_the_answer(llama_server, catalog, make_hub) -> None:
    hub = make_hub({"backends": {"llm": {"default": "openai", "openai": {
        "model": "smollm2", "base_url": llama_server, "max_tokens": 48, **PATIENT}}}})
    chain = build_answer_chain(hub)
    try:
        first = [c async for c in chain.answer(question(catalog))]
        again = [c async for c in chain.answer(question(catalog))]
    finally:
        await chain.aclose()
    assert first[-1].final and first[-1].backend == "openai" and not first[-1].cached
    assert_sentences([c.text for c in first if c.text])
    assert [c.text for c in again] == [c.text for c in first] and again[0].cached
    assert chain.stats.calls == {"openai": 1} and chain.stats.llm_calls == 1


async def test_a_too_short_first_sentence_deadline_falls_back_to_the_catalog(llama_server, catalog, make_hub) -> None:
    hub = make_hub()
    backend = OpenAIBackend(OpenAISettings(model="smollm2", base_url=llama_server, max_tokens=64,
                                           first_sentence_timeout_s=0.001), hub)
    chain = AnswerChain(hub, [backend, CatalogBackend(None, hub)])
    try:
        chunks = [c async for c in chain.answer(question(catalog))]
    finally:
        await chain.aclose()
    assert chunks[0].backend == "catalog" and "¥128" in chunks[0].text
    assert chain.stats.failures == {"openai": 1}
