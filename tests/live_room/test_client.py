"""Viewer submissions to the built-in live room: cleaning, checking, rate limits and resend detection."""

from __future__ import annotations

import pytest

from connectors.local.client import (
    MAX_NAME_CHARS,
    RateLimiter,
    SubmissionError,
    clean_text,
    default_name,
    parse_submission,
)
from hub.resume import RecentIds

VIEWER = "a1b2c3d4e5f6"


def submit(**fields: object):
    data = {"text": "1号链接多少钱", "viewer_id": VIEWER, "message_id": "m-0001-abcd", **fields}
    return parse_submission(data, max_chars=20, new_id=lambda: "generated-id-1")


def test_control_and_format_characters_are_removed_and_spaces_collapse() -> None:
    assert clean_text("  多少\u200b钱\x00\x1b[31m ?\n\n\t再问一下\u202e ") == "多少钱[31m ? 再问一下"
    assert clean_text("\u3000全角\u00a0空格") == "全角 空格"


def test_a_clean_submission_keeps_its_fields() -> None:
    sub = submit(name=" 小雨\n")
    assert (sub.viewer_id, sub.name, sub.text, sub.message_id) == (VIEWER, "小雨", "1号链接多少钱", "m-0001-abcd")


@pytest.mark.parametrize(("fields", "field"), [
    ({"text": "   \u200b\n"}, "text"),
    ({"text": "x" * 21}, "text"),
    ({"text": 42}, "text"),
    ({"viewer_id": "short"}, "viewer_id"),
    ({"viewer_id": "has spaces in it"}, "viewer_id"),
    ({"message_id": "<script>alert(1)</script>"}, "message_id"),
])
def test_bad_submissions_name_the_field(fields: dict, field: str) -> None:
    with pytest.raises(SubmissionError) as caught:
        submit(**fields)
    assert caught.value.field == field


def test_text_at_the_cap_passes_and_a_missing_message_id_is_generated() -> None:
    sub = parse_submission({"text": "x" * 20, "viewer_id": VIEWER}, max_chars=20, new_id=lambda: "generated-id-1")
    assert sub.text == "x" * 20 and sub.message_id == "generated-id-1"


def test_names_are_cut_and_a_blank_name_gets_a_default_from_the_viewer_id() -> None:
    assert submit(name="名" * 40).name == "名" * MAX_NAME_CHARS
    assert submit(name="\u200b \x07").name == default_name(VIEWER) == "观众e5f6"
    assert parse_submission({"text": "hi", "viewer_id": VIEWER}, max_chars=20, new_id=lambda: "generated-id-1",
                            name_prefix="Viewer").name == "Viewere5f6"


def test_the_body_must_be_an_object() -> None:
    with pytest.raises(SubmissionError) as caught:
        parse_submission(["text"], max_chars=20, new_id=lambda: "x")
    assert caught.value.field == "body"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_per_address_and_name_with_the_wait_until_the_window_frees() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock)
    assert limiter.check("10.0.0.1", "小雨") == 0
    clock.now += 10
    assert limiter.check("10.0.0.1", "小雨") == 0
    clock.now += 5
    assert limiter.check("10.0.0.1", "小雨") == pytest.approx(45.0)  # the first hit leaves the window at 1060
    assert limiter.check("10.0.0.2", "小雨") == 0  # another address is another viewer
    assert limiter.check("10.0.0.1", "阿明") == 0  # another viewer on the same address is counted apart
    clock.now = 1060.5
    assert limiter.check("10.0.0.1", "小雨") == 0


def test_changing_viewer_ids_does_not_lift_the_per_address_limit() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, per_address=3, clock=clock)  # 1 per viewer, 3 per address
    assert [limiter.check("10.0.0.9", f"viewer{i}") for i in range(3)] == [0, 0, 0]
    assert limiter.check("10.0.0.9", "viewer3") > 0
    assert RateLimiter(10).per_address == 60  # by default six viewers' worth per address


def test_the_limiter_forgets_the_least_recent_keys_beyond_its_bound() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, clock=clock, max_keys=10)
    for i in range(50):
        limiter.check(f"10.0.{i}.1", "x")
    assert len(limiter._hits) <= 10


def test_recent_ids_remember_a_bounded_number() -> None:
    ids = RecentIds(size=3)
    for message_id in ("a", "b", "c", "d"):
        ids.add(message_id)
    assert "a" not in ids and all(m in ids for m in ("b", "c", "d"))
