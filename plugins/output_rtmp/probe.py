"""Check an RTMP ingest from asyncio before FFmpeg connects to it.

PyAV opens the connection (DNS, TCP connect, RTMP handshake) in ``avio_open`` while holding Python's GIL,
so an ingest that drops packets or accepts and then says nothing would freeze the whole process, event
loop and web server included, for as long as the kernel waits. The probe does those steps itself, without
blocking anything, within a timeout: only an ingest that answers the handshake is handed to FFmpeg.
Writing the stream later releases the GIL, and a write that hangs is abandoned by the encoder's timeout.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from urllib.parse import urlsplit

HANDSHAKE = 1536  # C1/S1 size in bytes; C0/S0 is the protocol version byte 3


async def probe_ingest(url: str, timeout: float = 5.0) -> None:
    """Connect to ``url``'s host and do the first half of the RTMP handshake (C0+C1 → S0+S1).

    Raises ConnectionError (refused, closed, not RTMP) or TimeoutError; messages never contain the URL.
    """
    parts = urlsplit(url)
    secure = parts.scheme.lower() in ("rtmps", "rtmpts")
    host, port = parts.hostname or "", parts.port or (443 if secure else 1935)
    context = ssl.create_default_context() if secure else None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port, ssl=context,
                                                           server_hostname=host if secure else None)
            try:
                writer.write(b"\x03" + bytes(8) + os.urandom(HANDSHAKE - 8))
                await writer.drain()
                reply = await reader.readexactly(1 + HANDSHAKE)
            finally:
                writer.close()
    except TimeoutError:
        raise TimeoutError(f"the ingest at {host}:{port} did not answer the RTMP handshake within "
                           f"{timeout:g} s") from None
    except asyncio.IncompleteReadError:
        raise ConnectionError(f"the ingest at {host}:{port} closed the connection during the handshake") from None
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot reach the ingest at {host}:{port}: {exc.strerror or exc}") from None
    if reply[0] != 3:
        raise ConnectionError(f"{host}:{port} does not speak RTMP (handshake version {reply[0]})")
