"""The file catalog as a hub connector: loads the file (:mod:`hub.catalog_file`), reloads it when it changes,
reports bad rows."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from hub.catalog import Catalog
from hub.catalog_file import CatalogFileError, load_catalog
from hub.connector import Connector
from hub.errors import NotReady

log = logging.getLogger("livehub.catalog_file")


class CatalogFileSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: Path
    reload_interval_s: float = Field(2.0, gt=0)


class CatalogFileConnector(Connector):
    """A catalog read from a JSON or CSV file; ``catalog`` holds the last good load."""

    kind = "catalog"

    def __init__(self, name: str, config: CatalogFileSettings, hub) -> None:
        super().__init__(name, config, hub)
        base = hub.config.path.parent if hub.config.path else Path.cwd()
        self.path = config.path if config.path.is_absolute() else base / config.path
        self.catalog: Catalog | None = None
        self._mtime: float | None = None

    def load(self) -> Catalog:
        try:
            catalog = load_catalog(self.path)
        except CatalogFileError as exc:
            raise NotReady(str(exc)) from None
        for problem in catalog.problems:
            log.warning("catalog %s: %s", self.path.name, problem)
        return catalog

    async def run(self) -> None:
        while True:
            try:
                mtime = self.path.stat().st_mtime
            except OSError as exc:
                raise NotReady(f"cannot read {self.path}: {exc.strerror}") from None
            if mtime != self._mtime:
                self.catalog = await asyncio.to_thread(self.load)
                self._mtime = mtime
            self.set_ready()  # also after a retry or a restart with the file unchanged (a no-op when ready)
            await asyncio.sleep(self.config.reload_interval_s)

    async def check(self) -> str:
        catalog = await asyncio.to_thread(self.load)
        bad = f", {len(catalog.problems)} bad rows" if catalog.problems else ""
        return f"{len(catalog.products)} products from {self.path.name}{bad}"
