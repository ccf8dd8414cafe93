"""The protobuf wire format without a schema: read fields by number, build messages field by field.

Platforms that speak protobuf (Douyin's and TikTok's webcast ``PushFrame``/``Response`` family, ...)
publish no schema one may ship; their field numbers are facts, and this module is all a connector needs
to use them. It knows nothing of the hub or of any platform.

Reading::

    frame = Message(data)               # parses the top level once; WireError on malformed input
    frame.int(2)                        # field 2 as an unsigned varint (0 when absent)
    frame.str(7), frame.bytes(8)        # length-delimited fields as text / bytes ("" / b"" when absent)
    frame.message(5)                    # a nested message (an empty one when absent)
    frame.messages(1)                   # every occurrence of a repeated nested message
    frame.repeated(3)                   # every raw value of field 3, in order

A scalar field seen several times keeps its last value (protobuf's rule). :func:`decode` gives the
raw ``(field_number, wire_type, value)`` triples. Varints are unsigned 64-bit; :meth:`Message.sint`
(zigzag) and :meth:`Message.int64` (two's complement) give signed readings.

Writing::

    encode([(1, 7), (7, "hb"), (8, payload), (5, encode([(1, "k"), (2, "v")]))])

ints become varints (negative ones as 64-bit two's complement, like ``int64``), ``str`` and ``bytes``
length-delimited fields, a list or tuple value a repeated field; ``None`` is skipped.

Limits: :data:`MAX_LENGTH` bytes per message and :data:`MAX_DEPTH` levels of nesting; anything beyond,
and every truncated or malformed input, raises :class:`WireError` (a ``ValueError``), never another error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["WireError", "Message", "decode", "encode", "encode_varint", "zigzag", "unzigzag",
           "VARINT", "I64", "LEN", "I32", "MAX_LENGTH", "MAX_DEPTH"]

VARINT, I64, LEN, I32 = 0, 1, 2, 5
MAX_LENGTH = 16 * 1024 * 1024
MAX_DEPTH = 32
MAX_FIELD = (1 << 29) - 1
_U64 = (1 << 64) - 1


class WireError(ValueError):
    """Bytes that are not a valid protobuf message (or exceed a limit); the message says where."""


def encode_varint(value: int) -> bytes:
    """``value`` (0 ≤ value < 2**64; a negative one as its 64-bit two's complement) as a varint."""
    if value < 0:
        value &= _U64
    if value > _U64:
        raise WireError(f"varint out of range: {value}")
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def zigzag(value: int) -> int:
    """A signed int as the unsigned value ``sint64`` puts on the wire."""
    return ((value << 1) ^ (value >> 63)) & _U64


def unzigzag(value: int) -> int:
    """The signed value of a ``sint64`` read as unsigned."""
    return (value >> 1) ^ -(value & 1)


def decode(data: bytes | bytearray | memoryview, *, max_length: int = MAX_LENGTH) -> list[tuple[int, int, Any]]:
    """Every field of one message, in order: ``(field_number, wire_type, value)``, value an ``int`` for
    varints and fixed-width fields (unsigned), ``bytes`` for length-delimited ones."""
    return _fields(_as_bytes(data, max_length))


def _as_bytes(data: bytes | bytearray | memoryview, max_length: int) -> bytes:
    if data.__class__ is not bytes:
        data = bytes(data)
    if len(data) > max_length:
        raise WireError(f"message of {len(data)} bytes exceeds the limit of {max_length}")
    return data  # type: ignore[return-value]


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """``(number, wire, value)`` of every field in order: ``bytes`` for length-delimited fields, ``int``
    for the rest. The hot path of every decoder: one pass, one-byte keys, lengths and values inline."""
    out: list[tuple[int, int, Any]] = []
    append = out.append
    pos, end = 0, len(data)
    try:
        while pos < end:
            key = data[pos]
            pos += 1
            if key >= 0x80:
                key, pos = _varint(data, pos - 1, end)
            number, wire = key >> 3, key & 7
            if number == 0 or number > MAX_FIELD:
                raise WireError(f"invalid field number {number} at byte {pos}")
            if wire == LEN:
                size = data[pos]
                if size < 0x80:
                    pos += 1
                else:
                    size, pos = _varint(data, pos, end)
                stop = pos + size
                if stop > end:
                    raise WireError(f"field {number}: length {size} runs past the end ({end - pos} bytes left)")
                append((number, LEN, data[pos:stop]))
                pos = stop
            elif wire == VARINT:
                value = data[pos]
                if value < 0x80:
                    pos += 1
                else:
                    value, pos = _varint(data, pos, end)
                append((number, VARINT, value))
            elif wire == I64 or wire == I32:
                stop = pos + (8 if wire == I64 else 4)
                if stop > end:
                    raise WireError(f"field {number}: truncated fixed{(stop - pos) * 8} value")
                append((number, wire, int.from_bytes(data[pos:stop], "little")))
                pos = stop
            else:
                raise WireError(f"field {number}: unsupported wire type {wire}")
    except IndexError:
        raise WireError(f"truncated message at byte {pos}") from None
    return out


def _varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    for index in range(pos, min(pos + 10, end)):
        byte = data[index]
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            if result > _U64:
                raise WireError(f"varint out of range at byte {index}")
            return result, index + 1
        shift += 7
    if end - pos >= 10:
        raise WireError(f"varint longer than 10 bytes at byte {pos}")
    raise WireError(f"truncated varint at byte {end}")


class Message:
    """A read-only view of one message: fields by number. Nested messages are parsed when asked for,
    each one level deeper; past ``max_depth`` levels :class:`WireError` is raised.

    ``fields`` maps each field number to its last value (``bytes`` for length-delimited fields, ``int``
    otherwise); ``more`` keeps every value of the fields seen more than once."""

    __slots__ = ("fields", "more", "depth", "max_depth")

    def __init__(self, data: bytes | bytearray | memoryview = b"", *, depth: int = 0,
                 max_depth: int = MAX_DEPTH) -> None:
        if depth > max_depth:
            raise WireError(f"nested deeper than {max_depth} levels")
        self.depth, self.max_depth = depth, max_depth
        fields: dict[int, Any] = {}
        more: dict[int, list[Any]] | None = None
        if data.__class__ is not bytes or len(data) > MAX_LENGTH:
            data = _as_bytes(data, MAX_LENGTH)
        for number, _, value in _fields(data):  # type: ignore[arg-type]
            if number in fields:
                if more is None:
                    more = {}
                if number in more:
                    more[number].append(value)
                else:
                    more[number] = [fields[number], value]
            fields[number] = value
        self.fields = fields
        self.more = more

    def has(self, number: int) -> bool:
        return number in self.fields

    def repeated(self, number: int) -> list[Any]:
        """Every raw value of field ``number`` (ints or bytes), in wire order."""
        if self.more is not None and number in self.more:
            return list(self.more[number])
        return [self.fields[number]] if number in self.fields else []

    def int(self, number: int, default: int = 0) -> int:
        """An unsigned varint (``uint64``, ``uint32``, ``bool``, enums) or fixed-width field."""
        value = self.fields.get(number, default)
        if value.__class__ is bytes:
            raise WireError(f"field {number}: length-delimited, expected a number")
        return value

    def int64(self, number: int, default: int = 0) -> int:
        """A varint read as ``int64`` (two's complement)."""
        value = self.int(number, default)
        return value - (1 << 64) if value >= 1 << 63 else value

    def sint(self, number: int, default: int = 0) -> int:
        """A zigzag varint (``sint64``, ``sint32``)."""
        return unzigzag(self.int(number)) if number in self.fields else default

    def bool(self, number: int) -> bool:
        return self.int(number) != 0

    def bytes(self, number: int) -> bytes:
        value = self.fields.get(number, b"")
        if value.__class__ is not bytes:
            raise WireError(f"field {number}: a number, expected length-delimited bytes")
        return value

    def str(self, number: int) -> str:
        """A ``string`` field; invalid UTF-8 is a :class:`WireError`."""
        try:
            return self.bytes(number).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WireError(f"field {number}: not UTF-8 text ({exc.reason})") from None

    def message(self, number: int) -> Message:
        """A nested message (an empty one when absent)."""
        return Message(self.bytes(number), depth=self.depth + 1, max_depth=self.max_depth)

    def messages(self, number: int) -> list[Message]:
        """Every occurrence of a repeated nested message."""
        out = []
        for value in self.repeated(number):
            if value.__class__ is not bytes:
                raise WireError(f"field {number}: a number, expected a message")
            out.append(Message(value, depth=self.depth + 1, max_depth=self.max_depth))
        return out

    def __repr__(self) -> str:
        return f"Message({sorted(self.fields)})"


def encode(fields: Iterable[tuple[int, Any]]) -> bytes:
    """A message from ``(field_number, value)`` pairs (see the module docstring for the value types)."""
    out = bytearray()
    for number, value in fields:
        if value is None:
            continue
        if not 0 < number <= MAX_FIELD:
            raise WireError(f"invalid field number {number}")
        if isinstance(value, (list, tuple)):
            out += encode([(number, item) for item in value])
        elif isinstance(value, (bool, int)):
            out += encode_varint(number << 3 | VARINT)
            out += encode_varint(int(value))
        elif isinstance(value, (str, bytes, bytearray, memoryview)):
            raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
            out += encode_varint(number << 3 | LEN)
            out += encode_varint(len(raw))
            out += raw
        else:
            raise TypeError(f"field {number}: cannot encode {type(value).__name__}")
    return bytes(out)
