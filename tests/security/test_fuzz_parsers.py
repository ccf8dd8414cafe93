"""Issue #11 item 9 ("Fuzzing stays"): property-based tests of every parser that takes outside input.

Events and comments are fuzzed in ``tests/security/test_bad_input.py``; this file covers the rest:

* catalog files (:mod:`hub.catalog_file`: ``parse_json``, ``parse_csv``, ``load_catalog``), raising only
  :class:`~hub.catalog_file.CatalogFileError`; bad rows become ``catalog.problems``;
* replay traces (:mod:`plugins.replay.trace`: ``parse_trace``, ``load_trace``, ``to_event``), raising only
  :class:`~plugins.replay.trace.TraceError`;
* show rundowns (:mod:`plugins.show_runner.rundown`: ``parse_rundown``, ``load_rundown_file``, behind
  ``ShowControl.parse_show``), raising only :class:`~plugins.show_runner.rundown.RundownError`;
* schedules (``parse_new_schedule`` of :mod:`hub.builtin.schedule_api`, then ``Scheduler.validate`` and
  ``Scheduler.make_trigger``), raising only :class:`ValueError` (the API's 400).

The property each time: for arbitrary bytes or text, and for structure-aware "almost valid" documents
(right keys with wrong types, huge, negative and NaN numbers, deep nesting, lone surrogates, very long
strings, empty files, BOMs, ragged CSV rows, odd quoting), the parser returns a usable result or raises
its own documented error; nothing else escapes. Examples are derandomized (no example database), so a
run is the same everywhere.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hub.catalog import Catalog, Product, RowProblem
from hub.catalog_file import CatalogFileError, load_catalog, parse_csv, parse_json
from plugins.replay.trace import TraceError, load_trace, parse_trace, to_event, write_trace
from plugins.show_runner.rundown import Rundown, RundownError, load_rundown_file, parse_rundown


def fuzz(max_examples: int):
    """Reproducible settings: derandomized, no example database, no deadline (a busy CI machine)."""
    return settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the module (hypothesis runs many examples per test; each rewrites its files)."""
    return tmp_path_factory.mktemp("fuzz")


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


# -- catalog files -----------------------------------------------------------------------------------

PRODUCT_KEYS = ["sku", "link", "name", "aliases", "price", "promo_price", "stock", "attributes",
                "selling_points", "description", "image", "extra", ""]
SHOP_KEYS = ["name", "currency", "locale", "shipping", "returns", "other"]
GOOD_PRODUCT = st.fixed_dictionaries({
    "sku": st.sampled_from(["TEA-001", "MUG-002", "A"]) | TEXT,
    "link": st.integers(-2, 5) | INTS,
    "name": st.sampled_from(["乌龙茶", "mug"]) | TEXT,
    "attributes": st.dictionaries(TEXT, VALUE, max_size=3),
    "price": st.sampled_from(["168.00", "1", 12, "0", "-1", "1e999999999", "1e-999999999", "sNaN", "Infinity",
                              "99.999999999999999999999999999", "1" * 5000]) | SCALAR,
})
PRODUCTISH = st.builds(lambda good, wrong: {**good, **wrong}, GOOD_PRODUCT,
                       st.dictionaries(st.sampled_from(PRODUCT_KEYS), VALUE, max_size=4))
SHOPISH = st.builds(lambda good, wrong: {**good, **wrong}, st.fixed_dictionaries({"name": st.just("晨光好物")}),
                    st.dictionaries(st.sampled_from(SHOP_KEYS), VALUE, max_size=3))
CATALOG_DOC = st.one_of(
    VALUE,
    st.builds(lambda shop, products, extra: {**extra, "shop": shop, "products": products},
              SHOPISH | VALUE, st.lists(PRODUCTISH | VALUE, max_size=5) | VALUE,
              st.dictionaries(TEXT, VALUE, max_size=2)),
)


def assert_usable_catalog(catalog: Catalog) -> None:
    """What a loaded catalog promises its users: typed products with sane numbers, JSON-able."""
    assert isinstance(catalog, Catalog)
    assert all(isinstance(p, Product) for p in catalog.products)
    assert all(isinstance(p, RowProblem) for p in catalog.problems)
    for product in catalog.products:
        assert isinstance(product.current_price, Decimal) and product.current_price.is_finite()
        assert product.current_price >= 0 and product.link >= 1 and product.stock >= 0
        product.model_dump_json()  # the overlay sends the product on stage to the page as JSON
    assert len({p.sku for p in catalog.products}) == len(catalog.products)
    assert len({p.link for p in catalog.products}) == len(catalog.products)
    json.dumps(catalog.model_dump(mode="json"))


