"""The triage service: which questions reach an LLM by default, and the answer chain built at start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from hub.answers import AnswerBackend, AnswerRequest
from hub.hookspecs import hookimpl
from hub.specs import BackendSpec
from plugins.replay.runner import ReplaySession
from plugins.triage.settings import TriageSettings
from tests.triage.test_engine import replay, said, stage


class Talker(AnswerBackend):
    name = "talker"

    async def _stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        yield "这款用料很扎实，细节可以看详情页。"


class TalkerPlugin:
    """Registers ``talker``; its factory fails the first ``failures`` times it is called."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.built = 0

    def _make(self, settings: Any, hub: Any) -> Talker:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the SDK is not importable yet")
        self.built += 1
        return Talker(None, hub)

    @hookimpl
    def livehub_register_backends(self) -> list[BackendSpec]:
        return [BackendSpec(kind="llm", name="talker", factory=self._make)]


TALKER = {"backends": {"llm": {"default": "talker"}}}


def test_catalog_answers_facts_purchases_and_complaints_by_default() -> None:
    assert TriageSettings().catalog_intents == ["price", "stock", "promotion", "shipping", "purchase", "complaint"]


async def test_by_default_only_questions_that_need_language_reach_the_llm() -> None:
    backends: dict[str, str] = {}

    def observe(session: ReplaySession) -> None:
        session.service.on_reply.append(lambda room, record: backends.update({record.intent: record.backend}))

    questions = {"price": "1号多少钱", "stock": "2号还有货吗", "promotion": "有优惠吗", "shipping": "包邮吗",
                 "purchase": "怎么下单", "complaint": "质量太差了吧", "spec": "这个什么材质"}
    trace = [stage("s", 0, "MUG-002")] + [said(intent, 1 + 20 * n, text) for n, (intent, text)
                                          in enumerate(questions.items())]
    report = await replay(trace, plugins=[("talker", TalkerPlugin())], config=TALKER, observe=observe)
    assert all(report["decisions"][intent]["outcome"] == "answered" for intent in questions)
    assert report["summary"]["llm_calls"] == 1 and report["summary"]["llm_calls_by_intent"] == {"spec": 1}
    assert backends == {**{intent: "catalog" for intent in questions}, "spec": "talker"}
    texts = {intent: reply["text"] for reply in report["replies"] for intent in questions
             if intent in reply["answers"]}
    assert "128元" in texts["price"]
    assert "2号链接" in texts["purchase"] and "购物车" in texts["purchase"] and "付款" in texts["purchase"]
    assert "抱歉" in texts["complaint"] and "客服" in texts["complaint"] and "退款" not in texts["complaint"]


async def test_an_empty_catalog_intents_lets_the_llm_answer_facts() -> None:
    report = await replay([stage("s", 0, "MUG-002"), said("q", 1, "怎么买")], triage={"catalog_intents": []},
                          plugins=[("talker", TalkerPlugin())], config=TALKER)
    assert report["summary"]["llm_calls_by_intent"] == {"purchase": 1}


async def replay_detail_question(plugin: TalkerPlugin) -> tuple[dict[str, Any], list[int]]:
    """Replay one detail question; also how many chains the plugin had built before the first event."""
    built_before_first_event: list[int] = []

    def observe(session: ReplaySession) -> None:
        built_before_first_event.append(plugin.built)

    report = await replay([stage("s", 0, "MUG-002"), said("k", 1, "什么材质")], plugins=[("talker", plugin)],
                          config=TALKER, observe=observe)
    return report, built_before_first_event


async def test_the_answer_chain_is_built_when_triage_starts() -> None:
    plugin = TalkerPlugin()
    report, built_before_first_event = await replay_detail_question(plugin)
    assert built_before_first_event == [1] and plugin.built == 1
    assert report["summary"]["llm_calls"] == 1


async def test_a_chain_that_fails_at_start_is_built_on_the_first_question() -> None:
    plugin = TalkerPlugin(failures=1)
    report, built_before_first_event = await replay_detail_question(plugin)
    assert built_before_first_event == [0] and plugin.built == 1
    assert report["decisions"]["k"]["outcome"] == "answered" and report["summary"]["llm_calls"] == 1
