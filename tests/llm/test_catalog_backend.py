"""The offline catalog backend: every intent, both locales, the catalog's exact figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.answer_chain import AnswerChain
from hub.answers import INTENTS, AnswerRequest
from hub.catalog import Catalog
from hub.prompts import format_price
from plugins.llm_catalog.backend import CatalogBackend

LOCALES = ("zh-CN", "en")
PRICED = ("price", "stock", "spec", "promotion", "purchase", "other")  # about the asked product
ON_STAGE = ("greeting", "chitchat")  # about the product on stage


async def say(backend: CatalogBackend, request: AnswerRequest) -> str:
    return " ".join([s async for s in backend.answer(request)])


def ask(catalog: Catalog, intent: str, locale: str, sku: str | None = "TEE-1", **kw) -> AnswerRequest:
    products = [catalog.by_sku(sku)] if sku else []
    return AnswerRequest(question="?", intent=intent, locale=locale, products=products,
                         stage_product=catalog.by_sku("JEANS-2"), shop=catalog.shop, **kw)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("intent", INTENTS)
async def test_every_intent_gets_an_answer_with_the_catalogs_figures(catalog, make_hub, locale, intent) -> None:
    backend = CatalogBackend(None, make_hub())
    text = await say(backend, ask(catalog, intent, locale, asked_by=["Amy"]))
    tee, jeans = catalog.by_sku("TEE-1"), catalog.by_sku("JEANS-2")
    assert text
    if intent in PRICED:
        assert tee.name in text and format_price(tee.current_price, "CNY", locale) in text
    if intent in ON_STAGE:
        assert jeans.name in text and format_price(jeans.price, "CNY", locale) in text
        assert "Amy" in text
    if intent == "promotion":
        assert format_price(tee.price, "CNY", locale) in text  # the list price, and the promo price above
    if intent == "stock":
        assert "300" in text
    if intent == "shipping":
        assert catalog.shop.shipping in text and catalog.shop.returns in text
    if intent == "complaint":
        assert catalog.shop.returns in text


@pytest.mark.parametrize("locale", LOCALES)
async def test_no_figure_appears_that_the_catalog_does_not_have(catalog, make_hub, locale) -> None:
    backend = CatalogBackend(None, make_hub())
    allowed = {format_price(p.price, "CNY", locale) for p in catalog.products} | {
        format_price(p.promo_price, "CNY", locale) for p in catalog.products if p.promo_price is not None}
    for intent in INTENTS:
        text = await say(backend, ask(catalog, intent, locale))
        for word in text.replace("，", " ").replace(",", " ").replace("。", " ").split():
            if ("元" in word or "¥" in word) and any(c.isdigit() for c in word):
                assert any(price in word for price in allowed), f"{intent}: {word!r} is not a catalog price"


async def test_answers_are_deterministic(catalog, make_hub) -> None:
    backend = CatalogBackend(None, make_hub())
    request = ask(catalog, "price", "zh-CN")
    assert await say(backend, request) == await say(backend, request)


async def test_several_products_are_each_priced(catalog, make_hub) -> None:
    request = AnswerRequest(question="1号和2号多少钱", intent="price", products=catalog.products[:2],
                            shop=catalog.shop)
    text = await say(CatalogBackend(None, make_hub()), request)
    assert "128元" in text and "199.50元" in text and "纯棉T恤" in text and "直筒牛仔裤" in text


async def test_sold_out_and_low_stock_are_said_honestly(catalog, make_hub) -> None:
    backend = CatalogBackend(None, make_hub())
    cap = await say(backend, ask(catalog, "stock", "zh-CN", sku="CAP-3"))
    assert "卖完" in cap and "现货" not in cap
    jeans = await say(backend, ask(catalog, "stock", "en", sku="JEANS-2"))
    assert "Only 8 left" in jeans
    purchase = await say(backend, ask(catalog, "purchase", "zh-CN", sku="CAP-3"))
    assert "卖完" in purchase and "直接拍" not in purchase


@pytest.mark.parametrize("locale", LOCALES)
async def test_an_unknown_product_is_asked_back_with_the_choices(catalog, make_hub, locale) -> None:
    request = AnswerRequest(question="多少钱", intent="price", locale=locale, shop=catalog.shop)
    text = await say(CatalogBackend(None, make_hub()), request)
    assert ("几号链接" in text) if locale == "zh-CN" else ("Which link" in text)
    staged = AnswerRequest(question="多少钱", intent="price", locale=locale, shop=catalog.shop,
                           stage_product=catalog.by_sku("JEANS-2"))
    assert "直筒牛仔裤" in await say(CatalogBackend(None, make_hub()), staged)  # "this one" = on stage


async def test_a_locale_without_templates_falls_back_to_english(catalog, make_hub) -> None:
    text = await say(CatalogBackend(None, make_hub()), ask(catalog, "price", "fr"))
    assert text.startswith("Link 1") and "¥128" in text


async def test_a_merchant_template_overrides_the_builtin_one(catalog, make_hub, tmp_path: Path) -> None:
    folder = tmp_path / "prompts" / "zh-CN" / "answers"
    folder.mkdir(parents=True)
    (folder / "price.j2").write_text("亲，{{ product.name }}只要{{ product.current_price|price }}哦！", "utf-8")
    hub = make_hub({"hub": {"prompts_dir": str(tmp_path / "prompts")}})
    assert await say(CatalogBackend(None, hub), ask(catalog, "price", "zh-CN")) == "亲，纯棉T恤只要128元哦！"


async def test_a_broken_merchant_template_fails_cleanly_and_the_chain_does_not_raise(
        catalog, make_hub, tmp_path: Path) -> None:
    folder = tmp_path / "zh-CN" / "answers"
    folder.mkdir(parents=True)
    (folder / "price.j2").write_text("{{ no_such_variable }}", "utf-8")
    hub = make_hub({"hub": {"prompts_dir": str(tmp_path)}})
    chain = AnswerChain(hub, [CatalogBackend(None, hub)])
    chunks = [c async for c in chain.answer(ask(catalog, "price", "zh-CN"))]
    assert [(c.text, c.backend, c.final) for c in chunks] == [("", "", True)]
    assert chain.stats.unanswered == 1 and chain.stats.failures == {"catalog": 1}


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_purchase_remark_is_told_where_to_buy_and_to_pay(catalog, make_hub, locale) -> None:
    backend = CatalogBackend(None, make_hub())
    tee = await say(backend, ask(catalog, "purchase", locale))
    zh = locale == "zh-CN"
    assert ("1号链接" if zh else "Link 1") in tee and ("购物车" if zh else "cart") in tee
    assert format_price(catalog.by_sku("TEE-1").current_price, "CNY", locale) in tee
    assert ("付款" if zh else "payment") in tee
    jeans = await say(backend, ask(catalog, "purchase", locale, sku="JEANS-2"))  # 8 left
    assert ("只剩8件" if zh else "Only 8 left") in jeans


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_complaint_gets_an_apology_and_support_but_no_promise(catalog, make_hub, locale) -> None:
    text = await say(CatalogBackend(None, make_hub()), ask(catalog, "complaint", locale, asked_by=["Amy"]))
    zh = locale == "zh-CN"
    assert ("抱歉" if zh else "sorry") in text and "Amy" in text
    assert ("客服" if zh else "support") in text and catalog.shop.returns in text
    assert not any(word in text.lower() for word in ("退款", "赔", "补偿", "refund", "compensat"))
