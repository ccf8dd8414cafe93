"""What a show says: generated pitch variants that never repeat in a row, scripted lines, countdown lines
and idle fillers, all from the catalog and all passing the real guardrails unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.review import ReviewContext, review_output
from plugins.show_runner.pitch import PitchWriter
from plugins.show_runner.rundown import Segment

from .conftest import show_hub

SKUS = ("TEA-001", "MUG-002", "SCARF-003")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_pitch_rounds_rotate_and_never_repeat_a_sentence_in_a_row(tmp_path: Path, locale: str) -> None:
    async with show_hub(tmp_path) as hub:
        writer = PitchWriter(hub, locale)
        for sku in SKUS:
            segment = Segment(sku=sku, minutes=5, variants=3)
            rounds = [writer.pitch_round(sku, n, segment) for n in range(7)]
            assert all(rounds), sku
            for before, after in zip(rounds, rounds[1:], strict=False):
                assert before != after and not set(before) & set(after), (sku, before, after)
            assert rounds[0] == rounds[3] == rounds[6]  # three variants, rotated
            assert len({tuple(r) for r in rounds}) == 3


async def test_two_variants_alternate_and_one_variant_repeats(tmp_path: Path) -> None:
    async with show_hub(tmp_path) as hub:
        writer = PitchWriter(hub, "zh-CN")
        two = [writer.pitch_round("TEA-001", n, Segment(sku="TEA-001", minutes=1, variants=2)) for n in range(4)]
        assert two[0] == two[2] != two[1] == two[3]
        one = [PitchWriter(hub, "zh-CN").pitch_round("MUG-002", n, Segment(sku="MUG-002", minutes=1, variants=1))
               for n in range(2)]
        assert one[0] == one[1]


async def test_scripted_lines_are_said_as_written_in_sentences(tmp_path: Path) -> None:
    async with show_hub(tmp_path) as hub:
        segment = Segment(sku="TEA-001", minutes=1, lines=["第一句。第二句！", "第三句"])
        assert PitchWriter(hub, "zh-CN").pitch_round("TEA-001", 5, segment) == ["第一句。", "第二句！", "第三句"]


async def test_an_unknown_product_has_no_pitch(tmp_path: Path) -> None:
    async with show_hub(tmp_path) as hub:
        writer = PitchWriter(hub, "zh-CN")
        assert writer.pitch_round("NOPE", 0) == [] and writer.countdown("NOPE", "start", 60) == ""


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_every_show_line_passes_the_guardrails_unchanged(tmp_path: Path, locale: str) -> None:
    async with show_hub(tmp_path) as hub:
        writer = PitchWriter(hub, locale)
        lines: list[str] = []
        for sku in SKUS:
            for n in range(3):
                lines += writer.pitch_round(sku, n)
            lines += [writer.countdown(sku, "start", 60), writer.countdown(sku, "remind", 10),
                      writer.countdown(sku, "end", 0)]
            lines += [writer.idle(sku) for _ in range(4)]
        lines.append(writer.idle(None))
        for line in lines:
            context = ReviewContext(channel="voice", kind="pitch", locale=locale, room="main", source="show",
                                    catalog=hub.catalog())
            outcome = await review_output(hub, line, context)
            assert outcome.text == line, (line, outcome.reasons)


async def test_countdown_lines_state_the_promo_price_and_the_seconds(tmp_path: Path) -> None:
    async with show_hub(tmp_path) as hub:
        zh, en = PitchWriter(hub, "zh-CN"), PitchWriter(hub, "en")
        assert "199元" in zh.countdown("SCARF-003", "start", 60) and "60秒" in zh.countdown("SCARF-003", "start", 60)
        assert "89元" in zh.countdown("MUG-002", "remind", 10)  # no promotion: the regular price
        assert "¥128" in en.countdown("TEA-001", "remind", 30) and "30 seconds" in en.countdown("TEA-001", "remind", 30)


async def test_idle_fillers_never_repeat_in_a_row(tmp_path: Path) -> None:
    async with show_hub(tmp_path) as hub:
        writer = PitchWriter(hub, "zh-CN")
        said = [writer.idle("TEA-001") for _ in range(9)]
        assert all(said) and all(a != b for a, b in zip(said, said[1:], strict=False))
        assert len(set(said)) >= 3
