"""The AnswerBackend base class: sentences as they arrive, deadlines, errors, limits, metrics."""

from __future__ import annotations

import asyncio

import pytest

from hub.answers import AnswerRequest, canonical_intent, classify_error
from hub.errors import BackendError
from tests.llm.fakes import Scripted

REQUEST = AnswerRequest(question="1号链接多少钱", intent="price")


def calls(hub, backend: str, outcome: str) -> float:
    return hub.metrics.get_sample_value("livehub_llm_calls_total", {"backend": backend, "outcome": outcome}) or 0


async def test_sentences_reach_the_caller_before_the_stream_ends(make_hub) -> None:
    gate = asyncio.Event()
    backend = Scripted(["1号链接", "到手价128元。", "库存", "充足", gate, "。"], make_hub())
    answer = backend.answer(REQUEST)
    assert await anext(answer) == "1号链接到手价128元。"  # the stream is still blocked on the gate
    gate.set()
    assert [s async for s in answer] == ["库存充足。"]
    assert backend.closed == 1
    assert calls(backend.hub, "scripted", "ok") == 1
    assert backend.hub.metrics.get_sample_value("livehub_llm_first_sentence_seconds_count",
                                                {"backend": "scripted"}) == 1


async def test_no_first_sentence_within_the_deadline_is_a_retryable_error(make_hub) -> None:
    backend = Scripted(["still thinking without an end", 30.0], make_hub(), first_sentence_timeout_s=0.2)
    async with asyncio.timeout(10):
        with pytest.raises(BackendError, match="no first sentence within 0.2 s") as caught:
            [s async for s in backend.answer(REQUEST)]
    assert caught.value.retryable and caught.value.backend == "scripted"
    assert backend.closed == 1
    assert calls(backend.hub, "scripted", "timeout") == 1


async def test_the_total_deadline_stops_a_slow_answer_after_its_first_sentences(make_hub) -> None:
    backend = Scripted(["First. ", "Second", 30.0], make_hub(), total_timeout_s=0.3)
    said = []
    async with asyncio.timeout(10):
        with pytest.raises(BackendError, match="answer not finished"):
            async for sentence in backend.answer(REQUEST):
                said.append(sentence)
    assert said == ["First."]


async def test_an_answer_with_no_sentence_is_an_error(make_hub) -> None:
    backend = Scripted(["", " ", "。"], make_hub())
    with pytest.raises(BackendError, match="empty answer") as caught:
        [s async for s in backend.answer(REQUEST)]
    assert caught.value.retryable
    assert calls(backend.hub, "scripted", "empty") == 1


@pytest.mark.parametrize(("error", "retryable"), [
    (RuntimeError("bug"), False),
    (ConnectionResetError("reset"), True),
    (ValueError("bad json"), True),
    (TimeoutError(), True),
])
async def test_unknown_exceptions_become_backend_errors(make_hub, error, retryable) -> None:
    backend = Scripted(["partial", error], make_hub())
    with pytest.raises(BackendError) as caught:
        [s async for s in backend.answer(REQUEST)]
    assert caught.value.retryable is retryable
    assert type(error).__name__ in str(caught.value)
    assert calls(backend.hub, "scripted", "error") == 1


class HTTPFailure(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status_code = status


@pytest.mark.parametrize(("status", "retryable"), [(429, True), (500, True), (503, True), (408, True),
                                                   (400, False), (401, False), (404, False)])
def test_http_statuses_are_classified(status: int, retryable: bool) -> None:
    assert classify_error(HTTPFailure(status)) is retryable


async def test_a_rambling_answer_is_cut_after_max_sentences_and_its_stream_closed(make_hub) -> None:
    backend = Scripted(["One. Two. Three. Four. ", 30.0], make_hub(), max_sentences=2)
    async with asyncio.timeout(10):
        assert [s async for s in backend.answer(REQUEST)] == ["One.", "Two."]
    assert backend.closed == 1


async def test_usage_is_counted_from_what_the_server_reports(make_hub) -> None:
    backend = Scripted(["好。"], make_hub())
    backend.report_usage(120, 30)
    backend.report_usage(None, 5)
    assert backend.usage == {"prompt": 120, "completion": 35}
    metric = backend.hub.metrics.get_sample_value
    assert metric("livehub_llm_tokens_total", {"backend": "scripted", "kind": "prompt"}) == 120
    assert metric("livehub_llm_tokens_total", {"backend": "scripted", "kind": "completion"}) == 35


def test_intents_are_canonical() -> None:
    assert canonical_intent("price") == "price"
    assert canonical_intent("Size") == "spec"
    assert canonical_intent("purchase_intent") == "purchase"
    assert canonical_intent("chit-chat") == "chitchat"
    assert canonical_intent("weather") == "other"
    assert canonical_intent("") == "other"
