"""What ``livehub demo`` runs, built as data: the hub's configuration and the demo show's rundown.

Nothing is written into the user's folder. The demo keeps its state in a **data folder of its own**: a
fresh temporary folder per run (deleted when the demo stops), or ``--data-dir`` to keep it. It holds the
SQLite database (events, audit log, schedules) and the demo show's rundown. Synthesised speech is cached
in the per-user cache folder (``$LIVEHUB_CACHE_DIR``, default ``$XDG_CACHE_HOME/livehub`` or
``~/.cache/livehub``), so the second demo starts speaking at once.
"""

from __future__ import annotations

import os
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

from hub.catalog import Catalog

ROOM = "main"
SHOW = "demo"
TOKEN_ENV = "LIVEHUB_DEMO_TOKEN"
"""The demo passes a generated token to its config through this variable (never through a file)."""
SEGMENT_MINUTES = 3.0
MAX_SEGMENTS = 12


def starter_catalog() -> Path:
    """The sample shop shipped with LiveHub (products in Chinese and English, with images)."""
    return Path(str(files("hub.starter").joinpath("catalog.json")))


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/livehub``, else ``~/.cache/livehub``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "livehub"


def demo_rundown(catalog: Catalog) -> dict[str, Any]:
    """A looping show presenting each product in link order, with a countdown where there is a promo."""
    locale = catalog.shop.locale if catalog.shop is not None else "zh-CN"
    segments: list[dict[str, Any]] = []
    for product in sorted(catalog.products, key=lambda p: p.link)[:MAX_SEGMENTS]:
        segment: dict[str, Any] = {"sku": product.sku, "minutes": SEGMENT_MINUTES, "variants": 3}
        if product.promo_price is not None and product.promo_price < product.price:
            segment["promotion"] = {"at_minute": 1.5, "countdown_s": 60}
        segments.append(segment)
    return {"name": SHOW, "room": ROOM, "locale": locale, "loop": True, "idle_fill_s": 20.0,
            "round_gap_s": 8.0, "segments": segments}


def demo_config(*, catalog_path: Path, catalog: Catalog, data_dir: Path, host: str, port: int,
                token_env: str | None) -> dict[str, Any]:
    """The hub configuration of the demo (``hub.config.load_config(data=...)``)."""
    shop = catalog.shop.name if catalog.shop is not None else "LiveHub"
    locale = catalog.shop.locale if catalog.shop is not None else "zh-CN"
    web: dict[str, Any] = {"enabled": True, "host": host, "port": port}
    if token_env is not None:
        web["token"] = {"env": token_env}
    return {
        "hub": {"name": f"LiveHub demo · {shop}", "locale": locale, "log_level": "WARNING",
                "database_url": f"sqlite+aiosqlite:///{(data_dir / 'demo.db').as_posix()}", "shutdown_timeout": 10},
        "web": web,
        "scheduler": {"enabled": True},
        "connectors": {
            "shop": {"type": "catalog_file", "path": str(catalog_path)},
            "room": {"type": "local", "room": ROOM},
            "crm": {"type": "builtin_crm"},  # viewers become contacts, visit notes and leads (docs/crm.md)
        },
        "rooms": {ROOM: {"public": True, "size": "960x540", "fps": 25, "locale": locale, "voices": ["espeak"],
                         "outputs": []}},
        "backends": {"voice": {"default": "espeak"}, "llm": {"default": "catalog"}},
        # The room is put on air by the demo once the catalog has loaded (product images need its folder).
        "plugins": {"show_runner": {"shows_dir": str(data_dir / "shows")},
                    "reports": {"folder": str(data_dir / "reports")}},
    }


def describe_catalog(catalog: Catalog) -> str:
    """``晨光好物 (3 products, ¥89–¥199)`` for the banner."""
    shop = catalog.shop.name if catalog.shop is not None else "shop"
    prices = [p.current_price for p in catalog.products]
    if not prices:
        return f"{shop} (no products)"
    low, high = min(prices), max(prices)

    def money(value: Decimal) -> str:
        return f"{value.normalize():f}"

    span = money(low) if low == high else f"{money(low)}–{money(high)}"
    return f"{shop} ({len(prices)} products, {span} {catalog.shop.currency if catalog.shop else ''})".rstrip()
