"""Fixtures of the start-up fault tests: a database host that never answers, a closed port."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest

from tests.cli.conftest import cli  # noqa: F401  (the `livehub` command in a scratch folder)


class SilentServer(int):
    """The port of a server that accepts and says nothing; ``accepted`` is set once a client connects."""

    accepted: threading.Event


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    """A TCP server on 127.0.0.1 that accepts connections and never sends a byte; yields its port."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, object] = {}
    held: list[asyncio.StreamWriter] = []
    accepted = threading.Event()

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # keep the connection open, say nothing
        accepted.set()

    async def serve() -> None:
        server = await asyncio.start_server(hold, "127.0.0.1", 0)
        holder["server"] = server
        holder["port"] = server.sockets[0].getsockname()[1]
        started.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(serve())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10), "the silent server did not start"
    port = SilentServer(holder["port"])  # type: ignore[arg-type]
    port.accepted = accepted
    yield port

    def close() -> None:
        for writer in held:
            writer.transport.abort()
        holder["server"].close()  # type: ignore[attr-defined]
        loop.stop()

    loop.call_soon_threadsafe(close)
    thread.join(10)


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
