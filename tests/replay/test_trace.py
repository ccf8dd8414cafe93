"""Trace files: parsing, errors that name the line, and the events they become."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.events import HUB_PLATFORM, Comment, Gift, Order, StageChange
from plugins.replay.trace import TraceError, load_trace, parse_trace, to_event, write_trace


def test_records_are_sorted_by_time_and_round_trip(tmp_path) -> None:
    lines = ['{"id": "b", "t": 2, "type": "like", "user": {"id": "u"}, "count": 3}',
             "",
             '{"id": "a", "t": 1.5, "type": "comment", "user": {"id": "u", "name": "小明"}, "text": "多少钱"}']
    records = parse_trace(lines)
    assert [r["id"] for r in records] == ["a", "b"]
    path = tmp_path / "trace.jsonl"
    write_trace(records, path)
    assert load_trace(path) == records


@pytest.mark.parametrize(("line", "message"), [
    ("not json", "trace:1: not valid JSON"),
    ('{"t": 1, "type": "comment", "text": "x"}', "trace:1: missing 'id'"),
    ('{"id": 1, "t": -1, "type": "like"}', "trace:1: 't' must be a number"),
    ('{"id": 1, "t": 1, "type": "dance"}', "trace:1: unknown type 'dance'"),
    ('{"id": 1, "t": 1, "type": "comment"}', "trace:1: a comment needs a 'text'"),
    ('{"id": 1, "t": 1, "type": "order", "qty": 1}', "trace:1: an order needs a 'sku'"),
])
def test_bad_lines_are_reported_with_their_line_number(line: str, message: str) -> None:
    with pytest.raises(TraceError, match=message):
        parse_trace([line], "trace")


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(TraceError, match="trace:2: duplicate id 'x'"):
        parse_trace(['{"id": "x", "t": 0, "type": "enter"}', '{"id": "x", "t": 1, "type": "enter"}'], "trace")


def test_records_become_hub_events_with_the_trace_id() -> None:
    comment = to_event({"id": "e1", "t": 3.5, "type": "comment", "user": {"id": "u1", "name": "小明"}, "text": "hi"})
    assert isinstance(comment, Comment) and (comment.id, comment.message_id, comment.room) == ("e1", "e1", "replay")
    assert comment.user.name == "小明" and comment.platform_ts == 3.5
    gift = to_event({"id": "e2", "t": 0, "type": "gift", "user": {"id": "u"}, "gift": "rose", "count": 3,
                     "value": "30"})
    assert isinstance(gift, Gift) and gift.value == Decimal("30") and gift.count == 3
    order = to_event({"id": "e3", "t": 0, "type": "order", "user": {"id": "u"}, "sku": "TEA", "qty": 2,
                      "order_id": "o1", "room": "other"})
    assert isinstance(order, Order) and (order.sku, order.qty, order.room) == ("TEA", 2, "other")
    stage = to_event({"id": "e4", "t": 0, "type": "stage", "sku": "TEA"})
    assert isinstance(stage, StageChange) and stage.platform == HUB_PLATFORM and stage.sku == "TEA"