@fuzz(300)
@given(raw=BYTES, suffix=st.sampled_from([".json", ".csv", ".JSON", ".txt"]))
# each bug found so far, tried first: not UTF-8 (UnicodeDecodeError), too deep (RecursionError), an integer
# of 5000 digits (ValueError), a CSV field over csv's limit (csv.Error)
@example(raw=b"\x80", suffix=".json")
@example(raw=b"\x80", suffix=".csv")
@example(raw=b"[" * 50_000, suffix=".json")
@example(raw=b'{"shop": {"name": "s"}, "products": [{"stock": ' + b"1" * 5000 + b"}]}", suffix=".json")
@example(raw=b'sku\n"' + b"x" * 200_000, suffix=".csv")
@example(raw=b'sku,attributes\nA,"' + b"[" * 50_000 + b'"\n', suffix=".csv")
def test_catalog_files_of_arbitrary_bytes(workdir: Path, raw: bytes, suffix: str) -> None:
    path = workdir / f"bytes{suffix}"
    path.write_bytes(raw)
    try:
        catalog = load_catalog(path, shop={"name": "shop"} if suffix == ".csv" else None)
    except CatalogFileError:
        return
    assert_usable_catalog(catalog)


@fuzz(400)
@given(doc=CATALOG_DOC, ascii_only=st.booleans(), bom=st.booleans())
@example(doc={"shop": {"name": 5}, "products": []}, ascii_only=True, bom=False)  # was a pydantic ValidationError
# these loaded, then failed as JSON (PydanticSerializationError: surrogates, "maximum serialization depth")
@example(doc={"shop": {"name": "s"}, "products": [{"sku": "A", "link": 1, "name": "x", "price": "1",
                                                  "attributes": {"k": "\ud800"}}]}, ascii_only=True, bom=False)
@example(doc={"shop": {"name": "s"}, "products": [{"sku": "A", "link": 1, "name": "x", "price": "1",
                                                  "attributes": {"k": "\x00deep300\x00"}}]},
         ascii_only=True, bom=False)
def test_almost_valid_json_catalogs(workdir: Path, doc: object, ascii_only: bool, bom: bool) -> None:
    text = dumps(doc, ascii_only)
    try:
        assert_usable_catalog(parse_json(text))
    except CatalogFileError:
        pass
    path = workdir / "catalog.json"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + encode(text))
    try:
        catalog = load_catalog(path)
    except CatalogFileError:
        return
    assert_usable_catalog(catalog)


CSV_COLUMNS = st.sampled_from(["sku", "link", "name", "price", "promo_price", "stock", "aliases", "attributes",
                               "selling_points", "description", "image", "extra", "", "sku "]) | TEXT
CSV_CELL = (st.sampled_from(["TEA-001", "1", "2", "-3", "168.00", "乌龙茶|茶叶||", "{\"a\": 1}", "[1]", "{",
                             "²", "٣", "１", "1" * 5000, "0" * 3, "", " ", "1e400", "NaN", "\u2028"])
            | TEXT | VALUE.map(dumps))


