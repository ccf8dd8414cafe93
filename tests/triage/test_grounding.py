"""Grounding: an LLM answer to a price, stock, promotion or shipping question that does not state the
catalog fact is replaced by the catalog's answer; other answers, and answers of backends that use no LLM,
are said as they are. An LLM too slow for the question's expiry gives way to the catalog in time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from hub.answers import AnswerBackend, AnswerRequest
from hub.catalog_file import load_catalog
from hub.hookspecs import hookimpl
from hub.specs import BackendSpec
from plugins.llm_catalog.backend import CatalogBackend
from plugins.replay.runner import ReplaySession
from plugins.triage.grounding import GROUNDED_INTENTS, states_fact
from plugins.triage.settings import TriageSettings
from tests.triage.test_engine import replay, said, stage

CATALOG_FILE = Path(__file__).resolve().parents[1] / "replay" / "catalog.json"
CATALOG = load_catalog(CATALOG_FILE)
TEA, SOCKS = CATALOG.by_sku("TEA-001"), CATALOG.by_sku("SOCKS-006")  # 168 → 128, 300 left; 59, sold out


@pytest.mark.parametrize("intent, text, grounded", [
    ("price", "1号链接到手价128元，喜欢就拍。", True),
    ("price", "The oolong tea is ¥128 today.", True),
    ("price", "现在只要一百二十八元！", True),
    ("price", "原价168元。", False),  # the list price is not what a viewer pays today
    ("price", "这款茶很香，回甘持久。", False),
    ("promotion", "直播间专属价128元。", True),
    ("promotion", "有优惠哦，快来拍！", False),
    ("stock", "库存还有300件，放心拍。", True),
    ("stock", "It is in stock with 300 available.", True),
    ("stock", "还有货，放心拍。", False),
    ("shipping", "发货说明：全国包邮，48小时内发货。", True),
    ("shipping", "48小时内发货，全国包邮哦", True),
    ("shipping", "全国包邮。", False),
    ("spec", "这款茶很香。", True),  # no single fact answers a spec question: never replaced
])
def test_states_fact(intent: str, text: str, grounded: bool) -> None:
    assert states_fact(text, intent, TEA, CATALOG.shop) is grounded


def test_sold_out_is_the_stock_fact_and_no_product_is_never_grounded() -> None:
    assert states_fact("羊毛袜暂时卖完了。", "stock", SOCKS, CATALOG.shop)
    assert not states_fact("羊毛袜还有0件。", "stock", SOCKS, CATALOG.shop)
    assert not states_fact("128元。", "price", None, CATALOG.shop)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("intent", GROUNDED_INTENTS)
def test_every_catalog_answer_is_grounded(locale: str, intent: str) -> None:
    backend = CatalogBackend()
    for product in CATALOG.products:
        request = AnswerRequest(question="?", intent=intent, locale=locale, products=[product], shop=CATALOG.shop)
        answer = backend.render(request)
        assert states_fact(answer, intent, product, CATALOG.shop), answer


def test_grounded_intents_are_validated() -> None:
    assert TriageSettings().grounded_intents == list(GROUNDED_INTENTS)
    with pytest.raises(ValueError, match="no single catalog fact answers spec"):
        TriageSettings(grounded_intents=["spec"])


class Chatty(AnswerBackend):
    """A lawful LLM that talks around the question, except that it knows the mug's price."""

    name: ClassVar[str] = "chatty"

    async def _stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        product = request.product
        if product is not None and product.sku == "MUG-002" and request.intent == "price":
            yield "2号链接陶瓷保温杯89元，保温6小时。"
        else:
            yield "这款真的很不错，大家可以看看。"


class Faq(Chatty):
    """The same words from a backend that uses no LLM (a merchant's own FAQ): trusted as it is."""

    name: ClassVar[str] = "faq"
    uses_llm: ClassVar[bool] = False


class Stuck(AnswerBackend):
    """An LLM that never says a word (within its own 5 s first-sentence deadline)."""

    name: ClassVar[str] = "stuck"

    async def _stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        await asyncio.Event().wait()
        yield "never"


