"""The langchain backend (ChatOpenAI by import path) against the SSE stand-in: streaming, usage from
the chunks' ``usage_metadata``, vendor errors mapped, bad settings named."""

from __future__ import annotations

import asyncio

import pytest

from hub.answers import AnswerRequest
from hub.errors import BackendError, ConfigError
from plugins.llm_langchain.backend import LangChainBackend, LangChainSettings


def backend(hub, url: str, model: str, **kw) -> LangChainBackend:
    settings = LangChainSettings(model=model, kwargs={"base_url": url, "api_key": "none"},
                                 first_sentence_timeout_s=0.5, total_timeout_s=5, **kw)
    return LangChainBackend(settings, hub)


def ask(catalog) -> AnswerRequest:
    return AnswerRequest(question="how much is link 1", intent="price", locale="en",
                         products=[catalog.by_sku("TEE-1")], shop=catalog.shop)


async def test_streams_sentences_and_counts_the_servers_usage(standin, catalog, make_hub) -> None:
    hub = make_hub()
    chat = backend(hub, standin.url, "ok")
    assert [s async for s in chat.answer(ask(catalog))] == ["Link 1 is ¥128 today.", "Grab it now!"]
    assert chat.usage == {"prompt": 42, "completion": 10}
    body = standin.requests[-1]
    assert body["stream"] is True and [m["role"] for m in body["messages"]] == ["system", "user"]
    assert '"how much is link 1"' in body["messages"][1]["content"]


@pytest.mark.parametrize(("model", "retryable"), [("429", True), ("500", True), ("401", False),
                                                  ("stall", True), ("malformed", True)])
async def test_vendor_errors_become_backend_errors(standin, catalog, make_hub, model, retryable) -> None:
    chat = backend(make_hub(), standin.url, model)
    with pytest.raises(BackendError) as caught:
        async with asyncio.timeout(10):
            [s async for s in chat.answer(ask(catalog))]
    assert caught.value.retryable is retryable and caught.value.backend == "langchain"
    assert len(standin.bodies(model)) == 1  # the model's own retries are off: the chain decides


def test_bad_model_classes_are_named(make_hub) -> None:
    with pytest.raises(ConfigError, match="pip install langchain-nonexistent"):
        LangChainBackend(LangChainSettings(model_class="langchain_nonexistent.Chat"), make_hub())
    with pytest.raises(ConfigError, match="has no class 'NoSuchChat'"):
        LangChainBackend(LangChainSettings(model_class="langchain_openai.NoSuchChat"), make_hub())
    with pytest.raises(ConfigError, match="not an import path"):
        LangChainBackend(LangChainSettings(model_class="ChatOpenAI"), make_hub())
