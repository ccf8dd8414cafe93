"""The stand-in's EventSub WebSocket server: sessions, keepalives, close codes, reconnects, redelivery.

A socket on ``/ws`` gets a ``session_welcome`` at once. Its session belongs to no client until the first
subscription is created through Helix with a user token: the session is then bound to that client
(client id + user id). The server:

* closes with **4003** a session with no subscription ``keepalive`` seconds after its welcome;
* closes with **4001** a socket the client sends a text or binary frame on;
* pings every ``ping_interval`` seconds and closes with **4002** a socket that did not pong since the last ping;
* sends ``session_keepalive`` after ``keepalive`` seconds with nothing else to send;
* sends ``session_reconnect`` (on request, or every ``reconnect_every`` notifications) naming
  ``/ws?reconnect=<token>``: a socket there gets a welcome with the same session id and takes over the session
  (its subscriptions carry over, delivery goes on from where it was), and the old socket is closed; an old
  socket whose client does not come within ``reconnect_grace`` seconds is closed with **4004**;
* repeats every ``duplicate_every``-th notification (same ``message_id``: EventSub is at-least-once).

Redelivery (a stand-in choice, see docs/platforms/twitch.md): the notification log is kept, and each client
has an offset, the first notification not yet written to one of its sockets; a new session of the same
client resumes there once it has subscribed again to the types the client had before.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from connectors.twitch.standin_encode import (
    Notification,
    keepalive_frame,
    revocation_frame,
    session_frame,
    timestamp,
)


@dataclass(eq=False)
class Client:
    key: tuple[str, str]  # (client id, user id)
    offset: int = 0
    types: set[str] = field(default_factory=set)


@dataclass(eq=False)
class Session:
    id: str
    ws: web.WebSocketResponse
    keepalive: int
    connected_at: str = field(default_factory=timestamp)
    client: Client | None = None
    subs: dict[str, dict[str, Any]] = field(default_factory=dict)  # type -> subscription object
    reconnect_token: str = ""
    reconnect_deadline: float = 0.0
    sent: int = 0
    closed: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    sender: asyncio.Task[Any] | None = None


class EventSubServer:
    """Mixed into the stand-in: :meth:`eventsub_socket` is the ``/ws`` handler."""

    def __init__(self, *, keepalive: int = 0, ping_interval: float = 10.0, reconnect_grace: float = 30.0,
                 reconnect_every: int = 0, duplicate_every: int = 97) -> None:
        self.forced_keepalive = keepalive  # 0: what the client asks for (10-600)
        self.ping_interval, self.reconnect_grace = ping_interval, reconnect_grace
        self.reconnect_every, self.duplicate_every = reconnect_every, duplicate_every
        self.notifications: list[Notification] = []
        self.clients: dict[tuple[str, str], Client] = {}
        self.sessions: dict[str, Session] = {}
        self.stalled = False  # test knob: send nothing at all (no keepalives either)
        self.ws_figures = {"connections": 0, "welcomes": 0, "notifications": 0, "duplicates_sent": 0,
                           "keepalives": 0, "reconnects_asked": 0, "reconnected": 0, "revocations": 0}
        self.closes: dict[int, int] = {}

    # -- events and requests -----------------------------------------------------------------------------

    def publish(self, note: Notification) -> None:
        self.notifications.append(note)
        for session in self.sessions.values():
            session.wake.set()

    def ask_reconnect(self) -> int:
        asked = 0
        for session in list(self.sessions.values()):
            if not session.closed and not session.reconnect_token:
                self._reconnect(session)
                asked += 1
        return asked

    def revoke(self, type_: str | None, status: str) -> int:
        """Send a revocation for ``type_`` (every type if None) on every session subscribed; drop those."""
        count = 0
        for session in self.sessions.values():
            for sub_type in [t for t in session.subs if type_ in (None, t)]:
                sub = session.subs.pop(sub_type)
                if session.client is not None:
                    session.client.types.discard(sub_type)
                self._send(session, revocation_frame(sub, status))
                self.ws_figures["revocations"] += 1
                count += 1
        return count

    def bind(self, session: Session, key: tuple[str, str], type_: str, subscription: dict[str, Any]) -> None:
        """A subscription was created on ``session`` (through Helix) by client ``key``."""
        client = self.clients.get(key)
        if client is None:
            client = self.clients[key] = Client(key, offset=len(self.notifications))  # new: from now on
        session.client = client
        session.subs[type_] = subscription
        client.types.add(type_)
        session.wake.set()

    # -- the socket ----------------------------------------------------------------------------------------

    def _keepalive(self, request: web.Request) -> int:
        if self.forced_keepalive:
            return self.forced_keepalive
        asked = request.query.get("keepalive_timeout_seconds", "10")
        return min(600, max(10, int(asked))) if asked.isdigit() else 10

    async def eventsub_socket(self, request: web.Request) -> web.StreamResponse:
        token = request.query.get("reconnect", "")
        old = next((s for s in self.sessions.values() if token and s.reconnect_token == token), None)
        if token and old is None:
            return web.Response(status=400, text="unknown or expired reconnect url")
        ws = web.WebSocketResponse(autoping=False, max_msg_size=1 << 16)
        await ws.prepare(request)
        self.ws_figures["connections"] += 1
        if old is not None:  # a reconnect: the session moves to this socket
            old_ws, old.ws, old.reconnect_token = old.ws, ws, ""
            await ws.send_str(session_frame("session_welcome", old.id, keepalive=old.keepalive,
                                            connected_at=old.connected_at))
            self.ws_figures["reconnected"] += 1
            with contextlib.suppress(Exception):
                await old_ws.close()
            old.wake.set()
            await self._serve_socket(old, ws)
            return ws
        session = Session(secrets.token_urlsafe(24), ws, self._keepalive(request))
        self.sessions[session.id] = session
        await ws.send_str(session_frame("session_welcome", session.id, keepalive=session.keepalive,
                                        connected_at=session.connected_at))
        self.ws_figures["welcomes"] += 1
        session.sender = asyncio.create_task(self._sender(session), name="twitch-standin-sender")
        await self._serve_socket(session, ws)
        return ws

    async def _serve_socket(self, session: Session, ws: web.WebSocketResponse) -> None:
        """Read the client's side of ``ws`` (pongs only); the session ends with its current socket."""
        pongs = [True]
        pinger = asyncio.create_task(self._pinger(ws, pongs), name="twitch-standin-pinger")
        try:
            async for msg in ws:
                if msg.type == WSMsgType.PONG:
                    pongs[0] = True
                elif msg.type == WSMsgType.PING:
                    await ws.pong(msg.data)
                elif msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await self._close(ws, 4001, "client sent inbound traffic")
                    break
        finally:
            pinger.cancel()
            await asyncio.gather(pinger, return_exceptions=True)
            if session.ws is ws:  # else a reconnect took the session to another socket: it lives on
                session.closed = True
                self.sessions.pop(session.id, None)
                session.wake.set()
                if session.sender is not None:
                    session.sender.cancel()
                    await asyncio.gather(session.sender, return_exceptions=True)

    async def _close(self, ws: web.WebSocketResponse, code: int, why: str) -> None:
        self.closes[code] = self.closes.get(code, 0) + 1
        with contextlib.suppress(Exception):
            await ws.close(code=code, message=why.encode())

    async def _pinger(self, ws: web.WebSocketResponse, pongs: list[bool]) -> None:
        """Ping every ``ping_interval``; no pong since the last ping: close 4002."""
        if self.ping_interval <= 0:
            return
        while not ws.closed:
            await asyncio.sleep(self.ping_interval)
            if ws.closed:
                return
            if not pongs[0]:
                await self._close(ws, 4002, "client failed ping-pong")
                return
            pongs[0] = False
            with contextlib.suppress(Exception):
                await ws.ping()

    def _send(self, session: Session, text: str) -> None:
        ws = session.ws
        if not ws.closed:
            asyncio.ensure_future(_quiet(ws.send_str(text)))

    def _reconnect(self, session: Session) -> None:
        session.reconnect_token = secrets.token_urlsafe(16)
        session.reconnect_deadline = time.monotonic() + self.reconnect_grace
        url = f"{self.ws_url()}?reconnect={session.reconnect_token}"
        self._send(session, session_frame("session_reconnect", session.id, keepalive=None, reconnect_url=url,
                                          connected_at=session.connected_at))
        self.ws_figures["reconnects_asked"] += 1
        session.wake.set()

    def ws_url(self) -> str:  # the stand-in provides it
        raise NotImplementedError

    async def _sender(self, session: Session) -> None:
        last = time.monotonic()
        welcomed = last
        while not session.closed:
            now = time.monotonic()
            if not session.subs and session.client is None and now - welcomed >= session.keepalive:
                await self._close(session.ws, 4003, "connection unused")
                return
            if session.reconnect_token and now >= session.reconnect_deadline:
                await self._close(session.ws, 4004, "reconnect grace time expired")
                return
            note = self._next(session) if not self.stalled else None
            if note is None:
                if not self.stalled and now - last >= session.keepalive and not session.ws.closed:
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await session.ws.send_str(keepalive_frame())
                    self.ws_figures["keepalives"] += 1
                    last = time.monotonic()
                session.wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(0.25, session.keepalive / 4)):
                        await session.wake.wait()
                continue
            client = session.client
            assert client is not None
            text = note.frame(session.subs[note.type])
            try:
                await session.ws.send_str(text)
            except (ConnectionError, RuntimeError):  # the socket went (or moved): not delivered
                session.wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.05):
                        await session.wake.wait()
                continue
            client.offset += 1
            session.sent += 1
            self.ws_figures["notifications"] += 1
            last = time.monotonic()
            if self.duplicate_every and session.sent % self.duplicate_every == 0:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await session.ws.send_str(text)
                    self.ws_figures["duplicates_sent"] += 1
            if self.reconnect_every and session.sent % self.reconnect_every == 0 and not session.reconnect_token:
                self._reconnect(session)

    def _next(self, session: Session) -> Notification | None:
        """The client's next notification for this session (skipping types it never subscribed to)."""
        client = session.client
        if client is None:
            return None
        while client.offset < len(self.notifications):
            note = self.notifications[client.offset]
            if note.type in session.subs:
                return note
            if note.type in client.types:
                return None  # subscribed before: wait until it is subscribed again on this session
            client.offset += 1
        return None


async def _quiet(coro: Any) -> None:
    with contextlib.suppress(Exception):
        await coro
