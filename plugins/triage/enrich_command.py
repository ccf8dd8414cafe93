"""The ``livehub catalog enrich`` command (see :mod:`plugins.triage.enrich`)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from hub.cli import build_hub_or_exit, config_option, load_or_exit


@click.group("catalog")
def catalog() -> None:
    """Work on the product catalog."""


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _catalog_path(hub: Any, given: Path | None) -> Path:
    if given is not None:
        return given
    for connector in hub.connectors.values():
        path = getattr(connector, "path", None)
        if connector.kind == "catalog" and isinstance(path, Path):
            return path
    _fail("no catalog file: give --catalog, or configure a catalog_file connector")
    raise AssertionError  # unreachable


def _llm(hub: Any, name: str | None) -> Any:
    from hub.answer_chain import backend_settings

    choice = hub.settings.backend_choice.get("llm")
    name = name or (choice.default if choice is not None else None)
    if not name:
        _fail("enrich needs an LLM: name one with --llm or [backends.llm] default")
    entry = hub.registry.backends.get(("llm", name))
    if entry is None:
        known = ", ".join(n for k, n in hub.registry.backends if k == "llm") or "none"
        _fail(f"no llm backend named {name!r} (known: {known})")
    factory = entry[1].factory
    if not getattr(factory, "uses_llm", True):
        _fail(f"the {name!r} backend answers from templates and cannot suggest names; name an LLM backend")
    return factory(backend_settings(hub, name, {"max_sentences": 20}), hub)


@catalog.command("enrich")
@config_option
@click.option("--catalog", "catalog_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="The catalog file (default: the configured catalog_file connector's).")
@click.option("--llm", default=None, help="The LLM backend to ask (default: [backends.llm] default).")
@click.option("--yes", is_flag=True, help="Accept every suggestion without asking.")
def enrich_command(config_path: Path, catalog_path: Path | None, llm: str | None, yes: bool) -> None:
    """Ask the LLM once per product for other names viewers use (short names, other languages), review
    them, and add the accepted ones to the catalog file's aliases."""
    from hub.catalog_file import CatalogFileError, load_catalog
    from hub.errors import LiveHubError
    from plugins.triage.enrich import EnrichError, enrich, write_aliases

    config = load_or_exit(config_path, required=False)
    hub = build_hub_or_exit(config, web=False)
    path = _catalog_path(hub, catalog_path)
    try:
        products = load_catalog(path)
    except (CatalogFileError, OSError) as exc:
        _fail(f"{path}: {exc}")
    backend = _llm(hub, llm)

    def review(product: Any, names: list[str]) -> list[str]:
        click.echo(f"{product.link}. {product.name}: {'、'.join(names)}")
        return names if yes or click.confirm("   add these aliases?", default=True) else []

    async def run() -> dict[str, list[str]]:
        try:
            return await enrich(products, backend, review, report=click.echo)
        finally:
            await backend.aclose()

    try:
        accepted = asyncio.run(run())
        added = write_aliases(path, accepted)
    except (EnrichError, LiveHubError, OSError, ValueError) as exc:
        _fail(str(exc))
    click.echo(f"{added} alias(es) added to {path} for {len(accepted)} product(s)")
