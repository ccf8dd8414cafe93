"""Where the product card's pictures come from: the room's shop (its catalog connector), or a folder.

The card is drawn in the drawing thread, which cannot wait for a shop's picture server. A picture source
answers :meth:`get` at once from its cache; :class:`ShopPictures` fetches a picture it does not have yet
through the room's catalog connector (:meth:`hub.shop.CatalogConnector.image`) on the hub's loop, and the
card shows the placeholder until it arrives (the scene draws the card again then: its cache key
includes :meth:`key`). :class:`FolderPictures` reads files relative to a folder (renders from a catalog
file outside a running hub, tests and benchmarks).
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from hub.catalog import Product

log = logging.getLogger("livehub.media.pictures")

MAX_IMAGE_SIDE = 1024
CACHE = 64


class Pictures(Protocol):
    def get(self, product: Product) -> Image.Image | None:
        """The product's picture (RGBA, at most :data:`MAX_IMAGE_SIDE` a side), or None for now."""

    def key(self, product: Product) -> Any:
        """Changes when :meth:`get` would give a different picture (part of the card's cache key)."""


def decode(data: bytes) -> Image.Image | None:
    """A picture from its bytes (JPEG, PNG, WebP...), RGBA and at most :data:`MAX_IMAGE_SIDE`; None if
    they are not a picture."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", (MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
            img = img.convert("RGBA")
        img.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), Image.Resampling.LANCZOS)
        return img
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        log.warning("cannot read a product picture: %s", exc)
        return None


def _ref(product: Product) -> str | None:
    return product.image or (product.images[0] if product.images else None)


class FolderPictures:
    """Pictures named by path relative to ``folder`` (a catalog file's folder)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._cache: OrderedDict[tuple[str, float], Image.Image | None] = OrderedDict()

    def _path(self, product: Product) -> Path | None:
        ref = _ref(product)
        if not ref or ref.startswith(("http://", "https://")):
            return None
        path = Path(ref)
        return path if path.is_absolute() else (self.folder or Path.cwd()) / path

    def key(self, product: Product) -> Any:
        path = self._path(product)
        try:
            return (str(path), path.stat().st_mtime) if path is not None else None
        except OSError:
            return (str(path), None)

    def get(self, product: Product) -> Image.Image | None:
        key = self.key(product)
        if key is None or key[1] is None:
            if key is not None:
                log.warning("product %s: image not found: %s", product.sku, key[0])
            return None
        if key not in self._cache:
            self._cache[key] = decode(Path(key[0]).read_bytes())
            while len(self._cache) > CACHE:
                self._cache.popitem(last=False)
        return self._cache[key]


class ShopPictures:
    """Pictures from the catalog connector that ``room`` sells from, fetched on the hub's loop."""

    def __init__(self, hub: Any, room: str) -> None:
        self.hub, self.room = hub, room
        self._loop: asyncio.AbstractEventLoop | None = None
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            pass
        self._cache: OrderedDict[str, Image.Image | None] = OrderedDict()
        self._pending: set[str] = set()

    def key(self, product: Product) -> Any:
        ref = _ref(product)
        return (ref, ref in self._cache) if ref else None

    def get(self, product: Product) -> Image.Image | None:
        ref = _ref(product)
        if not ref:
            return None
        if ref in self._cache:
            return self._cache[ref]
        if ref not in self._pending and self._loop is not None and not self._loop.is_closed():
            self._pending.add(ref)
            self._loop.call_soon_threadsafe(self._fetch_later, product, ref)
        return None

    def _fetch_later(self, product: Product, ref: str) -> None:
        try:
            self.hub.create_task(self._fetch(product, ref), name=f"picture {self.room}: {ref[:80]}")
        except (RuntimeError, ValueError):
            self._pending.discard(ref)

    async def _fetch(self, product: Product, ref: str) -> None:
        try:
            shop = self.hub.shop(self.room)
            data = await shop.image(product) if shop is not None else None
            self._cache[ref] = await asyncio.to_thread(decode, data) if data else None
            while len(self._cache) > CACHE:
                self._cache.popitem(last=False)
        finally:
            self._pending.discard(ref)
