"""The file catalog as a shop connector: loads the file (:mod:`hub.catalog_file`), reloads it when it
changes, reports bad rows; its pictures are files next to it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pydantic import Field

from hub.catalog import Catalog, Product
from hub.catalog_file import CatalogFileError, load_catalog
from hub.errors import NotReady
from hub.shop import CatalogConnector, ShopSettings

log = logging.getLogger("livehub.catalog_file")

PICTURE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})


class CatalogFileSettings(ShopSettings):
    path: Path = Field(description="the JSON or CSV file (relative to the config file)")
    reload_interval_s: float = Field(2.0, gt=0, description="seconds between checks of the file's time")


class CatalogFileConnector(CatalogConnector):
    """A catalog read from a JSON or CSV file; ``catalog`` holds the last good load."""

    def __init__(self, name: str, config: CatalogFileSettings, hub: Any) -> None:
        super().__init__(name, config, hub)
        base = hub.config.path.parent if hub.config.path else Path.cwd()
        self.path = config.path if config.path.is_absolute() else base / config.path
        self._mtime: float | None = None
        self._loaded: Catalog | None = None

    def load(self) -> Catalog:
        try:
            catalog = load_catalog(self.path)
        except CatalogFileError as exc:
            raise NotReady(str(exc)) from None
        for problem in catalog.problems:
            log.warning("catalog %s: %s", self.path.name, problem)
        return catalog

    def _mtime_now(self) -> float:
        try:
            return self.path.stat().st_mtime
        except OSError as exc:
            raise NotReady(f"cannot read {self.path}: {exc.strerror}") from None

    async def fetch_shop(self) -> dict[str, Any]:
        mtime = self._mtime_now()
        self._loaded = await asyncio.to_thread(self.load)
        self._mtime = mtime
        return self._loaded.shop.model_dump()

    async def fetch_products(self) -> AsyncIterator[Product]:
        loaded = self._loaded
        if loaded is None:
            return
        for product in loaded.products:
            yield product

    async def sync(self) -> None:
        await super().sync()
        if self.catalog is not None and self._loaded is not None:  # the file's row problems, as before
            self.catalog = self.catalog.model_copy(update={"problems": self._loaded.problems})

    async def unchanged_since_sync(self) -> bool:
        return self._mtime_now() == self._mtime

    def reconcile_interval(self) -> float:
        return self.config.reload_interval_s

    async def read_image(self, ref: str) -> bytes:
        """A picture named in the file: a path relative to the catalog file (or an http(s) address)."""
        if ref.startswith(("http://", "https://")):
            return await super().read_image(ref)
        path = Path(ref)
        path = path if path.is_absolute() else self.path.parent / path
        if path.suffix.lower() not in PICTURE_SUFFIXES:
            raise ValueError(f"{ref}: not a picture file ({', '.join(sorted(PICTURE_SUFFIXES))})")
        return await asyncio.to_thread(path.read_bytes)

    async def check(self) -> str:
        catalog = await asyncio.to_thread(self.load)
        bad = f", {len(catalog.problems)} bad rows" if catalog.problems else ""
        return f"{len(catalog.products)} products from {self.path.name}{bad}"
