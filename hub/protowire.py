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
    if not isinstance(data, bytes):
        data = bytes(data)
    end = len(data)
    if end > max_length:
        raise WireError(f"message of {end} bytes exceeds the limit of {max_length}")
    out: list[tuple[int, int, Any]] = []
    append = out.append
    pos = 0
    while pos < end:
        # the key: a varint, almost always one byte
        byte = data[pos]
        pos += 1
        if byte < 0x80:
            key = byte
        else:
            key, pos = _varint(data, pos - 1, end)
        number, wire = key >> 3, key & 7
        if number == 0 or number > MAX_FIELD:
            raise WireError(f"invalid field number {number} at byte {pos}")
        if wire == VARINT:
            if pos < end and data[pos] < 0x80:
                value = data[pos]
                pos += 1
            else:
                value, pos = _varint(data, pos, end)
        elif wire == LEN:
            if pos < end and data[pos] < 0x80:
                size = data[pos]
                pos += 1
            else:
                size, pos = _varint(data, pos, end)
            if size > end - pos:
                raise WireError(f"field {number}: length {size} runs past the end ({end - pos} bytes left)")
            value = data[pos:pos + size]
            pos += size
        elif wire == I64 or wire == I32:
            size = 8 if wire == I64 else 4
            if size > end - pos:
                raise WireError(f"field {number}: truncated fixed{size * 8} value")
            value = int.from_bytes(data[pos:pos + size], "little")
            pos += size
        else:
            raise WireError(f"field {number}: unsupported wire type {wire}")
        append((number, wire, value))
    return out


def _varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end:
            raise WireError(f"truncated varint at byte {pos}")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            if result > _U64:
                raise WireError(f"varint out of range at byte {pos}")
            return result, pos
        shift += 7
        if shift >= 70:
            raise WireError(f"varint longer than 10 bytes at byte {pos}")


class Message:
    """A read-only view of one message: fields by number. Nested messages are parsed when asked for,
    each one level deeper; past ``max_depth`` levels :class:`WireError` is raised."""

    __slots__ = ("fields", "depth", "max_depth")

    def __init__(self, data: bytes | bytearray | memoryview = b"", *, depth: int = 0,
                 max_depth: int = MAX_DEPTH) -> None:
        if depth > max_depth:
            raise WireError(f"nested deeper than {max_depth} levels")
        self.depth, self.max_depth = depth, max_depth
        fields: dict[int, list[tuple[int, Any]]] = {}
        for number, wire, value in decode(data):
            entry = fields.get(number)
            if entry is None:
                fields[number] = [(wire, value)]
            else:
                entry.append((wire, value))
        self.fields = fields

    def has(self, number: int) -> bool:
        return number in self.fields

    def repeated(self, number: int) -> list[Any]:
        """Every raw value of field ``number`` (ints or bytes), in wire order."""
        return [value for _, value in self.fields.get(number, ())]

    def _last(self, number: int, wire: int) -> Any:
        entry = self.fields.get(number)
        if entry is None:
            return None
        found, value = entry[-1]
        if found != wire:
            raise WireError(f"field {number}: wire type {found}, expected {wire}")
        return value

    def int(self, number: int, default: int = 0) -> int:
        """An unsigned varint (``uint64``, ``uint32``, ``bool``, enums) or fixed-width field."""
        entry = self.fields.get(number)
        if entry is None:
            return default
        wire, value = entry[-1]
        if wire == LEN:
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
        value = self._last(number, LEN)
        return b"" if value is None else value

    def str(self, number: int) -> str:
        """A ``string`` field; invalid UTF-8 is a :class:`WireError`."""
        value = self._last(number, LEN)
        if value is None:
            return ""
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WireError(f"field {number}: not UTF-8 text ({exc.reason})") from None

    def message(self, number: int) -> Message:
        """A nested message (an empty one when absent)."""
        return Message(self.bytes(number), depth=self.depth + 1, max_depth=self.max_depth)

    def messages(self, number: int) -> list[Message]:
        """Every occurrence of a repeated nested message."""
        out = []
        for wire, value in self.fields.get(number, ()):
            if wire != LEN:
                raise WireError(f"field {number}: wire type {wire}, expected a message")
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
