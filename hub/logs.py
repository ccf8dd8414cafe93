"""Logging setup: one stderr handler whose records pass through the secret redactor."""

from __future__ import annotations

import logging
import sys

from hub.secrets import Redactor

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(level: str = "INFO", redactor: Redactor | None = None) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_livehub", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._livehub = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(FORMAT))
    if redactor is not None:
        handler.addFilter(redactor)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("aiosqlite", "asyncio", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
