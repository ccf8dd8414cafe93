"""Shared pieces of the fuzz tests (#11 item 9, "Fuzzing stays"): reproducible settings and strategies.

The property of every ``test_fuzz_*.py`` file: for arbitrary bytes or text, and for structure-aware
"almost valid" documents (right keys with wrong types, huge, negative and NaN numbers, deep nesting, lone
surrogates, very long strings, empty files, BOMs, ragged CSV rows, odd quoting), the parser returns a
usable result or raises its own documented error; nothing else escapes. Examples are derandomized (no
example database), so a run is the same everywhere. Events and comments are fuzzed in
``tests/security/test_bad_input.py``.
"""

from __future__ import annotations

import json
import math
import re

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st


def fuzz(max_examples: int):
    """Reproducible settings: derandomized, no example database, no deadline (a busy CI machine)."""
    return settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# -- building blocks ---------------------------------------------------------------------------------

SPECIAL_CHARS = ["\ud800", "\udfff", "\udc80", "\ufeff", "\x00", "\u2028", "\u0085", "\x1c", "\x0b", "\r",
                 "\n", "\t", '"', "'", ",", "|", "\\", "{", "[", "=", "#", "²", "٣", "\u202e"]
CHARS = st.characters() | st.sampled_from(SPECIAL_CHARS)
LONG = "长" * 70_000
TEXT = (st.text(CHARS, max_size=24)
        | st.sampled_from(["", " ", LONG, "1e400", "NaN", "Infinity", "-0", "168.00", "0x10", "1_000", "²",
                           "٣", "1" * 5000, "1e999999999", "-5", "null", "true"]))
INTS = st.integers() | st.sampled_from([0, -1, 1, 2**31, 2**53, 2**63, -(2**63) - 1, 10**400, -(10**400)])
FLOATS = st.floats() | st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0, 5e-324])
SCALAR = st.none() | st.booleans() | INTS | FLOATS | TEXT
DEEP_MARK = re.compile(r'"\\u0000deep(\d+)\\u0000"')
DEEP = st.sampled_from([40, 900, 3000, 20_000]).map(lambda n: f"\x00deep{n}\x00")
"""A placeholder that :func:`dumps` replaces with arrays nested ``n`` deep (too deep to build as objects)."""
VALUE = st.recursive(SCALAR | DEEP, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(TEXT, inner, max_size=4), max_leaves=10)


def dumps(value: object, ascii_only: bool = True) -> str:
    """JSON text of ``value``, NaN/Infinity literals included, with the :data:`DEEP` placeholders expanded;
    with ``ascii_only`` false, non-ASCII characters (lone surrogates included) are written raw."""
    text = json.dumps(value, ensure_ascii=True)
    text = DEEP_MARK.sub(lambda m: "[" * int(m.group(1)) + "]" * int(m.group(1)), text)
    return text if ascii_only else unescape(text)


def unescape(text: str) -> str:
    """``text`` with its ``\\uXXXX`` escapes of non-ASCII characters written as the characters."""
    def one(match: re.Match[str]) -> str:
        code = int(match.group(1) or "0", 16)
        return match.group(0) if match.group(1) is None or code < 0x80 else chr(code)
    return re.sub(r"\\\\|\\u([0-9a-fA-F]{4})", one, text)


def encode(text: str) -> bytes:
    """UTF-8 bytes of ``text``; a lone surrogate becomes its (invalid) 3-byte sequence."""
    return text.encode("utf-8", "surrogatepass")


BYTES = st.binary(max_size=300) | st.text(CHARS, max_size=300).map(encode) | st.sampled_from(
    [b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf{}", b"\xff\xfe{\x00}\x00", b"\n\n\n", b"\x00" * 10, b"[" * 50_000])
