"""The event schema round-trips and rejects malformed input with the field and reason."""

from decimal import Decimal

import pytest

from hub.events import EVENT_TYPES, Comment, EventFormatError, Gift, User, from_dict, to_dict


def test_every_type_round_trips():
    samples = {
        "comment": {"text": "多少钱"}, "gift": {"gift": "rose", "count": 3, "value": "9.90"},
        "like": {"count": 12}, "enter": {}, "follow": {}, "order": {"order_id": "o1", "sku": "A", "qty": 2, "amount": "19.80", "currency": "USD", "status": "paid",
                                                    "shop": "shopify"},
        "stats": {"viewers": 120}, "live_state": {"state": "ended", "detail": "STREAM_ENDED"}, "stage": {"sku": "TEA-001"}, "reply": {"text": "128元", "answers": ["e1"], "sku": "TEA-001",
                  "askers": [{"platform": "douyin", "user": {"id": "u9", "name": "Bo"}, "message_id": "m9"}]},
        "reply_sentence": {"reply": "r1", "index": 0, "text": "128元。", "answers": ["e1"], "sku": "TEA-001"},
        "stream_state": {"output": "rtmp", "state": "live"}, "connector_state": {"connector": "x", "state": "ready"},
        "operator_alert": {"kind": "talk_guardrails", "message": "blocked", "text": "0元", "reasons": ["free"]},
        "catalog_change": {"shop": "shop", "sku": "A", "change": "sold_out", "link": 3, "price": "9.90",
                           "price_before": "9.90", "stock": 0, "stock_before": 2},
    }
    assert set(samples) == set(EVENT_TYPES)
    for kind, fields in samples.items():
        data = {"type": kind, "platform": "p", "room": "r", "user": {"id": "u1", "name": "Ann"},
                "message_id": "m1", "platform_ts": 1.5, **fields}
        event = from_dict(data)
        assert event.type == kind
        again = to_dict(event)
        assert from_dict(again) == event
        assert again["user"] == {"id": "u1", "name": "Ann"} and again["received_ts"] > 0


def test_decimals_stay_decimals():
    gift = from_dict({"type": "gift", "platform": "p", "room": "r", "gift": "x", "value": "0.10"})
    assert gift.value == Decimal("0.10")
    assert to_dict(gift)["value"] == "0.10"


@pytest.mark.parametrize("data, field", [
    ({"type": "nope", "platform": "p", "room": "r"}, "type"),
    ({"type": "comment", "platform": "p", "room": "r", "txt": "x"}, "txt"),
    ({"type": "comment", "platform": "p", "room": "r", "text": "x", "user": "bob"}, "user"),
    ({"type": "gift", "platform": "p", "room": "r", "gift": "x", "value": "abc"}, "value"),
    ({"type": "comment", "platform": "p", "room": "r"}, "text: required"),
    ({"type": ["x"], "platform": "p", "room": "r"}, "type"),
    ("not an object", "object"),
    ({"type": "comment", "platform": "p", "room": "r", "text": 5}, "text: expected str"),
    ({"type": "like", "platform": "p", "room": "r", "count": "3"}, "count: expected int"),
    ({"type": "like", "platform": "p", "room": "r", "count": True}, "count"),
    ({"type": "reply", "platform": "p", "room": "r", "text": "x", "answers": [1]}, "answers"),
    ({"type": "reply", "platform": "p", "room": "r", "text": "x", "askers": {"platform": "p"}}, "askers"),
    ({"type": "reply", "platform": "p", "room": "r", "text": "x", "askers": [{"platform": "p"}]}, "askers"),
    ({"type": "reply", "platform": "p", "room": "r", "text": "x",
      "askers": [{"platform": "p", "user": {"id": True}}]}, "askers"),
])
def test_malformed_input_names_the_field(data, field):
    with pytest.raises(EventFormatError, match=field):
        from_dict(data)


def test_reply_askers_keep_where_each_viewer_wrote():
    from hub.events import Asker, Reply

    reply = Reply(platform="hub", room="main", text="128元", sku="TEA-001",
                  askers=[Asker("douyin", User("u1", "Ann"), "m1"), Asker("local", User("v2"), None)])
    again = from_dict(to_dict(reply))
    assert again.askers == reply.askers and again.sku == "TEA-001"
    assert to_dict(reply)["askers"][1] == {"platform": "local", "user": {"id": "v2", "name": ""}, "message_id": None}


def test_dedup_key_uses_platform_message_id():
    a = Comment(platform="douyin", room="r", text="x", message_id="42", user=User("u"))
    b = Comment(platform="douyin", room="r", text="x", message_id="42", user=User("u"))
    assert a.id != b.id and a.dedup_key == b.dedup_key == ("douyin", "42")
    assert Gift(platform="p", room="r", gift="g").dedup_key[1].count("-") == 2  # falls back to event id
