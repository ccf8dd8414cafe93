"""Fuzzing the parsers of outside input: packets, compressed bodies, commands, protobuf ``pb`` fields.
Only the module's own errors (``ValueError`` subclasses) escape; the feed skips a bad frame, counts it and
goes on."""

from __future__ import annotations

import base64
import json
import zlib
from collections import Counter

import aiohttp
import brotli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.bilibili.api import WebApi
from connectors.bilibili.client import (
    HEADER,
    OP_COMMAND,
    VER_BROTLI,
    VER_ZLIB,
    CommandError,
    PacketError,
    command,
    pack,
    pack_commands,
    unpack,
)
from connectors.bilibili.feed import open_feed
from connectors.bilibili.mapping import DECODERS, MappingError, to_events
from connectors.bilibili.standin import LONG_ID, BilibiliStandin
from hub.testing import comment

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GOOD = pack_commands([b'{"cmd":"DANMU_MSG","info":[]}', b'{"cmd":"LIVE"}'], ver=VER_BROTLI)


def _decode_all(data: bytes) -> None:
    try:
        packets = unpack(data)
    except PacketError:
        return
    for packet in packets:
        if packet.op != OP_COMMAND:
            continue
        try:
            cmd, obj = command(packet.body)
            to_events(cmd, obj, packet.body)
        except (CommandError, MappingError):
            pass


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    _decode_all(data)


@FUZZ
@given(st.integers(0, len(GOOD)), st.binary(max_size=8), st.integers(0, len(GOOD) - 1))
def test_truncated_and_corrupted_packets(cut: int, junk: bytes, at: int) -> None:
    _decode_all(GOOD[:cut])
    _decode_all(GOOD[:at] + junk + GOOD[at + len(junk):])


@FUZZ
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**16 - 1), st.sampled_from([0, 1, 2, 3, 9]), st.binary(max_size=64))
def test_wrong_lengths_and_versions(length: int, header_len: int, ver: int, body: bytes) -> None:
    _decode_all(HEADER.pack(length, header_len, ver, OP_COMMAND, 0) + body)


@FUZZ
@given(st.binary(max_size=200), st.sampled_from([VER_ZLIB, VER_BROTLI]))
def test_bad_compression(body: bytes, ver: int) -> None:
    _decode_all(pack(OP_COMMAND, body, ver=ver))
    squeezed = zlib.compress(body) if ver == VER_ZLIB else brotli.compress(body)
    _decode_all(pack(OP_COMMAND, squeezed, ver=ver))  # compressed, but no packets inside


def test_a_compression_bomb_is_refused() -> None:
    bomb = pack(OP_COMMAND, zlib.compress(b"\0" * (20 * 1024 * 1024)), ver=VER_ZLIB)
    try:
        unpack(bomb)
    except PacketError as exc:
        assert "expands beyond" in str(exc)
    else:
        raise AssertionError("a 20 MB body was inflated")


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                       lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
                       max_leaves=20)


@FUZZ
@given(st.sampled_from(sorted(DECODERS)), JSONISH, JSONISH)
def test_known_commands_with_wrong_fields(cmd: str, data: object, info: object) -> None:
    obj = {"cmd": cmd, "data": data, "info": info}
    raw = json.dumps(obj).encode()
    try:
        to_events(cmd, obj, raw)
    except MappingError:
        pass


@FUZZ
@given(st.sampled_from(["SEND_GIFT_V2", "INTERACT_WORD_V2"]), st.binary(max_size=120))
def test_pb_fields_with_random_protobuf(cmd: str, pb: bytes) -> None:
    obj = {"cmd": cmd, "data": {"pb": base64.b64encode(pb).decode()}}
    try:
        to_events(cmd, obj, json.dumps(obj).encode())
    except MappingError:
        pass


async def test_the_feed_skips_bad_frames_counts_them_and_goes_on() -> None:
    async with BilibiliStandin(mode="web") as standin, aiohttp.ClientSession() as session:
        token = (await WebApi(session, live_api=standin.url, main_api=standin.url).danmu_info(int(LONG_ID))).token
        counts: Counter[str] = Counter()
        auth = json.dumps({"roomid": int(LONG_ID), "protover": 3, "key": token}).encode()
        async with open_feed(session, f"ws://127.0.0.1:{standin.port}/sub", auth, counts=counts) as feed:
            assert standin.send_raw(GOOD[:-3]) == 1  # truncated
            standin.send_raw(pack(OP_COMMAND, b"\x1b\x00garbage", ver=VER_BROTLI))  # bad compression
            standin.send_raw(pack_commands([b"not json", b'{"nocmd":1}']))  # two bad commands
            await standin.deliver(comment("还在", platform="bilibili", room=LONG_ID, user="7", message_id="ok-1"))
            async for cmd, obj, _ in feed:
                assert cmd == "DANMU_MSG" and obj["info"][1] == "还在"
                break
        assert counts["malformed_frames"] == 2 and counts["malformed_commands"] == 2
