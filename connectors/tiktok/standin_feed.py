"""One push-server connection of the TikTok stand-in (:mod:`connectors.tiktok.standin`): what it enforces
(``im_enter_room`` first, ``hb`` frames in time, acks with the right ``log_id``, a window of unacknowledged
frames) and what it sends (the room's messages from the connection's cursor on, repeats now and then, a
``close`` frame when it wants the client to reconnect)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from hub.pushframe import FrameError, PushFrame, Response, decode_frame, msg_frame

if TYPE_CHECKING:
    from connectors.tiktok.standin import TikTokStandin


class FeedSession:
    """Serves one WebSocket until the client goes, stops sending heartbeats or is asked to reconnect."""

    def __init__(self, standin: TikTokStandin, ws: web.WebSocketResponse, room: str, offset: int) -> None:
        self.standin, self.ws, self.room = standin, ws, room
        room_log = standin.log.setdefault(room, [])
        self.offset = len(room_log) if offset < 0 else min(offset, len(room_log))
        self.entered = asyncio.Event()
        self.acked = asyncio.Event()
        self.unacked: set[int] = set()
        self.frames = 0
        self.reconnect = False

    def ask_reconnect(self) -> None:
        self.reconnect = True
        self.acked.set()
        self.standin.changed.setdefault(self.room, asyncio.Event()).set()  # wake the sender

    async def serve(self) -> None:
        sender = asyncio.create_task(self._send(), name="tiktok-standin-sender")
        try:
            await self._receive()
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)

    async def _receive(self) -> None:
        figures, timeout = self.standin.figures, self.standin.heartbeat_timeout
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                figures["heartbeat_timeouts"] += 1  # TikTok drops a client that stops sending hb frames
                return
            try:
                msg = await self.ws.receive(timeout=left)
            except TimeoutError:
                continue
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return
            if msg.type != WSMsgType.BINARY:
                continue
            try:
                frame = decode_frame(msg.data)
            except FrameError:
                figures["bad_acks"] += 1
                continue
            if frame.payload_type == "hb":
                figures["heartbeats"] += 1
                deadline = time.monotonic() + timeout
            elif frame.payload_type == "im_enter_room":
                figures["enter_room"] += 1
                if not self.entered.is_set():
                    await self.ws.send_bytes(PushFrame(payload_type="im_enter_room_resp").encode())
                    self.entered.set()
            elif frame.payload_type == "ack":
                if frame.log_id in self.unacked:
                    self.unacked.discard(frame.log_id)
                    figures["acks"] += 1
                    self.acked.set()
                else:
                    figures["bad_acks"] += 1

    async def _send(self) -> None:
        standin = self.standin
        changed = standin.changed.setdefault(self.room, asyncio.Event())
        room_log = standin.log.setdefault(self.room, [])
        await self.entered.wait()  # nothing before im_enter_room
        while not self.ws.closed:
            if self.reconnect or (standin.reconnect_every and self.frames >= standin.reconnect_every):
                standin.figures["reconnect_requests"] += 1
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self.ws.send_bytes(PushFrame(payload_type="close").encode())
                return
            if len(self.unacked) >= standin.window:
                self.acked.clear()
                await self.acked.wait()
                continue
            if self.offset >= len(room_log):
                changed.clear()
                await changed.wait()
                continue
            await self._send_chunk(room_log)

    async def _send_chunk(self, room_log: list) -> None:
        standin = self.standin
        chunk = room_log[self.offset:self.offset + standin.batch]
        messages = list(chunk)
        every = standin.duplicate_every
        if every and self.offset and self.offset % every < len(chunk):
            messages.insert(0, room_log[self.offset - 1])  # TikTok repeats itself now and then
            standin.figures["duplicates_sent"] += 1
        self.offset += len(chunk)
        standin.log_id += 1
        log_id = standin.log_id
        response = Response(messages=messages, cursor=f"tc-{self.offset}", need_ack=True,
                            internal_ext=f"internal_src:dim|wss_push_room_id:{self.room}|offset:{self.offset}",
                            now=int(time.time() * 1000), heartbeat_ms=int(standin.ping_interval * 1000))
        self.unacked.add(log_id)
        await self.ws.send_bytes(msg_frame(response, log_id=log_id, seq_id=self.offset))
        self.frames += 1
        standin.figures["frames"] += 1
