"""Client errors are logged once per kind a minute, never once per request.

A client error (a request the hub refuses with a 4xx, an HTTP message aiohttp cannot parse) is the
client's fault, and anyone who can reach the port can send millions: logging each one, let alone with a
traceback, would let them fill the disk and drown the lines that matter. :class:`ClientErrorLog` writes one
WARNING the first time a *kind* is seen in a window (``interval`` seconds), with what the request was (method,
path, reason; redacted and cut short), and counts the rest; the next line of that kind says how many were
not logged. A kind is the status with the route template (``400 POST /api/v1/events``), a refusal reason
of the drive-by guard, or the class of an HTTP parse error.

:class:`ParseErrorFilter` does this for aiohttp's own ``aiohttp.server`` logger, which otherwise writes an
ERROR with a full traceback for every malformed request line, header or body framing it answers 400.
Server errors (a 500: the hub's own bug) are not client errors; they are reported in full each time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger("livehub.web")

INTERVAL_S = 60.0
MAX_KINDS = 1000
"""Distinct kinds remembered at most (route templates and reasons are few; this bounds a flood of new
ones, e.g. ever new exception messages, should a kind ever come from client text)."""


class ClientErrorLog:
    """One WARNING per kind per ``interval`` seconds; see the module docstring."""

    def __init__(self, interval: float = INTERVAL_S, clock: Callable[[], float] = time.monotonic,
                 logger: logging.Logger = log) -> None:
        self.interval, self.clock, self.logger = interval, clock, logger
        self._windows: dict[str, tuple[float, int]] = {}  # kind -> (window start, requests not logged)
        self.total = 0

    def note(self, kind: str, detail: str) -> bool:
        """Count one client error of ``kind``; log it if it is the first of its window. True if logged."""
        self.total += 1
        now = self.clock()
        started, quiet = self._windows.get(kind, (None, 0))
        if started is not None and now - started < self.interval:
            self._windows[kind] = (started, quiet + 1)
            return False
        if len(self._windows) >= MAX_KINDS and kind not in self._windows:
            self._forget_old(now)
        self._windows[kind] = (now, 0)
        more = f"; {quiet} more of this kind were not logged" if quiet else ""
        self.logger.warning("client error %s: %s (one line per kind every %d s%s)", kind, detail,
                            int(self.interval), more)
        return True

    def _forget_old(self, now: float) -> None:
        for kind, (started, _) in list(self._windows.items()):
            if now - started >= self.interval:
                del self._windows[kind]
        while len(self._windows) >= MAX_KINDS:
            self._windows.pop(next(iter(self._windows)))


class ParseErrorFilter(logging.Filter):
    """On ``aiohttp.server``: an "Error handling request" record caused by a malformed HTTP message
    becomes one :class:`ClientErrorLog` line (no traceback); every other record passes unchanged."""

    def __init__(self, errors: ClientErrorLog) -> None:
        super().__init__()
        self.errors = errors

    def filter(self, record: logging.LogRecord) -> bool:
        from aiohttp.http_exceptions import HttpProcessingError

        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, HttpProcessingError):
            return True
        message = str(getattr(exc, "message", "") or exc).strip().splitlines()
        self.errors.note(f"400 malformed HTTP ({type(exc).__name__})",
                         (message[0] if message else type(exc).__name__)[:120])
        return False
