"""The stand-in's danmaku WebSocket (``/sub``) and its per-room message log.

A connection must send its auth packet (op 7) within ``auth_timeout`` seconds: a web token issued by
``getDanmuInfo`` for that room, or an open-platform game's ``auth_body`` byte for byte (anything else: op 8
``{"code": -101}`` and close). It then gets the room's commands in frames cycling through ``variants``
(ver 0 single, ver 0 concatenated, ver 3 brotli, ver 2 zlib), with an unknown command every
``noise_every`` frames and every ``duplicate_every``-th command sent twice. Every heartbeat (op 2) is
answered (op 3, a 4-byte popularity); a connection silent for ``heartbeat_timeout`` seconds is closed,
and so is an open-platform connection whose game expired or ended.

Bilibili keeps no cursor; the stand-in does, so that a test can count: a room's next connection starts
where its last connection stopped, less ``redeliver`` commands (sent again: the connector must recognise
them). :meth:`DanmakuServer.request_reconnect` asks live connections to reconnect (``REENTER_LIVE_ROOM``
on the web, ``LIVE_OPEN_PLATFORM_INTERACTION_END`` and the game's end on the open platform).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from connectors.bilibili.client import (
    MAX_MESSAGE,
    OP_AUTH,
    OP_AUTH_REPLY,
    OP_HEARTBEAT,
    OP_HEARTBEAT_REPLY,
    PacketError,
    pack,
    unpack,
)
from connectors.bilibili.standin_encode import UNKNOWN, VARIANTS, Entry, frame
from hub.standin import Standin

OPEN_VARIANTS = ("zlib", "zlib", "single")


@dataclass
class Room:
    log: list[Entry] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    resume: int = 0  # where the room's next connection starts
    popularity: int = 1000


@dataclass(eq=False)
class Conn:
    room: str
    mode: str  # "web" or "open_live"
    game: str = ""
    start: int = 0
    offset: int = 0
    control: list[bytes] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class DanmakuServer(Standin):
    """The WebSocket half of the Bilibili stand-in (see the module docstring)."""

    def __init__(self, *, auth_timeout: float | str = 5.0, heartbeat_timeout: float | str = 60.0,
                 batch: int | str = 20, duplicate_every: int | str = 97, noise_every: int | str = 7,
                 redeliver: int | str = 100, game_timeout: float | str = 60.0, variants: str = ",".join(VARIANTS), **options: Any) -> None:
        super().__init__(**options)
        self.auth_timeout, self.heartbeat_timeout = float(auth_timeout), float(heartbeat_timeout)
        self.batch, self.duplicate_every, self.noise_every = int(batch), int(duplicate_every), int(noise_every)
        self.redeliver, self.game_timeout = int(redeliver), float(game_timeout)
        self.variants = tuple(v.strip() for v in variants.split(",") if v.strip())
        if not self.variants or any(v not in VARIANTS for v in self.variants):
            raise ValueError(f"variants: a comma list of {', '.join(VARIANTS)}")
        self.rooms: dict[str, Room] = {}
        self.tokens: dict[str, str] = {}  # web token -> room
        self.games: dict[str, dict[str, Any]] = {}  # game id -> {room, auth_body, beat, alive}
        self.conns: set[Conn] = set()
        self.figures = {"connections": 0, "auth_refused": 0, "auth_timeouts": 0, "heartbeats": 0,
                        "heartbeat_timeouts": 0, "frames": 0, "commands": 0, "duplicates_sent": 0,
                        "unknown_sent": 0, "reconnect_requests": 0, "bad_packets": 0, "redelivered": 0}
        self._frame_no = 0

    def room(self, room: str) -> Room:
        return self.rooms.setdefault(room, Room())

    def game_alive(self, game_id: str) -> bool:
        """False once the game ended or went ``game_timeout`` seconds without a project heartbeat."""
        game = self.games.get(game_id)
        if game is None or not game["alive"]:
            return False
        if time.monotonic() - game["beat"] > self.game_timeout:
            game["alive"] = False
        return bool(game["alive"])

    def request_reconnect(self, room: str | None = None) -> int:
        """Ask the live connections (of ``room``) to reconnect; returns how many were asked."""
        asked = 0
        for conn in list(self.conns):
            if room is not None and conn.room != room:
                continue
            if conn.mode == "web":
                body = {"cmd": "REENTER_LIVE_ROOM", "data": {"room_id": int(conn.room) if conn.room.isdigit() else 0,
                                                             "request_random_sec_range": 1, "reason": 1}}
            else:
                body = {"cmd": "LIVE_OPEN_PLATFORM_INTERACTION_END", "data": {"game_id": conn.game,
                                                                                "timestamp": int(time.time())}}
                if conn.game in self.games:
                    self.games[conn.game]["alive"] = False
            conn.control.append(json.dumps(body).encode())
            conn.wake.set()
            asked += 1
        self.figures["reconnect_requests"] += asked
        return asked

    def send_raw(self, data: bytes) -> int:
        """Send ``data`` as one WebSocket message to every live connection (a test's malformed frame)."""
        for conn in self.conns:
            conn.raw.append(data)
            conn.wake.set()
        return len(self.conns)

    def _authorize(self, body: bytes) -> Conn | None:
        text = body.decode("utf-8", "replace")
        for game_id, game in self.games.items():
            if text == game["auth_body"]:
                return Conn(game["room"], "open_live", game_id) if self.game_alive(game_id) else None
        try:
            auth = json.loads(body)
        except ValueError:
            return None
        if not isinstance(auth, dict):
            return None
        room = self.tokens.get(str(auth.get("key")))
        if room is None or str(auth.get("roomid")) != room or auth.get("protover") not in (0, 2, 3):
            return None
        return Conn(room, "web")

    async def sub_socket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE, autoping=True)
        await ws.prepare(request)
        try:
            msg = await ws.receive(timeout=self.auth_timeout)
        except TimeoutError:
            self.figures["auth_timeouts"] += 1
            await ws.close()
            return ws
        conn = None
        if msg.type == WSMsgType.BINARY:
            with contextlib.suppress(PacketError):
                auth = next((p for p in unpack(msg.data) if p.op == OP_AUTH), None)
                conn = self._authorize(auth.body) if auth is not None else None
        if conn is None:
            self.figures["auth_refused"] += 1
            with contextlib.suppress(ConnectionError):
                await ws.send_bytes(pack(OP_AUTH_REPLY, b'{"code":-101}'))
            await ws.close()
            return ws
        self.record("auth", mode=conn.mode, room=conn.room)
        self.figures["connections"] += 1
        room = self.room(conn.room)
        conn.start = conn.offset = room.resume
        self.figures["redelivered"] += max(0, min(len(room.log), room.resume + self.redeliver) - room.resume)
        self.conns.add(conn)  # before the reply: once authenticated, the connection is live
        try:
            await ws.send_bytes(pack(OP_AUTH_REPLY, b'{"code":0}'))
        except ConnectionError:
            self.conns.discard(conn)
            raise
        sender = asyncio.create_task(self._send(ws, conn, room), name="bilibili-standin-sender")
        try:
            while not sender.done():
                try:
                    msg = await ws.receive(timeout=self.heartbeat_timeout)
                except TimeoutError:
                    self.figures["heartbeat_timeouts"] += 1
                    break
                if msg.type != WSMsgType.BINARY:
                    break
                try:
                    packets = unpack(msg.data)
                except PacketError:
                    self.figures["bad_packets"] += 1
                    continue
                if any(p.op == OP_HEARTBEAT for p in packets):
                    self.figures["heartbeats"] += 1
                    room.popularity += 1
                    await ws.send_bytes(pack(OP_HEARTBEAT_REPLY, room.popularity.to_bytes(4, "big")))
        finally:
            self.conns.discard(conn)
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
            room.resume = max(conn.start, conn.offset - self.redeliver)
            await ws.close()
        return ws

    async def _send(self, ws: web.WebSocketResponse, conn: Conn, room: Room) -> None:
        open_live = conn.mode == "open_live"
        while not ws.closed:
            if open_live and not self.game_alive(conn.game) and not conn.control:
                await ws.close()
                return
            if conn.raw:
                raw, conn.raw = conn.raw, []
                for data in raw:
                    await ws.send_bytes(data)
                continue
            if conn.control:
                bodies, conn.control = conn.control, []
                await self._send_frame(ws, bodies, open_live)
                continue
            if conn.offset >= len(room.log):
                room.changed.clear()
                conn.wake.clear()
                waits = {asyncio.ensure_future(room.changed.wait()), asyncio.ensure_future(conn.wake.wait())}
                try:
                    await asyncio.wait(waits, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for w in waits:
                        w.cancel()
                continue
            chunk = room.log[conn.offset:conn.offset + self.batch]
            bodies = [b for b in ((e.open if open_live else e.web) for e in chunk) if b is not None]
            if self.duplicate_every and conn.offset and conn.offset % self.duplicate_every < len(chunk):
                previous = room.log[conn.offset - 1]
                again = previous.open if open_live else previous.web
                if again is not None:
                    bodies.insert(0, again)
                    self.figures["duplicates_sent"] += 1
            self._frame_no += 1
            if self.noise_every and self._frame_no % self.noise_every == 0:
                bodies.append(UNKNOWN[self._frame_no % len(UNKNOWN)])
                self.figures["unknown_sent"] += 1
            await self._send_frame(ws, bodies, open_live)
            conn.offset += len(chunk)
            self.figures["commands"] += len(bodies)

    async def _send_frame(self, ws: web.WebSocketResponse, bodies: list[bytes], open_live: bool) -> None:
        variants = OPEN_VARIANTS if open_live else self.variants  # the open platform sends zlib (ver 2)
        for message in frame(bodies, variants[self._frame_no % len(variants)]):
            await ws.send_bytes(message)
            self.figures["frames"] += 1
