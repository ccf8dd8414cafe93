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
from pathlib import Path
from typing import Any

from hub.catalog import Catalog, build_catalog

__all__ = ["CatalogFileError", "load_catalog", "parse_json", "parse_csv"]


class CatalogFileError(ValueError):
    """The file cannot be read as a catalog at all (as opposed to a bad row)."""


LIST_COLUMNS = ("aliases", "selling_points")
INT_COLUMNS = ("link", "stock")


def parse_json(text: str) -> Catalog:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogFileError(f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("products"), list):
        raise CatalogFileError('expected an object with "shop" and a "products" list')
    shop = data.get("shop")
    if not isinstance(shop, dict) or not shop.get("name"):
        raise CatalogFileError('"shop" must be an object with at least a "name"')
    rows = [r if isinstance(r, dict) else {"__invalid__": r} for r in data["products"]]
    return build_catalog(shop, rows)


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
            except json.JSONDecodeError:
                out[key] = value  # the model reports it as not a dict
        elif key in INT_COLUMNS:
            out[key] = int(value) if value.lstrip("-").isdigit() else value
        else:
            out[key] = value
    return out


def parse_csv(text: str, shop: dict[str, Any]) -> Catalog:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "sku" not in reader.fieldnames:
        raise CatalogFileError("the CSV header must name the product columns (sku, link, name, price, ...)")
    # row numbers as a spreadsheet shows them: the header is row 1
    return build_catalog(shop, [_csv_row(r) for r in reader], first_row=2)


def load_catalog(path: Path, *, shop: dict[str, Any] | None = None) -> Catalog:
    """Load ``path`` (``.json`` or ``.csv``). Raises :class:`CatalogFileError`."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CatalogFileError(f"cannot read {path}: {exc.strerror}") from None
    if path.suffix.lower() == ".csv":
        if shop is None:
            sibling = path.with_name("shop.json")
            try:
                shop = json.loads(sibling.read_text(encoding="utf-8")) if sibling.exists() else {"name": path.stem}
            except (OSError, json.JSONDecodeError) as exc:
                raise CatalogFileError(f"cannot read {sibling}: {exc}") from None
            if not isinstance(shop, dict):
                raise CatalogFileError(f"{sibling} must hold an object with at least a \"name\"")
        return parse_csv(text, shop)
    return parse_json(text)
