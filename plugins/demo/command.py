"""``livehub demo``: the whole product offline, with no API key: a shop, a show on the built-in live room,
the viewer page at ``/`` and the operator console at ``/console``.

An API token is generated only when the demo listens beyond loopback (the hub refuses that without one),
and only then printed; on loopback the API is open to this machine alone, as in ``livehub run``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from plugins.demo.setup import (
    ROOM,
    SHOW,
    TOKEN_ENV,
    demo_config,
    demo_rundown,
    describe_catalog,
    starter_catalog,
    user_cache_dir,
)

log = logging.getLogger("livehub.demo")


def lan_address() -> str | None:
    """This machine's address on its default route, for the "on your network" hint (no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            return str(probe.getsockname()[0])
    except OSError:
        return None


def browse_host(host: str) -> str:
    """The host to put in printed URLs: a wildcard address is reached as 127.0.0.1 from this machine."""
    if host in ("0.0.0.0", "", "::", "[::]"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


@click.command("demo")
@click.option("--catalog", "catalog_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="A catalog (JSON or CSV) instead of the sample shop.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback gets a generated API token.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port (0: any free port).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the demo's database here (default: a temporary folder deleted at exit).")
def demo(catalog_file: Path | None, host: str, port: int, data_dir: Path | None) -> None:
    """Run the offline demo: a sample shop, a host pitching it on a live room, the console."""
    from hub.catalog_file import CatalogFileError, load_catalog
    from hub.cli import build_hub_or_exit, err_console
    from hub.config import load_config
    from hub.errors import ConfigError, LiveHubError
    from hub.logs import setup_logging
    from hub.secrets import SecretValue
    from hub.web.common import is_loopback_host

    catalog_path = (catalog_file or starter_catalog()).resolve()
    try:
        catalog = load_catalog(catalog_path)
    except CatalogFileError as exc:
        err_console().print(f"error: cannot use the catalog {catalog_path}: {exc}", markup=False)
        sys.exit(2)
    if not catalog.products:
        err_console().print(f"error: the catalog {catalog_path} has no valid products", markup=False)
        sys.exit(2)

    token, token_env = None, None
    if os.environ.get("LIVEHUB_API_TOKEN"):
        token_env = "LIVEHUB_API_TOKEN"  # the operator's own token: used, never printed
    elif not is_loopback_host(host.strip("[]")):
        token = secrets.token_urlsafe(24)
        os.environ[TOKEN_ENV] = token
        token_env = TOKEN_ENV
    os.environ.setdefault("LIVEHUB_CACHE_DIR", str(user_cache_dir()))

    temporary = data_dir is None
    folder = Path(tempfile.mkdtemp(prefix="livehub-demo-")) if temporary else data_dir.resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        data = demo_config(catalog_path=catalog_path, catalog=catalog, data_dir=folder, host=host, port=port,
                           token_env=token_env)
        try:
            config = load_config(data=data, env=False)  # LIVEHUB_DATABASE_URL must not point the demo elsewhere
        except ConfigError as exc:
            err_console().print(f"error: {exc}", markup=False)
            sys.exit(2)
        if token is not None:
            config.redactor.add(token)
        elif token_env is not None:
            config.redactor.add(os.environ[token_env])
            config.web.token = SecretValue(os.environ[token_env], f"env:{token_env}")
        setup_logging(config.hub.log_level, config.redactor)
        hub = build_hub_or_exit(config)
        try:
            asyncio.run(_serve(hub, catalog=catalog, catalog_path=catalog_path, folder=folder,
                               temporary=temporary, token=token))
        except LiveHubError as exc:
            err_console().print(f"error: {config.redactor.redact(str(exc))}", markup=False)
            sys.exit(1)
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)


async def start_demo_show(hub: Any, catalog: Any) -> str:
    """Define the demo show (a rundown of the catalog) and start it on the room; returns a status line."""
    from hub.interfaces import ShowControl

    shows = hub.slots.get(ShowControl)
    if shows is None:
        return "show runner disabled; the room answers questions without a show"
    rundown = shows.parse_show(demo_rundown(catalog), "demo")
    await shows.define_show(rundown)  # listed by GET /api/v1/shows: the console can start it again
    # On air first, so the room stays on air (answering questions) when the operator stops the show.
    await shows.open_room(ROOM)
    running = shows.show_on(ROOM)
    if running is not None:  # resumed from a kept --data-dir
        return f"show {running!r} resumed on room {ROOM!r}"
    await shows.start_show(ROOM, rundown, actor="demo")
    return f"show {SHOW!r} running on room {ROOM!r} ({len(rundown.segments)} products, looping)"


async def _serve(hub: Any, *, catalog: Any, catalog_path: Path, folder: Path, temporary: bool,
                 token: str | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await hub.start()
    try:
        for connector in hub.connectors.values():
            await connector.wait_ready(10)
        show = await start_demo_show(hub, catalog)
        base = f"http://{browse_host(hub.web.host)}:{hub.web.port}"
        lines = ["", "LiveHub demo is running — offline, no API key needed.",
                 f"  Viewer page : {base}/",
                 f"  Console     : {base}/console" + (f"#token={token}" if token else "")]
        if hub.web.host in ("0.0.0.0", "::", "[::]") and (address := lan_address()):
            lines.append(f"  On your LAN : http://{address}:{hub.web.port}/")
        if token:
            lines.append(f"  API token   : {token}")
        lines += [f"  Shop        : {describe_catalog(catalog)} from {catalog_path}",
                  f"  Show        : {show}",
                  f"  Data        : {folder}" + (" (deleted when the demo stops)" if temporary else ""),
                  "Open the viewer page, ask “1号链接多少钱” in the chat, and steer the show from the console.",
                  "Press Ctrl+C to stop.", ""]
        print("\n".join(lines), flush=True)
        await stop.wait()
    finally:
        await hub.stop()
