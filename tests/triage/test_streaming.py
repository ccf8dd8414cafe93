"""A voice answer is heard while it is written: each reviewed sentence is published as a ReplySentence
at once, and the Reply (same id, whole text) follows. An LLM's answer to a fact question is held until it
states the fact; one that never does is replaced by the catalog's before anything is heard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from hub.answers import AnswerBackend, AnswerRequest
from hub.events import Event
from hub.hookspecs import hookimpl
from hub.specs import BackendSpec
from plugins.replay.runner import ReplaySession
from tests.triage.test_engine import replay, said, stage

GATE_S = 2.0  # how long the writer waits for the room to hear its first sentence


class Writer(AnswerBackend):
    """An LLM that writes a sentence, then waits (up to GATE_S) until the room has heard something
    of this answer before writing the next: ``released`` says whether it was heard in time."""

    name: ClassVar[str] = "writer"
    script: ClassVar[dict[str, list[str]]] = {}
    heard = asyncio.Event()
    released: ClassVar[list[bool]] = []

    async def _stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        first, *rest = self.script[request.intent]
        Writer.heard.clear()
        yield first
        try:
            await asyncio.wait_for(Writer.heard.wait(), GATE_S)
            Writer.released.append(True)
        except TimeoutError:
            Writer.released.append(False)
        for sentence in rest:
            yield sentence


class WriterPlugin:
    @hookimpl
    def livehub_register_backends(self) -> list[BackendSpec]:
        return [BackendSpec(kind="llm", name="writer", factory=lambda settings, hub: Writer(None, hub))]


async def run(records: list[dict[str, Any]], script: dict[str, list[str]],
              triage: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[Event]]:
    Writer.script, Writer.released = script, []
    events: list[Event] = []

    def seen(event: Event) -> None:
        events.append(event)
        if event.type == "reply_sentence":
            Writer.heard.set()

    def observe(session: ReplaySession) -> None:
        session.hub.bus.subscribe("test-stream", seen, types=("reply_sentence", "reply"))

    report = await replay(records, triage={"catalog_intents": [], "chat_enabled": False, **(triage or {})},
                          plugins=[("writer", WriterPlugin())], config={"backends": {"llm": {"default": "writer"}}},
                          observe=observe)
    return report, events


async def test_each_sentence_is_heard_before_the_answer_is_complete() -> None:
    script = {"other": ["这款茶是高山乌龙。", "回甘很持久。", "冲泡五六次都有香味。"]}
    report, events = await run([stage("s", 0, "TEA-001"), said("q", 1, "这个茶怎么样呀？")], script)
    assert Writer.released == [True]  # the first sentence went out while the rest was being written
    *sentences, reply = events
    assert [e.type for e in sentences] == ["reply_sentence"] * 3 and reply.type == "reply"
    assert [e.text for e in sentences] == script["other"] and [e.index for e in sentences] == [0, 1, 2]
    assert {e.reply for e in sentences} == {reply.id} and reply.text == "".join(script["other"])
    assert all(e.answers == ["q"] and e.sku == "TEA-001" and e.source == "writer" for e in sentences)
    (said_reply,) = report["replies"]
    assert said_reply["text"] == reply.text and report["decisions"]["q"]["outcome"] == "answered"


async def test_a_fact_answer_is_held_until_it_states_the_fact() -> None:
    script = {"price": ["这款茶很香哦。", "今天到手价128元。"]}
    report, events = await run([stage("s", 0, "TEA-001"), said("q", 1, "多少钱")], script)
    assert Writer.released == [False]  # nothing was heard before the price was written
    assert [e.text for e in events if e.type == "reply_sentence"] == script["price"]
    assert report["decisions"]["q"] == {"outcome": "answered", "reason": "price", "reply": 0}


async def test_a_fact_answer_that_never_states_it_is_replaced_before_anything_is_heard() -> None:
    script = {"price": ["这款茶很香哦。", "喜欢就拍。"]}
    report, events = await run([stage("s", 0, "TEA-001"), said("q", 1, "多少钱")], script)
    sentences = [e for e in events if e.type == "reply_sentence"]
    assert sentences and all(e.source == "catalog" for e in sentences)
    assert "128元" in "".join(e.text for e in sentences)
    assert report["decisions"]["q"]["reason"] == "price (grounded: catalog)"


async def test_chat_replies_are_posted_whole() -> None:
    script = {"complaint": ["抱歉给您带来不便。", "请联系客服处理。"]}
    report, events = await run([stage("s", 0, "TEA-001"), said("k", 1, "质量太差了吧")], script,
                               triage={"chat_enabled": True})
    assert [e.type for e in events] == ["reply"] and events[0].channel == "chat"
    assert report["replies"][0]["channel"] == "chat"
