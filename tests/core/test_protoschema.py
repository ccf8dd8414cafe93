"""hub.protoschema: message classes from field tables read what hub.protowire writes; malformed input is a
WireError; fields not in the table are skipped."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.protoschema import build, parse
from hub.protowire import WireError, encode

TABLE = {
    "User": {"id": (1, "uint64"), "nickname": (3, "string")},
    "Chat": {"user": (2, "User"), "content": (3, "string"), "tags": (4, "repeated string"), "extra": (5, "map"),
             "delta": (6, "sint64"), "signed": (7, "int64")},
}
SCHEMA = build("test_protoschema", TABLE)


def test_fields_nested_repeated_maps_and_signed_numbers() -> None:
    user = encode([(1, 2**63 + 5), (2, "skipped"), (3, "小林"), (9, b"unknown")])
    data = encode([(2, user), (3, "多少钱"), (4, ["a", "b"]), (5, [encode([(1, "k"), (2, "v")])]), (6, 5), (7, -2),
                   (99, 7)])
    chat = parse(SCHEMA["Chat"], data)
    assert (chat.user.id, chat.user.nickname, chat.content) == (2**63 + 5, "小林", "多少钱")
    assert list(chat.tags) == ["a", "b"] and dict(chat.extra) == {"k": "v"}
    assert chat.delta == -3 and chat.signed == -2  # zigzag 5 is -3; int64 two's complement
    empty = parse(SCHEMA["Chat"], b"")
    assert (empty.user.id, empty.content, list(empty.tags)) == (0, "", [])


def test_a_package_is_built_once() -> None:
    assert build("test_protoschema", TABLE)["Chat"] is SCHEMA["Chat"]


def test_malformed_input_is_a_wire_error() -> None:
    with pytest.raises(WireError, match="not a valid Chat"):
        parse(SCHEMA["Chat"], b"\x1a\x05ab")  # a length past the end
    with pytest.raises(WireError):
        parse(SCHEMA["Chat"], encode([(3, b"\xff\xfe")]))  # a string that is not UTF-8
    with pytest.raises(ValueError, match="unknown type"):
        build("test_protoschema_bad", {"M": {"x": (1, "nope")}})


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_parse_or_raise_wire_error(data: bytes) -> None:
    try:
        chat = parse(SCHEMA["Chat"], data)
    except WireError:
        return
    assert isinstance(chat.content, str) and isinstance(chat.user.nickname, str)
