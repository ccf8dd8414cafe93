"""``livehub contacts export|erase <id>``: everything the hub holds about a person of the built-in CRM, as JSON,
or removed everywhere in the hub's database; both audited (:mod:`hub.storage.people_erasure`)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from hub.cli import config_option, load_or_exit


@click.group("contacts")
def contacts() -> None:
    """The built-in CRM's people: export or erase one (the id is GET /api/v1/contacts' ``id``)."""


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


async def _with_storage(config_path: Path, work: Any) -> Any:
    from hub.storage import Storage

    config = load_or_exit(config_path, required=False)
    storage = Storage(config.database_url)
    try:
        await storage.start(migrate=True)
        return await work(storage)
    finally:
        await storage.stop()


@contacts.command("export")
@config_option
@click.argument("person_id", type=int)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the JSON here (default: standard output).")
def export_command(config_path: Path, person_id: int, out: Path | None) -> None:
    """Everything the hub holds about a person: details, accounts, timeline, events, CRM writes (JSON)."""
    from hub.storage.people_erasure import export_person

    found = asyncio.run(_with_storage(config_path, lambda s: export_person(s, person_id, actor="cli")))
    if found is None:
        _fail(f"no contact {person_id}")
    text = json.dumps(found, ensure_ascii=False, indent=2, default=str)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {out}")


@contacts.command("erase")
@config_option
@click.argument("person_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(config_path: Path, person_id: int, yes: bool) -> None:
    """Remove a person's data everywhere in the hub's database (events' text included); audited."""
    from hub.storage.people_erasure import erase_person

    if not yes and not click.confirm(f"erase contact {person_id} and everything about them?", default=False):
        _fail("not erased")
    counts = asyncio.run(_with_storage(config_path, lambda s: erase_person(s, person_id, actor="cli")))
    if counts is None:
        _fail(f"no contact {person_id}")
    click.echo("erased: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
