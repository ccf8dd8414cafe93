"""Fuzzing catalog files (:mod:`hub.catalog_file`: ``parse_json``, ``parse_csv``, ``load_catalog``): only
:class:`~hub.catalog_file.CatalogFileError` escapes; bad rows become ``catalog.problems``. See tests/security/fuzzing.py.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from hub.catalog import Catalog, Product, RowProblem
from hub.catalog_file import CatalogFileError, load_catalog, parse_csv, parse_json
from tests.security.fuzzing import BYTES, INTS, SCALAR, TEXT, VALUE, dumps, encode, fuzz

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
