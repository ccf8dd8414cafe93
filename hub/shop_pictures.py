"""A shop's product pictures: read over http(s) by default (:func:`read_http_picture`), kept in a small
least-recently-used cache (:class:`PictureCache`) so a show does not fetch a product's picture every time it
is shown, and a picture that cannot be read is remembered as missing (it never stops a show)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable

MAX_PICTURE_BYTES = 8 * 1024 * 1024


async def read_http_picture(ref: str) -> bytes:
    """The bytes at the http(s) address ``ref`` (ValueError: not such an address, or larger than 8 MiB)."""
    import aiohttp

    if not ref.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) address: {ref!r}")
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as http, http.get(ref) as resp:
        resp.raise_for_status()
        data = await resp.content.read(MAX_PICTURE_BYTES + 1)
        if len(data) > MAX_PICTURE_BYTES:
            raise ValueError(f"{ref}: larger than 8 MiB")
        return data


class PictureCache:
    """Pictures by reference, the ``limit`` most recently used kept (None: it could not be read)."""

    def __init__(self, limit: int = 256) -> None:
        self.limit = limit
        self._items: OrderedDict[str, bytes | None] = OrderedDict()

    async def get(self, ref: str, read: Callable[[str], Awaitable[bytes]],
                  failed: Callable[[Exception], None]) -> bytes | None:
        """Picture ``ref``, read by ``read`` the first time; ``failed(error)`` is told when it cannot be."""
        if ref in self._items:
            self._items.move_to_end(ref)
            return self._items[ref]
        try:
            data: bytes | None = await read(ref)
        except Exception as exc:
            failed(exc)
            data = None
        self._items[ref] = data
        while len(self._items) > self.limit:
            self._items.popitem(last=False)
        return data
