"""The danmaku WebSocket (``/sub``), the same for both modes: auth, heartbeats, commands.

:func:`open_feed` connects, sends the auth packet (op 7, version 1; the body is the web client's JSON or
the open platform's ``auth_body`` verbatim), waits for the auth reply (op 8, ``{"code": 0}``; another code
raises :class:`FeedAuthError`), then sends a heartbeat (op 2) every ``heartbeat_s`` while the block runs.
Iterating the :class:`Feed` yields ``(cmd, command, raw body)`` for every op-5 packet; heartbeat replies
update :attr:`Feed.popularity`. A malformed message or command is counted (``counts``) and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from connectors.bilibili.api import USER_AGENT
from connectors.bilibili.client import (
    HEARTBEAT_BODY,
    MAX_MESSAGE,
    OP_AUTH,
    OP_AUTH_REPLY,
    OP_COMMAND,
    OP_HEARTBEAT,
    OP_HEARTBEAT_REPLY,
    CommandError,
    PacketError,
    command,
    pack,
    popularity,
    unpack,
)


class FeedError(Exception):
    """The WebSocket failed or closed: reconnect."""


class FeedAuthError(FeedError):
    """The server refused the auth packet (its code is in the message)."""


class Feed:
    """One authenticated connection; iterate for commands."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, idle_timeout: float, counts: Counter[str]) -> None:
        self.ws, self.idle_timeout, self.counts = ws, idle_timeout, counts
        self.popularity = 0
        self.last_error = ""

    async def __aiter__(self) -> AsyncIterator[tuple[str, dict[str, Any], bytes]]:
        while True:
            try:
                msg = await self.ws.receive(timeout=self.idle_timeout)
            except TimeoutError:
                raise FeedError(f"nothing received for {self.idle_timeout:g} s") from None
            if msg.type != aiohttp.WSMsgType.BINARY:
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED,
                                aiohttp.WSMsgType.ERROR):
                    raise FeedError(f"connection closed ({msg.type.name} {msg.data!r})")
                self.skip("messages_not_binary", msg.type.name)
                continue
            self.counts["frames"] += 1
            try:
                packets = unpack(msg.data)
            except PacketError as exc:
                self.skip("malformed_frames", str(exc))
                continue
            for packet in packets:
                if packet.op == OP_COMMAND:
                    try:
                        cmd, obj = command(packet.body)
                    except CommandError as exc:
                        self.skip("malformed_commands", str(exc))
                        continue
                    yield cmd, obj, packet.body
                elif packet.op == OP_HEARTBEAT_REPLY:
                    try:
                        self.popularity = popularity(packet.body)
                        self.counts["heartbeat_replies"] += 1
                    except PacketError as exc:
                        self.skip("malformed_frames", str(exc))
                else:
                    self.counts[f"op_{packet.op}"] += 1

    def skip(self, what: str, why: str) -> None:
        self.counts[what] += 1
        self.last_error = why


@contextlib.asynccontextmanager
async def open_feed(session: aiohttp.ClientSession, url: str, auth_body: bytes, *, heartbeat_s: float = 30.0,
                    idle_timeout: float = 90.0, auth_timeout: float = 5.0,
                    counts: Counter[str] | None = None) -> AsyncIterator[Feed]:
    counts = counts if counts is not None else Counter()
    try:
        ws = await session.ws_connect(url, headers={"User-Agent": USER_AGENT}, max_msg_size=MAX_MESSAGE,
                                      autoping=True, timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=2.0))
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise FeedError(f"{url}: {type(exc).__name__}: {exc}") from exc
    beat: asyncio.Task[None] | None = None
    try:
        await ws.send_bytes(pack(OP_AUTH, auth_body))
        await _auth_reply(ws, auth_timeout)
        counts["connections"] += 1
        beat = asyncio.create_task(_heartbeat(ws, heartbeat_s, counts), name="bilibili-heartbeat")
        yield Feed(ws, idle_timeout, counts)
    except (aiohttp.ClientError, ConnectionError) as exc:
        raise FeedError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        if beat is not None:
            beat.cancel()
            with contextlib.suppress(BaseException):
                await beat
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2.0):
                await ws.close()


async def _auth_reply(ws: aiohttp.ClientWebSocketResponse, timeout: float) -> None:
    try:
        msg = await ws.receive(timeout=timeout)
    except TimeoutError:
        raise FeedError(f"no auth reply within {timeout:g} s") from None
    if msg.type != aiohttp.WSMsgType.BINARY:
        raise FeedError(f"auth: connection closed ({msg.type.name} {msg.data!r})")
    try:
        packets = unpack(msg.data)
        reply = next((p for p in packets if p.op == OP_AUTH_REPLY), None)
        if reply is None:
            raise FeedError("auth: the first message is no auth reply")
        code = json.loads(reply.body or b"{}").get("code")
    except (PacketError, ValueError, AttributeError) as exc:
        raise FeedError(f"auth: unreadable reply ({exc})") from None
    if code != 0:
        raise FeedAuthError(f"auth refused: code {code}")


async def _heartbeat(ws: aiohttp.ClientWebSocketResponse, every: float, counts: Counter[str]) -> None:
    packet = pack(OP_HEARTBEAT, HEARTBEAT_BODY)
    with contextlib.suppress(ConnectionError, aiohttp.ClientError, RuntimeError):
        while not ws.closed:
            await ws.send_bytes(packet)
            counts["heartbeats"] += 1
            await asyncio.sleep(every)
