"""Security headers for the HTML pages the hub serves (the console, the live room, the overlay, the player).

Every page gets the same baseline: not cached, never sniffed, no referrer, and a Content-Security-Policy
that allows nothing from elsewhere (``default-src 'none'``, no plugins, no ``<base>``, no forms) plus
only what that page needs. A page that keeps its script and style inline (the overlay and the player are
single files, so an operator can save one and open it) does not need ``'unsafe-inline'``: :class:`Page`
reads the file once and allows exactly those inline blocks by their SHA-256 hashes, so an injected
``<script>`` or ``onclick=`` attribute would still not run.

``frame_ancestors`` says who may frame the page: ``'none'`` (nobody; also ``X-Frame-Options: DENY``) or
``'self'`` (the hub's own pages). OBS loads an overlay as a browser source, a top-level page, not in a
frame, so the overlay allows no framing at all.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from aiohttp import web

_INLINE = re.compile(r"<(script|style)(\s[^>]*)?>(.*?)</\1\s*>", re.S | re.I)


def inline_hashes(html: str) -> dict[str, list[str]]:
    """``{"script": [...], "style": [...]}``: CSP hash sources of the page's inline blocks (a
    ``<script src=...>`` is not inline and is left out)."""
    found: dict[str, list[str]] = {"script": [], "style": []}
    for match in _INLINE.finditer(html):
        tag, attributes, body = match.group(1).lower(), match.group(2) or "", match.group(3)
        if tag == "script" and re.search(r"\bsrc\s*=", attributes, re.I):
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        found[tag].append(f"'sha256-{digest}'")
    return found


def security_headers(*, script: str = "'self'", style: str = "'self'", img: str = "'self' data:",
                     media: str = "'self' blob:", connect: str = "'self'",
                     frame_ancestors: str = "'none'") -> dict[str, str]:
    """The baseline headers of a page with the given CSP sources (see the module docstring)."""
    policy = "; ".join([
        "default-src 'none'", f"script-src {script}", f"style-src {style}", f"img-src {img}",
        f"media-src {media}", f"connect-src {connect}", "font-src 'self'", "object-src 'none'",
        "base-uri 'none'", "form-action 'none'", f"frame-ancestors {frame_ancestors}",
    ])
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
               "Referrer-Policy": "no-referrer", "Content-Security-Policy": policy}
    if frame_ancestors == "'none'":
        headers["X-Frame-Options"] = "DENY"
    elif frame_ancestors == "'self'":
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return headers


class Page:
    """One HTML file served with :func:`security_headers`, its inline blocks allowed by hash."""

    def __init__(self, path: Path, **sources: str) -> None:
        self.path = path
        self.body = path.read_bytes()
        hashes = inline_hashes(self.body.decode("utf-8"))
        if hashes["script"]:
            sources.setdefault("script", " ".join(hashes["script"]))
        if hashes["style"]:
            sources.setdefault("style", " ".join(hashes["style"]))
        self.headers = security_headers(**sources)

    def response(self) -> web.Response:
        return web.Response(body=self.body, content_type="text/html", charset="utf-8", headers=self.headers)
