"""``livehub standin kuaishou``: Kuaishou's interactive-live long-poll on a local server.

* ``POST /openapi/sdk/v1/connect``: the app id and the code must be the stand-in's and ``useSdk`` true;
  otherwise ``{"result": 0, "errorMsg": ...}`` (a refusal). Answers a fresh token, ``ksUid`` and the
  streamer (``user``).
* ``GET /openapi/sdk/v1/poll?token&pCursor&len``: an unknown token is refused (``result`` 0); a token
  whose session was closed (``disconnect``, or a reconnect request) answers ``result: 2``. A poll
  earlier than the ``sleep`` the previous answer advised gets an empty answer (same ``pCursor``, the
  sleep left) and is counted (``early_polls``). Otherwise the items after ``pCursor`` (at most
  ``len``, 1–200; an empty or unknown cursor starts at the beginning of the room's feed); with nothing to
  send, the poll is held up to ``hold_s`` seconds. Every ``duplicate_every``-th item is sent again in the
  next answer (the platform may repeat itself). Bodies are gzip'd for clients that accept it.
* ``GET /openapi/sdk/v1/disconnect?token``: closes the session (recorded as ``api``).
* Reconnect requests (``result: 2``): the control API's ``{"kind": "reconnect"}`` fault ends every open
  session, and ``--set reconnect_every=N`` ends each session at its N-th poll.

Viewer events come from the control API (:mod:`hub.standin`): comments, gifts, likes and follows;
the interactive feed carries no enters, viewer counts or end of the live (answered 400).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web

from connectors.kuaishou.client import CONNECT_PATH, DISCONNECT_PATH, MAX_LEN, POLL_PATH
from connectors.kuaishou.mapping import CMD_COMMENT, CMD_FOLLOW, CMD_GIFT, CMD_LIKE
from hub.events import Comment, Event, Gift, Like
from hub.standin import Standin

EARLY_TOLERANCE = 0.005  # seconds: timer granularity, not an early poll
CARRIED = ("comment", "gift", "like", "follow")


# -- hub events in the interactive feed's format (also used by bench/kuaishou_decode.py) -------------

def interactive_item(event: Event) -> dict[str, Any]:
    """The poll item of a viewer event; ``ValueError`` for one the interactive feed does not carry."""
    user = event.user
    payload: dict[str, Any] = {"user": {"id": user.id if user else "0", "userName": user.name if user else "",
                                        "headUrl": "", "gender": "U"}}
    if isinstance(event, Comment):
        cmd = CMD_COMMENT
        payload["content"] = event.text
    elif isinstance(event, Gift):
        cmd = CMD_GIFT
        payload.update(giftId=gift_id(event.gift), giftName=event.gift, count=event.count)
        if event.value is not None:
            if event.value != event.value.to_integral_value() or event.value < 0:
                raise ValueError("gift value: Kuaishou coins are whole numbers")
            payload["giftTotalDou"] = int(event.value)
        elif event.value_cny is not None:
            payload["giftTotalDou"] = int(event.value_cny * Decimal(10))
    elif isinstance(event, Like):
        cmd = CMD_LIKE
        payload["count"] = event.count
    elif event.type == "follow":
        cmd = CMD_FOLLOW
    else:
        raise ValueError(f"the interactive feed carries {', '.join(CARRIED)}; not {event.type!r} events")
    return {"cmd": cmd, "msgId": event.message_id or event.id, "payload": payload}


def gift_id(name: str) -> str:
    """A stable numeric gift id for a gift name."""
    return str(int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=4).digest(), "big"))


def poll_body(items: list[dict[str, Any]], cursor: str, sleep_ms: int) -> bytes:
    """A poll answer's JSON body."""
    return json.dumps({"result": 1, "pCursor": cursor, "sleep": sleep_ms, "data": items},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def gzip_body(body: bytes) -> bytes:
    """The body as the server sends it to a client that accepts gzip."""
    return gzip.compress(body, compresslevel=5)


@dataclass(slots=True)
class PollSession:
    token: str
    room: str
    polls: int = 0
    next_poll: float = 0.0  # monotonic time before which a poll is early
    reconnect: bool = False  # the next poll answers result 2


class KuaishouStandin(Standin):
    system = "kuaishou"
    secret_env = {"code": "KUAISHOU_CODE"}
    default_room = "ks-8001"

    def __init__(self, *, app_id: str = "ks-standin-app", code: str = "standin-code", sleep_ms: int | str = 1000,
                 hold_s: float | str = 5.0, reconnect_every: int | str = 0, duplicate_every: int | str = 97,
                 **options: Any) -> None:
        super().__init__(**options)
        self.app_id, self.code = app_id, code
        self.sleep_ms, self.hold_s = int(sleep_ms), float(hold_s)
        self.reconnect_every, self.duplicate_every = int(reconnect_every), int(duplicate_every)
        if self.sleep_ms < 0 or self.hold_s < 0 or self.reconnect_every < 0 or self.duplicate_every < 0:
            raise ValueError("sleep_ms, hold_s, reconnect_every and duplicate_every must not be negative")
        self.feed: list[dict[str, Any]] = []  # the room's items in order
        self.changed = asyncio.Event()
        self.sessions: dict[str, PollSession] = {}
        self.closed: set[str] = set()
        self.figures = {"connects": 0, "refused_connects": 0, "polls": 0, "early_polls": 0, "held_polls": 0,
                        "reconnects_asked": 0, "bad_tokens": 0, "items_sent": 0, "duplicates_sent": 0,
                        "disconnects": 0}

    # -- what the control API feeds --------------------------------------------------------------

    async def deliver(self, event: Event) -> Any:
        if event.room != self.default_room:
            raise ValueError(f"room: the stand-in's streamer room is {self.default_room!r}, not {event.room!r}")
        item = interactive_item(event)
        self.feed.append(item)
        self.changed.set()
        return item

    def connector_settings(self) -> dict[str, Any]:
        return {"mode": "interactive", "api_base": self.url, "app_id": self.app_id, "code": self.code}

    def notes(self) -> list[str]:
        return [f"interactive long-poll: sleep {self.sleep_ms} ms between polls, held up to {self.hold_s} s; "
                f"reconnect_every={self.reconnect_every} (0: only on the reconnect fault)"]

    def state(self) -> dict[str, Any]:
        return {**super().state(), "interactive": dict(self.figures), "feed": len(self.feed),
                "sessions": len(self.sessions)}

    def request_reconnect(self) -> int:
        for session in self.sessions.values():
            session.reconnect = True
        self.changed.set()  # held polls answer now
        return len(self.sessions)

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(CONNECT_PATH, self.connect)
        router.add_get(POLL_PATH, self.poll)
        router.add_get(DISCONNECT_PATH, self.disconnect_route)

    # -- the protocol ------------------------------------------------------------------------------

    async def connect(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _answer(request, {"result": 0, "errorMsg": "the body must be a JSON object"})
        if body.get("appId") != self.app_id or body.get("code") != self.code or body.get("useSdk") is not True:
            self.figures["refused_connects"] += 1
            return _answer(request, {"result": 0, "errorMsg": "appId or code invalid"})
        token = secrets.token_hex(16)
        self.sessions[token] = PollSession(token, self.default_room)
        self.figures["connects"] += 1
        self.record("api", action="connect", play_id=body.get("playId"))
        return _answer(request, {"result": 1, "token": token, "ksUid": 1800000001,
                                 "user": {"id": "anchor-open-id", "userName": "主播", "headUrl": "", "gender": "F"}})

    async def disconnect_route(self, request: web.Request) -> web.Response:
        token = request.query.get("token", "")
        if self.sessions.pop(token, None) is None:
            return _answer(request, {"result": 0, "errorMsg": "token invalid"})
        self.closed.add(token)
        self.figures["disconnects"] += 1
        self.record("api", action="disconnect")
        return _answer(request, {"result": 1})

    async def poll(self, request: web.Request) -> web.Response:
        query = request.query
        token, cursor = query.get("token", ""), query.get("pCursor", "")
        try:
            size = int(query.get("len", str(MAX_LEN)))
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_LEN:
            return _answer(request, {"result": 0, "errorMsg": f"len must be 1..{MAX_LEN}"})
        self.figures["polls"] += 1
        session = self.sessions.get(token)
        if session is None:
            if token in self.closed:
                return _answer(request, {"result": 2})
            self.figures["bad_tokens"] += 1
            return _answer(request, {"result": 0, "errorMsg": "token invalid"})
        session.polls += 1
        if self.reconnect_every and session.polls % self.reconnect_every == 0:
            session.reconnect = True
        now = time.monotonic()
        if now < session.next_poll - EARLY_TOLERANCE and not session.reconnect:
            self.figures["early_polls"] += 1
            left = max(1, round((session.next_poll - now) * 1000))
            return _answer(request, {"result": 1, "pCursor": cursor, "sleep": left, "data": []})
        offset = _offset(cursor, len(self.feed))
        deadline = now + self.hold_s
        while offset >= len(self.feed) and not session.reconnect:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.figures["held_polls"] += 1
            self.changed.clear()
            try:
                async with asyncio.timeout(left):
                    await self.changed.wait()
            except TimeoutError:
                break
        if session.reconnect:  # the platform ends the session: the client connects again
            self.sessions.pop(token, None)
            self.closed.add(token)
            self.figures["reconnects_asked"] += 1
            return _answer(request, {"result": 2})
        chunk = self.feed[offset:offset + size]
        items = list(chunk)
        end = offset + len(chunk)
        if self.duplicate_every and offset and any(p % self.duplicate_every == 0 for p in range(offset, end)):
            items.insert(0, self.feed[offset - 1])  # sent before: the platform repeats itself
            self.figures["duplicates_sent"] += 1
        self.figures["items_sent"] += len(items)
        session.next_poll = time.monotonic() + self.sleep_ms / 1000
        body = poll_body(items, _cursor(end), self.sleep_ms)
        return _answer(request, body)


def _cursor(offset: int) -> str:
    return f"pc-{offset}"


def _offset(cursor: str, end: int) -> int:
    """Where a cursor points (an empty or unknown one: the start; past the end: the end)."""
    if cursor.startswith("pc-") and cursor[3:].isdigit() and len(cursor) < 24:
        return min(int(cursor[3:]), end)
    return 0


def _answer(request: web.Request, data: dict[str, Any] | bytes) -> web.Response:
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if "gzip" in request.headers.get("Accept-Encoding", "").lower() and len(body) > 256:
        body = gzip_body(body)
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=body, headers=headers)
