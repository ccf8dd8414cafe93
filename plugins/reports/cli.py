"""``livehub report <broadcast>``: write a broadcast's report (self-contained HTML with charts, and JSON)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from hub.cli import config_option, load_or_exit


@click.command("report")
@config_option
@click.argument("broadcast", type=int)
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The folder to write into (default: [plugins.reports] folder).")
def report(config_path: Path, broadcast: int, out: Path | None) -> None:
    """Write broadcast BROADCAST's report: broadcast-<id>.html (open it in any browser, offline) and .json."""
    from hub.storage import Storage
    from plugins.reports.service import write_report

    config = load_or_exit(config_path, required=False)
    if out is None:
        from plugins.reports.service import ReportSettings

        settings = ReportSettings.model_validate({k: v for k, v in config.raw_plugins.get("reports", {}).items()
                                                  if k != "enabled"})
        folder = Path(settings.folder).expanduser()
        out = folder if folder.is_absolute() else (config.path.parent if config.path else Path.cwd()) / folder

    async def run() -> tuple[Path, Path] | None:
        storage = Storage(config.database_url)
        try:
            await storage.start(migrate=True)
            return await write_report(storage, broadcast, out)
        finally:
            await storage.stop()

    written = asyncio.run(run())
    if written is None:
        click.echo(f"error: no broadcast {broadcast}", err=True)
        sys.exit(1)
    click.echo(f"wrote {written[0]} and {written[1]}")
