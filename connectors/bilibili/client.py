"""Bilibili live, the wire format only (standard library and ``brotli``; usable without LiveHub).

**Packets.** Every WebSocket binary message holds one or more packets, each a 16-byte big-endian header
(``>IHHII``: packet length including the header, header length 16, protocol version, operation,
sequence) and a body. Versions: 0 a JSON body, 1 a plain body (auth, heartbeat), 2 a zlib body and 3 a
brotli body, each of which holds further packets with their own headers. Operations: 2 heartbeat, 3
heartbeat reply (the first 4 body bytes: popularity), 5 a command, 7 auth, 8 auth reply.
:func:`unpack` reads a message down to its plain packets; :func:`pack`, :func:`pack_compressed` write them.

**Signatures.** :func:`wbi_sign` (the web API's ``w_rid``: md5 of the sorted, urlencoded query with
``wts`` plus the mixin key; :func:`mixin_key` permutes the ``img``/``sub`` keys of ``/x/web-interface/nav``)
and :func:`open_live_headers` (the open platform's ``x-bili-*`` headers and their HMAC-SHA256
``Authorization``).

Every malformed input raises :class:`PacketError` or :class:`CommandError` (both ``ValueError``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import brotli
import orjson

HEADER = struct.Struct(">IHHII")
HEADER_LEN = 16
OP_HEARTBEAT, OP_HEARTBEAT_REPLY, OP_COMMAND, OP_AUTH, OP_AUTH_REPLY = 2, 3, 5, 7, 8
VER_JSON, VER_PLAIN, VER_ZLIB, VER_BROTLI = 0, 1, 2, 3
MAX_MESSAGE = 4 * 1024 * 1024  # bytes of one WebSocket message
MAX_INFLATED = 16 * 1024 * 1024  # bytes one compressed body may expand to
HEARTBEAT_BODY = b"[object Object]"  # what the web client sends
WBI_TABLE = (46, 47, 18, 2, 53, 8, 23, 32, 15, 50, 10, 31, 58, 3, 45, 35, 27, 43, 5, 49, 33, 9, 42, 19, 29, 28,
             14, 39, 12, 38, 41, 13)  # the first 32 entries of the web client's mixin permutation
SIGNED_HEADERS = ("x-bili-accesskeyid", "x-bili-content-md5", "x-bili-signature-method",
                  "x-bili-signature-nonce", "x-bili-signature-version", "x-bili-timestamp")


class PacketError(ValueError):
    """Bytes that are not a valid packet sequence (truncated, wrong lengths, bad compression)."""


class CommandError(ValueError):
    """A command body that is not a JSON object with a string ``cmd``."""


@dataclass(slots=True)
class Packet:
    op: int
    ver: int
    seq: int
    body: bytes


def pack(op: int, body: bytes = b"", *, ver: int = VER_PLAIN, seq: int = 1) -> bytes:
    """One packet."""
    return HEADER.pack(HEADER_LEN + len(body), HEADER_LEN, ver, op, seq) + body


def pack_commands(bodies: list[bytes], *, ver: int = VER_JSON) -> bytes:
    """Commands as one message: ver 0 packets concatenated, or (ver 2 / 3) one compressed packet of them."""
    inner = b"".join(pack(OP_COMMAND, body, ver=VER_JSON, seq=0) for body in bodies)
    if ver == VER_JSON:
        return inner
    return pack_compressed(inner, ver)


def pack_compressed(inner: bytes, ver: int) -> bytes:
    if ver == VER_ZLIB:
        return pack(OP_COMMAND, zlib.compress(inner), ver=VER_ZLIB, seq=0)
    if ver == VER_BROTLI:
        return pack(OP_COMMAND, brotli.compress(inner, quality=4), ver=VER_BROTLI, seq=0)
    raise ValueError(f"not a compressed protocol version: {ver}")


def split(data: bytes) -> tuple[list[Packet], int]:
    """The packets of ``data`` as they are (compressed bodies not opened), and the count of trailing bytes
    too short for a header (a heartbeat reply's echo may follow a packet its length does not cover)."""
    end, pos, out = len(data), 0, []
    unpack_from, append = HEADER.unpack_from, out.append
    while end - pos >= HEADER_LEN:
        length, header_len, ver, op, seq = unpack_from(data, pos)
        if length < HEADER_LEN or header_len < HEADER_LEN or header_len > length:
            raise PacketError(f"bad lengths at {pos}: packet {length}, header {header_len}")
        if pos + length > end:
            raise PacketError(f"truncated packet at {pos}: {length} bytes announced, {end - pos} there")
        append(Packet(op, ver, seq, data[pos + header_len:pos + length]))
        pos += length
    if not out and end:
        raise PacketError(f"{end} bytes: shorter than a packet header")
    return out, end - pos


def unpack(data: bytes) -> list[Packet]:
    """Every plain packet of one WebSocket message, compressed bodies opened (one level)."""
    if len(data) > MAX_MESSAGE:
        raise PacketError(f"message of {len(data)} bytes exceeds {MAX_MESSAGE}")
    packets, _ = split(data)
    out: list[Packet] = []
    for packet in packets:
        if packet.op == OP_COMMAND and packet.ver in (VER_ZLIB, VER_BROTLI):
            inner, _ = split(inflate(packet.body, packet.ver))
            for each in inner:
                if each.ver in (VER_ZLIB, VER_BROTLI):
                    raise PacketError("compressed packet inside a compressed packet")
                out.append(each)
        else:
            out.append(packet)
    return out


def inflate(body: bytes, ver: int) -> bytes:
    """A ver 2 (zlib) or ver 3 (brotli) body, at most :data:`MAX_INFLATED` bytes."""
    try:
        if ver == VER_ZLIB:
            d = zlib.decompressobj()
            out = d.decompress(body, MAX_INFLATED)
            if d.unconsumed_tail:
                raise PacketError(f"zlib body expands beyond {MAX_INFLATED} bytes")
            if not d.eof:
                raise PacketError("truncated zlib body")
            return out
        b = brotli.Decompressor()
        out = b.process(body, output_buffer_limit=MAX_INFLATED)
        if len(out) >= MAX_INFLATED or not b.can_accept_more_data():
            raise PacketError(f"brotli body expands beyond {MAX_INFLATED} bytes")
        if not b.is_finished():
            raise PacketError("truncated brotli body")
        return out
    except (zlib.error, brotli.error) as exc:
        raise PacketError(f"bad {'zlib' if ver == VER_ZLIB else 'brotli'} body: {exc}") from None


def command(body: bytes) -> tuple[str, dict[str, Any]]:
    """``(cmd without its ':' suffix, the command object)`` of an op-5 body."""
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise CommandError(f"not JSON: {exc}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("cmd"), str):
        raise CommandError("not a command: no string 'cmd'")
    return obj["cmd"].split(":", 1)[0], obj


def popularity(body: bytes) -> int:
    """The popularity figure of a heartbeat reply (the first 4 body bytes)."""
    if len(body) < 4:
        raise PacketError("heartbeat reply shorter than 4 bytes")
    return int.from_bytes(body[:4], "big")


# -- signatures ---------------------------------------------------------------------------------------


def key_of(url: str) -> str:
    """The key in a ``wbi_img`` URL: the file name's stem."""
    return url.rsplit("/", 1)[-1].split(".", 1)[0]


def mixin_key(img_key: str, sub_key: str) -> str:
    raw = img_key + sub_key
    if len(raw) < 64:
        raise ValueError("img_key + sub_key must be 64 characters")
    return "".join(raw[i] for i in WBI_TABLE)


def wbi_sign(params: Mapping[str, Any], key: str, wts: int | None = None) -> dict[str, str]:
    """``params`` with ``wts`` and ``w_rid`` added (``key``: :func:`mixin_key`)."""
    signed = {k: "".join(c for c in str(v) if c not in "!'()*") for k, v in params.items() if k != "w_rid"}
    signed["wts"] = str(int(time.time()) if wts is None else wts)
    query = urlencode(sorted(signed.items()))
    signed["w_rid"] = hashlib.md5((query + key).encode()).hexdigest()  # noqa: S324 - the platform's rule
    return signed


def wbi_valid(params: Mapping[str, str], key: str) -> bool:
    """True when ``params`` carry a ``w_rid`` matching ``key`` (constant-time compare)."""
    given = params.get("w_rid", "")
    if "wts" not in params:
        return False
    expected = wbi_sign({k: v for k, v in params.items() if k != "wts"}, key, int(params["wts"]))["w_rid"] \
        if params["wts"].isdigit() else ""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def open_live_signature(headers: Mapping[str, str], secret: str) -> str:
    text = "\n".join(f"{name}:{headers.get(name, '')}" for name in SIGNED_HEADERS)
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def open_live_headers(body: bytes, key_id: str, secret: str, *, nonce: str | None = None,
                      timestamp: int | None = None) -> dict[str, str]:
    """The headers of one open-platform POST with this JSON ``body``."""
    headers = {"x-bili-accesskeyid": key_id, "x-bili-content-md5": hashlib.md5(body).hexdigest(),  # noqa: S324
               "x-bili-signature-method": "HMAC-SHA256",
               "x-bili-signature-nonce": nonce or secrets.token_hex(16),
               "x-bili-signature-version": "1.0",
               "x-bili-timestamp": str(int(time.time()) if timestamp is None else timestamp)}
    headers["Authorization"] = open_live_signature(headers, secret)
    headers["Content-Type"] = "application/json"
    headers["Accept"] = "application/json"
    return headers
