"""The ``PushFrame`` → gzip → ``Response`` → ``Message`` framing of webcast push servers.

Douyin's and TikTok's live feeds (one protocol family) send binary WebSocket messages, each one
``PushFrame``; a ``msg`` frame's payload is a (usually gzip'd) ``Response`` holding the messages. This
module reads and writes that framing and nothing else: it imports only :mod:`hub.protowire` (itself
standard-library only) and knows nothing of the hub, so a connector's ``client.py`` may use it.

Field numbers (the community's reverse-engineered schemas, MIT; facts, not code: see docs/platforms.md):

* ``PushFrame``: seq_id 1, log_id 2, service 3, method 4, headers 5 (repeated {key 1, value 2}),
  payload_encoding 6, payload_type 7 (``"msg"``, ``"ack"``, ``"hb"``, ``"im_enter_room"``, ``"close"``),
  payload 8;
* ``Response``: messages 1, cursor 2, fetch_interval 3, now 4, internal_ext 5, fetch_type 6,
  route_params 7 (map), heartbeat_duration 8, need_ack 9, push_server 10, is_first 11;
* ``Message``: method 1 (``"WebcastChatMessage"``...), payload 2, msg_id 3, msg_type 4, offset 5.

A frame's payload is gzip'd when its header ``compress_type`` is ``gzip`` (or its encoding says so, or it
starts with the gzip magic). Inflating is bounded (:data:`MAX_INFLATED`): a bomb is a :class:`FrameError`
like any other malformed frame, so a connection can skip it and go on.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field

from hub.protoschema import build, parse
from hub.protowire import WireError, encode

MAX_FRAME = 4 * 1024 * 1024
MAX_INFLATED = 16 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


class FrameError(WireError):
    """A malformed frame, response or message payload (or one too big)."""


_SCHEMA = build("livehub_pushframe", {
    "PushFrame": {"seq_id": (1, "uint64"), "log_id": (2, "uint64"), "service": (3, "uint64"), "method": (4, "uint64"),
                  "headers": (5, "map"), "payload_encoding": (6, "string"), "payload_type": (7, "string"),
                  "payload": (8, "bytes")},
    "Message": {"method": (1, "string"), "payload": (2, "bytes"), "msg_id": (3, "uint64"), "msg_type": (4, "uint32"),
                "offset": (5, "uint64")},
    "Response": {"messages": (1, "repeated Message"), "cursor": (2, "string"), "fetch_interval": (3, "uint64"),
                 "now": (4, "uint64"), "internal_ext": (5, "string"), "fetch_type": (6, "uint32"),
                 "route_params": (7, "map"), "heartbeat_duration": (8, "uint64"), "need_ack": (9, "bool"),
                 "push_server": (10, "string"), "is_first": (11, "bool")},
})


@dataclass(slots=True)
class PushFrame:
    payload_type: str = "msg"
    payload: bytes = b""
    log_id: int = 0
    seq_id: int = 0
    service: int = 0
    method: int = 0
    payload_encoding: str = "pb"
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        headers = [encode([(1, k), (2, v)]) for k, v in self.headers.items()]
        return encode([(1, self.seq_id or None), (2, self.log_id or None), (3, self.service or None),
                       (4, self.method or None), (5, headers), (6, self.payload_encoding),
                       (7, self.payload_type), (8, self.payload)])


@dataclass(slots=True)
class WebcastMessage:
    method: str
    payload: bytes
    msg_id: int = 0
    msg_type: int = 0
    offset: int = 0


@dataclass(slots=True)
class Response:
    messages: list[WebcastMessage] = field(default_factory=list)
    cursor: str = ""
    internal_ext: str = ""
    need_ack: bool = False
    heartbeat_ms: int = 0
    now: int = 0
    fetch_interval: int = 0
    route_params: dict[str, str] = field(default_factory=dict)
    push_server: str = ""
    is_first: bool = False

    def encode(self) -> bytes:
        messages = [encode([(1, m.method), (2, m.payload), (3, m.msg_id or None), (4, m.msg_type or None),
                            (5, m.offset or None)]) for m in self.messages]
        params = [encode([(1, k), (2, v)]) for k, v in self.route_params.items()]
        return encode([(1, messages), (2, self.cursor), (3, self.fetch_interval or None), (4, self.now or None),
                       (5, self.internal_ext), (7, params), (8, self.heartbeat_ms or None),
                       (9, self.need_ack or None), (10, self.push_server or None), (11, self.is_first or None)])


def decode_frame(data: bytes) -> PushFrame:
    """One binary WebSocket message (or a heartbeat ping's payload)."""
    if len(data) > MAX_FRAME:
        raise FrameError(f"frame of {len(data)} bytes exceeds {MAX_FRAME}")
    try:
        m = parse(_SCHEMA["PushFrame"], data)
    except WireError as exc:
        raise FrameError(f"bad PushFrame: {exc}") from None
    return PushFrame(seq_id=m.seq_id, log_id=m.log_id, service=m.service, method=m.method, headers=dict(m.headers),
                     payload_encoding=m.payload_encoding, payload_type=m.payload_type, payload=m.payload)


def inflate(data: bytes) -> bytes:
    """gunzip with a bound on the output."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, MAX_INFLATED)
    except zlib.error as exc:
        raise FrameError(f"bad gzip payload: {exc}") from None
    if inflater.unconsumed_tail:
        raise FrameError(f"gzip payload inflates beyond {MAX_INFLATED} bytes")
    if not inflater.eof:
        raise FrameError("truncated gzip payload")
    return out


def is_compressed(frame: PushFrame) -> bool:
    return (frame.headers.get("compress_type") == "gzip" or frame.payload_encoding == "gzip"
            or frame.payload[:2] == GZIP_MAGIC)


def decode_response(frame: PushFrame) -> Response:
    """The ``Response`` a ``msg`` frame carries."""
    return parse_response(inflate(frame.payload) if is_compressed(frame) else frame.payload)


def parse_response(payload: bytes) -> Response:
    """A serialized ``Response`` (e.g. a sign server's answer, which is not framed)."""
    try:
        m = parse(_SCHEMA["Response"], payload)
    except WireError as exc:
        raise FrameError(f"bad Response: {exc}") from None
    messages = [WebcastMessage(x.method, x.payload, x.msg_id, x.msg_type, x.offset) for x in m.messages]
    return Response(messages=messages, cursor=m.cursor, fetch_interval=m.fetch_interval, now=m.now,
                    internal_ext=m.internal_ext, route_params=dict(m.route_params), heartbeat_ms=m.heartbeat_duration,
                    need_ack=m.need_ack, push_server=m.push_server, is_first=m.is_first)


def msg_frame(response: Response, *, log_id: int, seq_id: int = 0, compress: bool = True) -> bytes:
    """A ``msg`` frame carrying ``response`` (gzip'd, as the platform sends them)."""
    body = response.encode()
    headers = {"compress_type": "gzip"} if compress else {}
    payload = gzip.compress(body, compresslevel=1, mtime=0) if compress else body
    return PushFrame(payload_type="msg", payload=payload, log_id=log_id, seq_id=seq_id, headers=headers).encode()


def ack_frame(log_id: int, internal_ext: str) -> bytes:
    """The acknowledgement of a frame whose response asked for one (``b"-"`` when there is no
    ``internal_ext``, as the web clients send)."""
    return PushFrame(payload_type="ack", log_id=log_id, payload=internal_ext.encode("utf-8") or b"-").encode()


def heartbeat_frame(payload: bytes = b"") -> bytes:
    """An ``hb`` frame: Douyin's clients send it (empty) as a WebSocket PING's payload, TikTok's as a
    binary message whose payload is a ``HeartBeatMessage``."""
    return PushFrame(payload_type="hb", payload=payload).encode()
