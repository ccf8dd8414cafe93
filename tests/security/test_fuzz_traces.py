"""Fuzzing replay traces (:mod:`plugins.replay.trace`: ``parse_trace``, ``load_trace``, ``to_event``): only
:class:`~plugins.replay.trace.TraceError` escapes. See tests/security/fuzzing.py.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from plugins.replay.trace import TraceError, load_trace, parse_trace, to_event, write_trace
from tests.security.fuzzing import BYTES, TEXT, VALUE, dumps, encode, fuzz, unescape

# -- replay traces -----------------------------------------------------------------------------------

TRACE_KEYS = ["id", "t", "type", "user", "text", "gift", "count", "value", "sku", "qty", "order_id", "amount",
              "viewers", "room", "likes_total", "extra"]
TRACE_TYPE = st.sampled_from(["comment", "gift", "like", "enter", "follow", "order", "stats", "stage"]) | VALUE
GOOD_RECORD = st.fixed_dictionaries({
    "id": st.integers(0, 50).map(str) | st.integers(0, 50) | VALUE,
    "t": st.floats(0, 3600) | st.integers(0, 3600) | st.sampled_from([10**400, -(10**400), 1e300, 7 * 86400 + 1])
    | VALUE,
    "type": TRACE_TYPE,
}, optional={
    "text": st.sampled_from(["1号链接多少钱", "包邮吗"]) | VALUE,
    "user": st.fixed_dictionaries({"id": VALUE, "name": VALUE}) | VALUE,
    "sku": st.sampled_from(["TEA-001", None, ""]) | VALUE,
    "count": st.integers(0, 10) | VALUE, "qty": st.integers(0, 10) | VALUE, "viewers": st.integers(0, 10) | VALUE,
    "value": st.sampled_from(["30", "NaN", "sNaN", "-Infinity", "1e999999999"]) | VALUE,
    "amount": st.sampled_from(["30", "NaN", "Infinity"]) | VALUE,
    "room": VALUE, "gift": VALUE, "order_id": VALUE,
})
RECORDISH = st.builds(lambda good, wrong: {**good, **wrong}, GOOD_RECORD,
                      st.dictionaries(st.sampled_from(TRACE_KEYS), VALUE, max_size=2))
TRACE_LINE = RECORDISH.map(dumps) | VALUE.map(dumps) | TEXT | st.sampled_from(["", "  ", "\ufeff{}"])
TRACE_TEXT = st.builds(lambda lines, sep: sep.join(lines), st.lists(TRACE_LINE, max_size=6),
                       st.sampled_from(["\n", "\r\n"]))


def assert_usable_trace(records: list) -> None:
    """Loaded records replay: each becomes a typed hub event, and the trace survives a write and a load."""
    assert isinstance(records, list)
    assert [r["t"] for r in records] == sorted(r["t"] for r in records)
    for record in records:
        event = to_event(record)
        assert isinstance(event.id, str) and isinstance(event.room, str)
        assert isinstance(event.platform_ts, float) and math.isfinite(event.platform_ts)
        for name in ("count", "qty", "viewers"):
            value = getattr(event, name, 0)
            assert isinstance(value, int) and value >= 0, (name, value)
        for name in ("value", "amount"):
            value = getattr(event, name, None)
            assert value is None or (isinstance(value, Decimal) and value.is_finite()), (name, value)
        for name in ("sku", "text", "order_id", "gift"):
            value = getattr(event, name, "")
            assert value is None or isinstance(value, str), (name, value)


@fuzz(300)
@given(raw=BYTES)
@example(raw=b"\x80")  # was a UnicodeDecodeError
@example(raw=b'{"id": 1, "t": 1' + b"0" * 400 + b', "type": "enter"}')  # was an OverflowError (math.isfinite)
def test_trace_files_of_arbitrary_bytes(workdir: Path, raw: bytes) -> None:
    path = workdir / "bytes.jsonl"
    path.write_bytes(raw)
    try:
        records = load_trace(path)
    except TraceError:
        return
    assert_usable_trace(records)


@fuzz(400)
@given(text=TRACE_TEXT, ascii_only=st.booleans())
# each bug found so far: a null count (TypeError in to_event), a list as a stage's sku, a "NaN" gift value,
# a comment with U+2028 (written raw, then split there on loading), a lone surrogate (cannot be written)
@example(text='{"id": 1, "t": 0, "type": "like", "count": null}', ascii_only=True)
@example(text='{"id": 1, "t": 0, "type": "stage", "sku": [1]}', ascii_only=True)
@example(text='{"id": 1, "t": 0, "type": "gift", "value": "NaN"}', ascii_only=True)
@example(text='{"id": 1, "t": 0, "type": "comment", "text": "a\\u2028b"}', ascii_only=True)
@example(text='{"id": "\\ud800", "t": 0, "type": "enter"}', ascii_only=True)
def test_almost_valid_traces(workdir: Path, text: str, ascii_only: bool) -> None:
    if not ascii_only:
        text = unescape(text)
    try:
        assert_usable_trace(parse_trace(text.split("\n"), "fuzz"))
    except TraceError as exc:
        assert str(exc).startswith("fuzz:")
    path = workdir / "trace.jsonl"
    path.write_bytes(encode(text))
    try:
        records = load_trace(path)
    except TraceError as exc:
        assert str(path) in str(exc)
        return
    assert_usable_trace(records)
    # what was loaded can be written back (replay-gen, recordings) and loads the same
    write_trace(records, workdir / "again.jsonl")
    assert load_trace(workdir / "again.jsonl") == records