class ChattyPlugin:
    @hookimpl
    def livehub_register_backends(self) -> list[BackendSpec]:
        return [BackendSpec(kind="llm", name="chatty", factory=lambda settings, hub: Chatty(None, hub)),
                BackendSpec(kind="llm", name="faq", factory=lambda settings, hub: Faq(None, hub)),
                BackendSpec(kind="llm", name="stuck", factory=lambda settings, hub: Stuck(None, hub))]


async def run(records: list[dict[str, Any]], backend: str = "chatty",
              triage: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[str], Any]:
    sources: list[str] = []
    hubs: list[Any] = []

    def observe(session: ReplaySession) -> None:
        hubs.append(session.hub)
        session.service.on_reply.append(lambda room, record: sources.append(record.backend))

    # grounding checks LLM answers to fact questions: let the LLM answer them (the default is the catalog)
    triage = {"catalog_intents": [], **(triage or {})}
    report = await replay(records, triage=triage, plugins=[("chatty", ChattyPlugin())],
                          config={"backends": {"llm": {"default": backend}}}, observe=observe)
    return report, sources, hubs[0].metrics


async def test_an_llm_answer_without_the_fact_is_replaced_by_the_catalog() -> None:
    report, sources, metrics = await run([stage("s", 0, "TEA-001"), said("q", 1, "多少钱"),
                                          said("k", 30, "这个怎么样呀？")])
    price, chat = report["replies"]
    assert "128元" in price["text"] and "不错" not in price["text"]
    assert report["decisions"]["q"] == {"outcome": "answered", "reason": "price (grounded: catalog)", "reply": 0}
    assert metrics.get_sample_value("livehub_triage_grounding_fallbacks_total", {"intent": "price"}) == 1
    # a question with no single fact keeps the LLM's answer
    assert chat["text"] == "这款真的很不错，大家可以看看。" and report["decisions"]["k"]["reason"] == "other"
    assert sources == ["catalog", "chatty"]


async def test_an_llm_answer_that_states_the_fact_is_said_as_it_is() -> None:
    report, sources, metrics = await run([stage("s", 0, "MUG-002"), said("q", 1, "多少钱")])
    assert report["replies"][0]["text"] == "2号链接陶瓷保温杯89元，保温6小时。"
    assert report["decisions"]["q"]["reason"] == "price" and sources == ["chatty"]
    assert metrics.get_sample_value("livehub_triage_grounding_fallbacks_total", {"intent": "price"}) is None


async def test_a_backend_without_an_llm_is_not_second_guessed() -> None:
    report, sources, _ = await run([stage("s", 0, "TEA-001"), said("q", 1, "多少钱")], backend="faq")
    assert report["replies"][0]["text"] == "这款真的很不错，大家可以看看。" and sources == ["faq"]
    assert report["decisions"]["q"]["reason"] == "price"


async def test_grounding_follows_the_setting() -> None:
    report, sources, _ = await run([stage("s", 0, "TEA-001"), said("q", 1, "多少钱"), said("p", 30, "包邮吗")],
                                   triage={"grounded_intents": ["shipping"]})
    assert report["replies"][0]["text"] == "这款真的很不错，大家可以看看。"
    assert "48小时内发货" in report["replies"][1]["text"]
    assert report["decisions"]["p"]["reason"] == "shipping (grounded: catalog)"
    assert sources == ["chatty", "catalog"]


async def test_a_slow_llm_gives_way_to_the_catalog_before_the_question_expires() -> None:
    report, sources, _ = await run([stage("s", 0, "TEA-001"), said("q", 1, "多少钱")], backend="stuck",
                                   triage={"expiry_s": {"price": 2.5}})
    (reply,) = report["replies"]
    assert "128元" in reply["text"] and sources == ["catalog"]
    # answered, not dropped as expired: the backend's own 5 s deadline (past the expiry) was not waited for
    assert report["decisions"]["q"] == {"outcome": "answered", "reason": "price", "reply": 0}
    assert reply["at"] < 1 + 2.5
