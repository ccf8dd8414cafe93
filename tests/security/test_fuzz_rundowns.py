"""Fuzzing show rundowns (:mod:`plugins.show_runner.rundown`: ``parse_rundown``, ``load_rundown_file``, behind
``ShowControl.parse_show``): only :class:`~plugins.show_runner.rundown.RundownError` escapes. See tests/security/fuzzing.py.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from plugins.show_runner.rundown import Rundown, RundownError, load_rundown_file, parse_rundown
from tests.security.fuzzing import BYTES, VALUE, dumps, encode, fuzz

# -- show rundowns -----------------------------------------------------------------------------------

GOOD_SEGMENT = st.fixed_dictionaries({
    "sku": st.sampled_from(["TEA-001", ""]) | VALUE,
    "minutes": st.sampled_from([5, 0.5, 1440, 1441, 0, -1, math.nan, math.inf, 10**400, 1e308]) | VALUE,
}, optional={
    "lines": st.lists(st.sampled_from(["这款茶", " ", ""]) | VALUE, max_size=3) | VALUE,
    "variants": st.integers(-1, 25) | VALUE,
    "promotion": st.fixed_dictionaries({
        "at_minute": st.sampled_from([0, 3, math.inf, math.nan, -1, 10**400]) | VALUE,
        "countdown_s": st.sampled_from([60, 4, 3601, 10**400, 60.0, "60"]) | VALUE,
    }) | VALUE,
})
SEGMENTISH = st.builds(lambda good, wrong: {**good, **wrong}, GOOD_SEGMENT,
                       st.dictionaries(st.sampled_from(["sku", "minutes", "lines", "variants", "promotion",
                                                        "extra"]), VALUE, max_size=2))
RUNDOWNISH = st.fixed_dictionaries({
    "segments": st.lists(SEGMENTISH | VALUE, max_size=4) | VALUE,
}, optional={
    "name": st.sampled_from(["spring", "-bad", "x" * 65, ""]) | VALUE,
    "room": st.sampled_from(["main", ""]) | VALUE, "locale": VALUE, "loop": st.booleans() | VALUE,
    "idle_fill_s": st.sampled_from([20, 2, 3600.5, math.nan]) | VALUE,
    "round_gap_s": st.sampled_from([10, -1, math.inf]) | VALUE, "other": VALUE,
})


def assert_usable_rundown(rundown: Rundown) -> None:
    """A rundown that validated has sane timings and survives its JSON form (the ``shows`` table)."""
    assert isinstance(rundown, Rundown) and rundown.segments
    assert math.isfinite(rundown.seconds) and rundown.seconds > 0
    for segment in rundown.segments:
        if segment.promotion is not None:
            assert segment.promotion.at_minute * 60 + segment.promotion.countdown_s <= segment.seconds + 1e-6
    stored = json.loads(json.dumps(rundown.as_json()))
    assert parse_rundown(stored, "shows table") == rundown


def toml_value(value: object) -> str:
    """``value`` written as a TOML value (inline tables and arrays); NaN and infinities as TOML spells them."""
    if value is None:
        return '""'  # TOML has no null
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        match = re.fullmatch("\x00deep(\\d+)\x00", value)
        if match:
            n = int(match.group(1))
            return "[" * n + "]" * n
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(data: object) -> str:
    if not isinstance(data, dict):
        return f"value = {toml_value(data)}\n"
    lines = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in data.items() if k != "segments"]
    segments = data.get("segments")
    if isinstance(segments, list) and all(isinstance(s, dict) for s in segments):
        for segment in segments:
            lines.append("[[segments]]")
            lines.extend(f"{json.dumps(k)} = {toml_value(v)}" for k, v in segment.items())
    elif "segments" in data:
        lines.insert(0, f"segments = {toml_value(segments)}")
    return "\n".join(lines) + "\n"


@fuzz(400)
@given(doc=RUNDOWNISH | VALUE)
def test_almost_valid_rundowns_as_data(doc: object) -> None:
    """``parse_rundown`` (what ``ShowControl.parse_show`` and ``POST /api/v1/shows`` call) on any JSON data."""
    from hub.jsonbody import JsonBodyError
    from hub.jsonbody import loads as load_json

    for data in (doc, None):
        if data is None:  # the API's path: the body parsed from JSON text first
            try:
                data = load_json(dumps(doc))
            except JsonBodyError:
                return
        try:
            rundown = parse_rundown(data, "api")
        except RundownError as exc:
            assert exc.problems and all(p.source == "api" for p in exc.problems)
            continue
        assert_usable_rundown(rundown)


@fuzz(300)
@given(doc=RUNDOWNISH | VALUE, raw=st.none() | BYTES)
@example(doc=None, raw=b"a = " + b"[" * 5000 + b"]" * 5000)  # was a RecursionError from tomllib
@example(doc=None, raw=b"idle_fill_s = " + b"1" * 5000)  # was a ValueError (not a TOMLDecodeError)
def test_rundown_files(workdir: Path, doc: object, raw: bytes | None) -> None:
    """``load_rundown_file`` on TOML written from almost-valid data, and on arbitrary bytes."""
    path = workdir / "show.toml"
    path.write_bytes(raw if raw is not None else encode(toml_document(doc)))
    try:
        rundown = load_rundown_file(path)
    except RundownError as exc:
        assert exc.problems and all(p.source == str(path) for p in exc.problems)
        return
    assert_usable_rundown(rundown)
