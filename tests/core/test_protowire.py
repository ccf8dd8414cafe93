"""hub.protowire: what it writes it reads back; every malformed or oversized input is a WireError."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.protowire import MAX_DEPTH, Message, WireError, decode, encode, encode_varint, unzigzag, zigzag

VALUES = st.one_of(st.integers(0, 2**64 - 1), st.text(max_size=30), st.binary(max_size=30))
FIELDS = st.lists(st.tuples(st.integers(1, 2**29 - 1), VALUES), max_size=12)


@settings(max_examples=300, deadline=None)
@given(FIELDS)
def test_what_is_encoded_decodes_to_the_same_fields(fields: list[tuple[int, object]]) -> None:
    decoded = decode(encode(fields))
    assert [(n, v.encode() if isinstance(v, str) else v) for n, v in fields] == [(n, v) for n, _, v in decoded]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_decode_or_raise_wire_error(data: bytes) -> None:
    try:
        message = Message(data)
        for number in message.fields:
            for getter in (message.int, message.str, message.bytes, message.messages):
                try:
                    getter(number)
                except WireError:
                    pass
    except WireError:
        pass


def test_scalars_nesting_and_signed_readings() -> None:
    inner = encode([(1, "k"), (2, "v")])
    m = Message(encode([(1, 7), (1, 9), (2, "名字"), (3, [inner, inner]), (4, -2), (5, zigzag(-3))]))
    assert m.int(1) == 9 and m.repeated(1) == [7, 9]  # a repeated scalar keeps its last value
    assert m.str(2) == "名字" and [x.str(2) for x in m.messages(3)] == ["v", "v"]
    assert m.int64(4) == -2 and m.sint(5) == -3 and unzigzag(zigzag(-3)) == -3
    assert m.int(99) == 0 and m.str(99) == "" and m.message(99).fields == {}


def test_limits_and_malformed_inputs_are_named() -> None:
    with pytest.raises(WireError, match="truncated varint"):
        decode(b"\x08\x80")
    with pytest.raises(WireError, match="runs past the end"):
        decode(b"\x0a\x05ab")
    with pytest.raises(WireError, match="wire type"):
        decode(b"\x0b")  # wire type 3 (groups) is not supported
    with pytest.raises(WireError, match="field number 0"):
        decode(b"\x00\x01")
    with pytest.raises(WireError, match="longer than 10 bytes"):
        decode(b"\x08" + b"\xff" * 11 + b"\x01")
    with pytest.raises(WireError, match="not UTF-8"):
        Message(encode([(1, b"\xff")])).str(1)
    with pytest.raises(WireError, match="expected a number"):
        Message(encode([(1, "x")])).int(1)
    with pytest.raises(WireError, match="exceeds the limit"):
        decode(b"\x08\x01" * 10, max_length=8)
    deep = b""
    for _ in range(MAX_DEPTH + 2):
        deep = encode([(1, deep)])
    message = Message(deep)
    with pytest.raises(WireError, match="nested deeper"):
        for _ in range(MAX_DEPTH + 2):
            message = message.message(1)
    with pytest.raises(WireError, match="out of range"):
        encode_varint(2**64)
