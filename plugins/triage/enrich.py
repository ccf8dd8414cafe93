"""``livehub catalog enrich``: other names for each product, written once by the configured LLM, reviewed,
and stored with the catalog.

Viewers call products what they like: short names ("保温杯" for 陶瓷保温杯), and, in a Chinese-only catalog,
English words ("wool socks"). Resolution (:mod:`plugins.triage.products`) matches names and aliases, so
the aliases a merchant accepts here are what makes those questions land on the right product. The LLM is
asked once per product (prompt templates ``enrich/system.j2`` and ``enrich/user.j2`` of the shop's
locale); its answer is one line of names, which is parsed, cleaned (no duplicates, no names of other
products, no figures) and shown for review. Accepted aliases are added to the catalog file (JSON or CSV;
written to a temporary file and moved into place), existing aliases kept.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.answers import AnswerRequest
from hub.catalog import Catalog, Product
from hub.errors import BackendError

SEPARATORS = re.compile(r"[,，、;；/|\n]+")
FIGURE = re.compile(r"\d")
NUMBERING = re.compile(r"^\s*\d{1,2}\s*[.、)）]\s*")
MAX_ALIASES = 8


class EnrichError(RuntimeError):
    """The catalog cannot be enriched (no LLM, a file that cannot be written): the message says why."""


def parse_aliases(text: str, product: Product, catalog: Catalog) -> list[str]:
    """The names in an LLM's one-line answer, cleaned: 1 to 24 characters, no figures, none already known
    for this product and none naming another product."""
    taken = {n.casefold() for p in catalog.products for n in (p.name, *p.aliases)}
    out: list[str] = []
    for raw in SEPARATORS.split(text):
        name = NUMBERING.sub("", raw).strip().strip("\"'“”‘’「」*-•.。 ").strip()
        if not 1 <= len(name) <= 24 or FIGURE.search(name) or ":" in name or "：" in name:
            continue
        if name.casefold() in taken or name.casefold() in (o.casefold() for o in out):
            continue
        out.append(name)
    return out[:MAX_ALIASES]


async def suggest(backend: Any, product: Product, catalog: Catalog) -> list[str]:
    """Ask ``backend`` (an answer backend that uses an LLM) for ``product``'s other names."""
    locale = catalog.shop.locale if catalog.shop is not None else "zh-CN"
    request = AnswerRequest(question=product.name, intent="other", locale=locale, products=[product],
                            shop=catalog.shop, prompt="enrich")
    text = "".join([sentence async for sentence in backend.answer(request)])
    return parse_aliases(text, product, catalog)


async def enrich(catalog: Catalog, backend: Any, accept: Callable[[Product, list[str]], list[str]],
                 report: Callable[[str], None] = lambda _line: None) -> dict[str, list[str]]:
    """``{sku: accepted aliases}``: for each product, the backend's suggestions as ``accept`` keeps them.
    A product the backend fails on is reported and skipped."""
    accepted: dict[str, list[str]] = {}
    for product in sorted(catalog.products, key=lambda p: p.link):
        try:
            names = await suggest(backend, product, catalog)
        except BackendError as exc:
            report(f"{product.link}. {product.name}: no suggestions ({exc})")
            continue
        kept = accept(product, names) if names else []
        if kept:
            accepted[product.sku] = kept
    return accepted


def write_aliases(path: Path, additions: dict[str, list[str]]) -> int:
    """Add ``additions`` to the aliases of the catalog file at ``path`` (JSON or CSV); the number of
    aliases added. The file is replaced atomically; its other contents are kept as they were."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        updated, added = _csv_with(text, additions)
    else:
        updated, added = _json_with(text, additions)
    if added:
        temporary = path.with_name(f".{path.name}.enrich-{os.getpid()}")
        temporary.write_text(updated, encoding="utf-8")
        os.replace(temporary, path)
    return added


def _merged(existing: list[str], new: list[str]) -> tuple[list[str], int]:
    known = {a.casefold() for a in existing}
    extra = [a for a in new if a.casefold() not in known]
    return [*existing, *extra], len(extra)


def _json_with(text: str, additions: dict[str, list[str]]) -> tuple[str, int]:
    data = json.loads(text)
    rows = data.get("products") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise EnrichError("the JSON catalog has no product list")
    added = 0
    for row in rows:
        if isinstance(row, dict) and row.get("sku") in additions:
            row["aliases"], count = _merged(list(row.get("aliases") or []), additions[row["sku"]])
            added += count
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n", added


def _csv_with(text: str, additions: dict[str, list[str]]) -> tuple[str, int]:
    reader = csv.DictReader(io.StringIO(text))
    fields = list(reader.fieldnames or [])
    rows = list(reader)
    if "aliases" not in fields:
        fields.append("aliases")
    added = 0
    for row in rows:
        if row.get("sku") in additions:
            current = [a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()]
            merged, count = _merged(current, additions[row["sku"]])
            row["aliases"] = "|".join(merged)
            added += count
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue(), added
