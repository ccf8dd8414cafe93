"""The answer cache's wording of detail questions: the same question, however it is written, one key."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.catalog import Product
from hub.question_wording import chinese_numeral, question_wording

MUG = Product(sku="MUG-2", link=2, name="陶瓷保温杯", aliases=["保温杯", "Thermal Mug"], price=Decimal("89"))


@pytest.mark.parametrize("text", ["2号链接什么材质？", "这个什么材质呀", "请问什么材质呢 🙏", "保温杯什么材质",
                                  "二号链接什么材质", "什么材质", "问一下 链接2 什么材质啊！！", "陶瓷保温杯什么材质"])
def test_ways_of_asking_one_detail_question_share_a_wording(text: str) -> None:
    assert question_wording(text, MUG) == "什么材质"


@pytest.mark.parametrize("text", ["#2 what is it made of?", "what is this made of", "Link 2: what is it made of",
                                  "please, what is this one made of"])
def test_english_references_and_politeness_are_dropped_on_word_boundaries(text: str) -> None:
    assert question_wording(text, MUG) == "whatismadeof"
    # "it" goes as a word, not as letters inside one
    assert question_wording("is it suitable for kids", MUG) == "issuitableforkids"
    assert question_wording("what is the Thermal Mug made of", MUG) == "whatisthemadeof"


def test_different_questions_keep_different_wordings() -> None:
    asked = ["多大", "多重", "适合送人吗", "适合小孩吗", "什么材质", "保质期多久"]
    assert len({question_wording(t, MUG) for t in asked}) == len(asked)


def test_words_that_may_be_the_subject_are_kept() -> None:
    assert question_wording("主播穿什么码", MUG) != question_wording("穿什么码", MUG)
    assert question_wording("宝宝多大能用", MUG) != question_wording("多大能用", MUG)
    assert question_wording("不适合送人吗", MUG) != question_wording("适合送人吗", MUG)


def test_other_products_named_in_the_question_are_kept() -> None:
    assert question_wording("2号和3号哪个大", MUG) != question_wording("2号和1号哪个大", MUG)
    assert question_wording("12号多大", MUG) == "12号多大" and question_wording("十二号多大", MUG) == "十二号多大"
    assert question_wording("22号多大", MUG) == "22号多大"


def test_without_a_product_only_decoration_goes() -> None:
    assert question_wording("2号链接什么材质？") == "2号链接什么材质"
    assert question_wording("这个能治失眠吗？") == question_wording("能治失眠吗") == "能治失眠"


def test_a_question_that_is_only_decoration_keeps_its_text() -> None:
    assert question_wording("这个呢？", MUG) == "这个呢"


def test_chinese_numerals() -> None:
    assert [chinese_numeral(n) for n in (1, 9, 10, 12, 20, 35)] == ["一", "九", "十", "十二", "二十", "三十五"]
