"""The catalog file format: a shop and its products in a JSON or CSV file.

JSON: ``{"shop": {...}, "products": [{...}, ...]}``. CSV: one product per row with the product columns;
``aliases`` and ``selling_points`` are ``|``-separated, ``attributes`` a JSON object; the shop comes from
a sibling ``shop.json`` or the ``shop`` argument. Bad rows are reported (``catalog.problems``) and the
good ones load; a file that cannot be read as a catalog at all raises :class:`CatalogFileError`.

Used by the file catalog connector and by every command that takes a ``--catalog FILE``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hub.catalog import Catalog, RowProblem, Shop, build_catalog
from hub.jsonbody import depth, encodable

__all__ = ["CatalogFileError", "load_catalog", "parse_json", "parse_csv"]


class CatalogFileError(ValueError):
    """The file cannot be read as a catalog at all (as opposed to a bad row)."""


LIST_COLUMNS = ("aliases", "selling_points")
INT_COLUMNS = ("link", "stock")
INTEGER = re.compile(r"-?[0-9]{1,18}")  # ASCII digits only ("²".isdigit() is true, int("²") fails)
MAX_DEPTH = 32
"""Deepest nesting of a product's values (``attributes``): deeper cannot be served as JSON."""


def _load_json(text: str) -> Any:
    """``json.loads`` whose every failure is a :class:`CatalogFileError` saying why."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogFileError(f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise CatalogFileError("not valid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise CatalogFileError(f"not valid JSON: {exc}") from None


def _shop(shop: Any, where: str = '"shop"') -> dict[str, Any]:
    """``shop`` checked as the shop's fields (a :class:`CatalogFileError` naming the field otherwise)."""
    if not isinstance(shop, dict) or not shop.get("name"):
        raise CatalogFileError(f'{where} must be an object with at least a "name"')
    try:
        return Shop.model_validate(shop).model_dump()
    except ValidationError as exc:
        err = exc.errors(include_input=False, include_url=False)[0]
        field = ".".join(str(p) for p in err["loc"]) or "shop"
        raise CatalogFileError(f"{where}: {field}: {err['msg']}") from None


def parse_json(text: str) -> Catalog:
    data = _load_json(text)
    if not isinstance(data, dict) or not isinstance(data.get("products"), list):
        raise CatalogFileError('expected an object with "shop" and a "products" list')
    shop = _shop(data.get("shop"))
    rows = [r if isinstance(r, dict) else {"__invalid__": r} for r in data["products"]]
    return _build(shop, rows)


def _unservable(row: dict[str, Any]) -> tuple[str, str] | None:
    """``(field, reason)`` if a value of ``row`` validates but could not be sent as JSON (UTF-8)."""
    for key, value in row.items():
        field = key if isinstance(key, str) and encodable(key) else "row"
        if depth(value, MAX_DEPTH) > MAX_DEPTH:
            return field, f"nested deeper than {MAX_DEPTH} levels"
        if not encodable(key) or not encodable(value):
            return field, "holds a lone surrogate (not encodable text)"
    return None


def _build(shop: dict[str, Any], rows: list[dict[str, Any]], *, first_row: int = 1) -> Catalog:
    """:func:`build_catalog`, with rows no API or page could serve (see :func:`_unservable`) as problems."""
    bad = {n: why for n, row in enumerate(rows, start=first_row) if (why := _unservable(row))}
    if not bad:
        return build_catalog(shop, rows, first_row=first_row)
    catalog = build_catalog(shop, [{} if n in bad else row for n, row in enumerate(rows, start=first_row)],
                            first_row=first_row)
    problems = [p for p in catalog.problems if p.row not in bad]
    problems += [RowProblem(row=n, field=field, reason=reason) for n, (field, reason) in bad.items()]
    catalog.problems = sorted(problems, key=lambda p: p.row)
    return catalog


def _csv_row(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key is None or value is None:
            continue
        value = value.strip()
        if value == "":
            continue
        if key in LIST_COLUMNS:
            out[key] = [v.strip() for v in value.split("|") if v.strip()]
        elif key == "attributes":
            try:
                out[key] = json.loads(value)
            except (ValueError, RecursionError):  # not JSON, too deep, an integer of 5000 digits...
                out[key] = value  # the model reports it as not a dict
        elif key in INT_COLUMNS:
            out[key] = int(value) if INTEGER.fullmatch(value) else value  # else the model reports it
        else:
            out[key] = value
    return out


def parse_csv(text: str, shop: dict[str, Any]) -> Catalog:
    shop = _shop(shop, "the shop")
    reader = csv.DictReader(io.StringIO(text))
    try:
        if not reader.fieldnames or "sku" not in reader.fieldnames:
            raise CatalogFileError("the CSV header must name the product columns (sku, link, name, price, ...)")
        rows = [_csv_row(r) for r in reader]
    except csv.Error as exc:  # a field over csv's size limit (an unclosed quote swallowing the file), ...
        raise CatalogFileError(f"not valid CSV at line {reader.line_num}: {exc}") from None
    # row numbers as a spreadsheet shows them: the header is row 1
    return _build(shop, rows, first_row=2)


def load_catalog(path: Path | str, *, shop: dict[str, Any] | None = None) -> Catalog:
    """Load ``path`` (``.json`` or ``.csv``). Raises :class:`CatalogFileError`."""
    path = Path(path)
    text = _read_text(path)
    if path.suffix.lower() == ".csv":
        if shop is None:
            sibling = path.with_name("shop.json")
            if sibling.exists():
                try:
                    shop = _shop(_load_json(_read_text(sibling)), str(sibling))
                except CatalogFileError as exc:
                    message = str(exc)
                    raise CatalogFileError(message if message.startswith(str(sibling))
                                           else f"cannot read {sibling}: {message}") from None
            else:
                shop = {"name": path.stem}
        return parse_csv(text, shop)
    return parse_json(text)


def _read_text(path: Path) -> str:
    """The text of ``path`` (UTF-8, an optional BOM dropped); :class:`CatalogFileError` if it has none."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise CatalogFileError(f"{path}: not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line} "
                               "(save the file as UTF-8)") from None