def quote_cell(cell: str, how: int) -> str:
    """``cell`` as it may appear in a CSV file: raw, properly quoted, half-quoted or with stray quotes."""
    if how == 0:
        return cell
    if how == 1:
        return '"' + cell.replace('"', '""') + '"'
    if how == 2:
        return '"' + cell  # an unterminated quote swallows the rest of the file
    return cell[: len(cell) // 2] + '"' + cell[len(cell) // 2:]


CSV_ROW = st.lists(st.tuples(CSV_CELL, st.integers(0, 3)), max_size=9)
CSV_DOC = st.builds(
    lambda header, rows, sep, delimiter: sep.join(
        delimiter.join(quote_cell(c, how) for c, how in row) for row in [header, *rows]),
    st.lists(st.tuples(CSV_COLUMNS, st.sampled_from([0, 0, 0, 1, 3])), max_size=9).map(
        lambda cols: [("sku", 0), *cols]),
    st.lists(CSV_ROW, max_size=6),
    st.sampled_from(["\n", "\r\n", "\r", "\n\n", "\u2028"]),
    st.sampled_from([",", ",", ";", "\t"]))


@fuzz(400)
@given(text=CSV_DOC, bom=st.booleans(), shop=st.none() | SHOPISH | VALUE)
@example(text="sku,link,name,price\nA,²,n,1\n", bom=False, shop=None)  # was a ValueError from int("²")
@example(text="sku\nA\n", bom=False, shop={"name": "\ud800"})  # shop.json not UTF-8: UnicodeDecodeError
@example(text="sku\nA\n", bom=False, shop={"name": 5})  # was a pydantic ValidationError
def test_almost_valid_csv_catalogs(workdir: Path, text: str, bom: bool, shop: object) -> None:
    try:
        assert_usable_catalog(parse_csv(text, {"name": "shop"}))
    except CatalogFileError:
        pass
    folder = workdir / "csv"
    folder.mkdir(exist_ok=True)
    sibling = folder / "shop.json"
    if shop is None:
        sibling.unlink(missing_ok=True)
    else:
        sibling.write_bytes(encode(dumps(shop, ascii_only=False)))
    path = folder / "products.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + encode(text))
    try:
        catalog = load_catalog(path)
    except CatalogFileError:
        return
    assert_usable_catalog(catalog)


@fuzz(200)
@given(text=CSV_DOC, shop=SHOPISH | VALUE)
@example(text="sku\nA\n", shop={"name": ["x"]})  # was a pydantic ValidationError
def test_csv_catalogs_with_any_shop_argument(text: str, shop: object) -> None:
    """``parse_csv``'s ``shop`` comes from ``--shop``-style callers and the sibling file: any JSON value."""
    try:
        catalog = parse_csv(text, shop)  # type: ignore[arg-type]
    except CatalogFileError:
        return
    assert_usable_catalog(catalog)


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


# -- schedules ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scheduler():
    """A scheduler that is never started: enough for ``validate`` and ``make_trigger`` (no database)."""
    from hub.builtin.schedule_api import livehub_register_job_types as hub_job_types
    from hub.scheduler import Scheduler
    from plugins.show_runner.jobs import JOB_TYPES

    job_types = {job.name: job for job in [*hub_job_types(), *JOB_TYPES]}
    return Scheduler(None, job_types, timezone_name="Asia/Shanghai")


CRON_TOKEN = st.sampled_from(["*", "*/5", "*/0", "0", "59", "60", "-1", "1-5", "5-1", "1,2", ",", "mon", "mon-fri",
                              "jan", "L", "last", "last fri", "1st mon", "?", "#", "2#1", "0/5", "*/99999999999",
                              "99999999999999999999", "1-99999999999", "xyz", "**", "31", "2", "1970", "9999", "7", "8",
                              "0-8", "5-9", "mon-8", "sun", "13", "1-7/2", "W", "15W", "LW", "mon#2", "6L"])
CRON = (st.lists(st.sampled_from(["*", "*", "0", "1", "*/5", "1-5", "1,2"]) | CRON_TOKEN, min_size=5,
                 max_size=6).map(" ".join)
        | st.lists(CRON_TOKEN | TEXT, max_size=7).map(" ".join) | TEXT)
ISO = st.builds(
    lambda y, mo, d, h, mi, s, frac, off: f"{y}-{mo}-{d}T{h}:{mi}:{s}{frac}{off}",
    st.sampled_from(["0001", "0000", "9999", "2030", "10000", "1970"]),
    st.sampled_from(["01", "02", "12", "13", "00"]), st.sampled_from(["01", "29", "31", "32"]),
    st.sampled_from(["00", "23", "24"]), st.sampled_from(["00", "59", "60"]), st.sampled_from(["00", "59", "61"]),
    st.sampled_from(["", ".5", ".123456", ".1234567"]),
    st.sampled_from(["", "Z", "+08:00", "-23:59", "+24:00", "+14:00", "-14:00", "+00:00:01", "+05:30:00.5"]),
) | st.sampled_from(["2030-01-31", "2030-01-31 20:00", "20300131T200000", "2030-W05-4", "now", ""]) | TEXT
INTERVAL = st.sampled_from([1, 0.001, 5e-324, 1e-300, 366 * 86400, 366 * 86400 + 1, 0, -1, math.nan, math.inf,
                            10**400, True]) | st.floats(0, 1e6) | VALUE
ARGS = st.fixed_dictionaries({}, optional={
    "message": st.sampled_from(["hi", ""]) | TEXT | VALUE,
    "show": st.sampled_from(["spring", "-bad"]) | VALUE,
    "room": st.sampled_from(["main", ""]) | VALUE,
    "duration_min": st.sampled_from([1, 0, -1, math.nan, math.inf, 10**400, 1e300]) | VALUE,
    "broadcast": st.sampled_from([1, -1, 10**400, 1.5, "7"]) | VALUE,
}) | VALUE
SCHEDULE_BODY = st.fixed_dictionaries({
    "job_type": st.sampled_from(["audit.note", "show.start", "show.stop", "nope", ""]) | VALUE,
}, optional={"args": ARGS, "at": ISO | VALUE, "cron": CRON | VALUE, "interval_s": INTERVAL, "id": TEXT | VALUE,
             "extra": VALUE})


FIELDS = ("job_type", "args", "at", "cron", "interval_s", "id", "give exactly one of", "the body must be",
          "unknown field")
"""How every refusal of a schedule request starts: the field it is about (the API answers it as a 400)."""


def schedule_from_body(scheduler, body: object) -> None:
    """What ``POST /api/v1/schedules`` does before touching the store: parse the body, validate the args,
    build the trigger and ask it for its first fire time. Raises ValueError naming the field on bad input."""
    from hub.builtin.schedule_api import parse_new_schedule

    request = parse_new_schedule(body)
    clean = scheduler.validate(request["job_type"], request["args"])
    json.dumps(clean, allow_nan=False)  # stored as JSON
    trigger, description = scheduler.make_trigger(at=request["at"], cron=request["cron"],
                                                  interval_s=request["interval_s"])
    assert isinstance(description, str)
    first = trigger.next()  # a schedule that was accepted fires at least once
    assert isinstance(first, datetime), f"accepted, but never fires: {description}"


def assert_refused_or_usable(scheduler, body: object) -> None:
    try:
        schedule_from_body(scheduler, body)
    except ValueError as exc:
        assert str(exc).startswith(FIELDS), f"the refusal names no field: {exc}"


@fuzz(400)
@given(body=SCHEDULE_BODY | VALUE)
def test_almost_valid_schedule_requests(scheduler, body: object) -> None:
    assert_refused_or_usable(scheduler, body)


@fuzz(300)
@given(at=ISO)
def test_iso_times(scheduler, at: str) -> None:
    assert_refused_or_usable(scheduler, {"job_type": "audit.note", "args": {"message": "hi"}, "at": at})




@fuzz(300)
@given(cron=CRON)
@example(cron="* * * * 8")  # the bugs found so far, always tried first
@example(cron="0 0 31 2 *")
def test_cron_strings(scheduler, cron: str) -> None:
    assert_refused_or_usable(scheduler, {"job_type": "audit.note", "args": {"message": "hi"}, "cron": cron})


@fuzz(300)
@given(interval=INTERVAL)
@example(interval=5e-324)
def test_intervals(scheduler, interval: object) -> None:
    assert_refused_or_usable(scheduler, {"job_type": "audit.note", "args": {"message": "hi"}, "interval_s": interval})


@pytest.mark.parametrize("body", [
    {"cron": "* * * * 8"},  # a day of week above 7: IndexError inside APScheduler, once a 500
    {"cron": "* 5-9 5-9 5-9 5-9"},
    {"cron": "0 0 31 2 *"},  # never fires (February 31st): once accepted as if it had fired already
    {"interval_s": 5e-324},  # passed "> 0", then an error naming no field
    {"cron": "*/5 * * * *"},
    {"interval_s": 0.5},
    {"at": "2030-01-31T20:00:00+08:00"},
])
def test_schedule_known_bugs(scheduler, body: dict) -> None:
    """The inputs the fuzzing above found (each failed before hub/scheduler.py was fixed), and good ones."""
    assert_refused_or_usable(scheduler, {"job_type": "audit.note", "args": {"message": "hi"}, **body})


def test_a_schedule_id_cannot_end_in_a_newline() -> None:
    from hub.scheduler import SCHEDULE_ID

    assert SCHEDULE_ID.fullmatch("nightly") and not SCHEDULE_ID.fullmatch("nightly\n")


async def test_a_deeply_nested_schedule_request_is_a_400(scheduler) -> None:
    from types import SimpleNamespace

    from hub.builtin.schedule_api import add_schedule
    from hub.web.common import HUB_KEY

    body = "[" * 100_000 + "]" * 100_000

    async def read() -> bytes:
        return body.encode()

    async def text() -> str:
        return body

    async def read_json() -> object:  # what aiohttp's Request.json() does with the text
        return json.loads(body)

    # a stand-in for the aiohttp request, whichever way the handler reads the body
    request = SimpleNamespace(app={HUB_KEY: SimpleNamespace(scheduler=scheduler)}, json=read_json, read=read,
                              text=text, can_read_body=True, body_exists=True, content_type="application/json",
                              headers={"Content-Type": "application/json"}, match_info={})
    response = await add_schedule(request)
    assert response.status == 400
